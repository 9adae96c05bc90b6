#!/bin/sh
# Smoke run of the minting benchmark (bench/mint.sh: the emulator, one
# registered connector, then ndes-bench mint --emulator-pid): one second,
# asserting the output format (the figures themselves are measured by hand,
# see docs/cloud-sim.md, "Minting").
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "1..3"
if bash "$top_srcdir/bench/mint.sh" --seconds 1 --clients 4 >"$out" 2>&1; then
	echo "ok 1 - bench/mint.sh exits 0 (every mint answered 201)"
else
	echo "not ok 1 - bench/mint.sh exits 0 (every mint answered 201)"
	sed 's/^/# /' "$out"
fi
if grep -Eq '^cpu per mint: ndes-cloud-sim [1-9][0-9]* us \(its loop [0-9]+ us\) \+ clients [0-9]+ us, sealing in process [1-9][0-9]* us$' "$out"; then
	echo "ok 2 - the CPU per mint of the emulator, its loop and the clients, and per sealing"
else
	echo "not ok 2 - the CPU per mint of the emulator, its loop and the clients, and per sealing"
	sed 's/^/# /' "$out"
fi
last=$(tail -n 1 "$out")
if printf '%s\n' "$last" | grep -Eq '^mint [1-9][0-9]*/s sealing [1-9][0-9]*/s ratio [0-9]+\.[0-9]{2}$'; then
	echo "ok 3 - last line is the result line: $last"
else
	echo "not ok 3 - last line is the result line: $last"
fi
