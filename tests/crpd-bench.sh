#!/bin/sh
# Smoke run of the ndes-crpd benchmark: one second, asserting the output
# format (the figures themselves are measured by hand, see docs/crpd.md).
bench=${top_builddir:-.}/bench/ndes-bench
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "1..3"
if "$bench" verify --alg ec-p256 --seconds 1 --clients 4 --no-half >"$out" 2>&1; then
	echo "ok 1 - ndes-bench verify --alg ec-p256 exits 0"
else
	echo "not ok 1 - ndes-bench verify --alg ec-p256 exits 0"
	sed 's/^/# /' "$out"
fi
last=$(tail -n 1 "$out")
if printf '%s\n' "$last" | grep -Eq '^verify ec-p256 [0-9]+/s limit [0-9]+/s ratio [0-9]+\.[0-9]{2}$'; then
	echo "ok 2 - last line is the result line: $last"
else
	echo "not ok 2 - last line is the result line: $last"
fi
if grep -Eq '^peak: [0-9]+ verified in [0-9.]+ s = [0-9]+/s, p50 [0-9.]+ ms, p99 [0-9.]+ ms, 0 failed$' "$out"; then
	echo "ok 3 - latency percentiles printed, no failed verification"
else
	echo "not ok 3 - latency percentiles printed, no failed verification"
	sed 's/^/# /' "$out"
fi
