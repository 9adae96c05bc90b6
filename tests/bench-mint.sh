#!/bin/bash
# Smoke run of the minting benchmark (bench/mint.sh: the emulator, one
# registered connector, then ndes-bench mint --emulator-pid): one second,
# asserting the output format (the figures themselves are measured by hand,
# see docs/cloud-sim.md, "Minting").
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/tests/lib/tap.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "1..3"
bash "$top_srcdir/bench/mint.sh" --seconds 1 --clients 4 >"$out" 2>&1
rc=$?
last=$(tail -n 1 "$out")
check_eq "bench/mint.sh exits 0 (every mint answered 201)" "$rc" 0
check "the CPU per mint of the emulator, its loop and the clients, and per sealing" grep -Eq \
	'^cpu per mint: ndes-cloud-sim [1-9][0-9]* us \(its loop [0-9]+ us\) \+ clients [0-9]+ us, sealing in process [1-9][0-9]* us$' \
	"$out"
check "last line is the result line: $last" grep -Eq \
	'^mint [1-9][0-9]*/s sealing [1-9][0-9]*/s ratio [0-9]+\.[0-9]{2}$' <<<"$last"
[ "$tap_failed" = 0 ] || sed 's/^/# /' "$out"
