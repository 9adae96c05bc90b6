#!/bin/bash
# Smoke run of the notification drain benchmark (bench/drain.sh): 300
# notifications through the real connector and emulator, about a second;
# asserts that all arrive (the script checks the emulator's count) and the
# output format.  The figures are measured by hand (docs/connector.md).
. "${top_srcdir:-.}/tests/lib/tap.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "1..3"
bash "${top_srcdir:-.}/bench/drain.sh" 300 >"$out" 2>&1
check "bench/drain.sh 300 exits 0: every notification recorded by the emulator" test $? -eq 0
[ "$tap_failed" -eq 0 ] || sed 's/^/# /' "$out"
last=$(tail -n 1 "$out")
check "last line is the result line: $last" grep -Eq '^drain 300 items [1-9][0-9]*/s$' <<<"$last"
check "CPU per item printed" \
    grep -Eq '^CPU per item: ndes-connectord [0-9.]+ ms, ndes-cloud-sim [0-9.]+ ms$' "$out"
exit 0
