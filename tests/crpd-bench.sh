#!/bin/sh
# Smoke run of the ndes-crpd benchmark: one second, asserting the output
# format (the figures themselves are measured by hand, see docs/crpd.md).
bench=${top_builddir:-.}/bench/ndes-bench
out=$(mktemp)
lat=$(mktemp)
trap 'rm -f "$out" "$lat"' EXIT

echo "1..8"
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
bound=$(tail -n 2 "$out" | head -n 1)
bound_ok=no
if printf '%s\n' "$bound" | grep -Eq '^bound ec-p256 [1-9][0-9]*/s limit [0-9]+/s ratio [0-9]+\.[0-9]{2}$' &&
    grep -Eq '^primitive bound \(in process, [0-9]+ threads\): ECDH \+ challenge signature check \+ request signature check: [1-9][0-9]*/s$' "$out"; then
	bound_ok=yes
fi
if grep -Eq '^peak: [0-9]+ verified in [0-9.]+ s = [0-9]+/s, p50 [0-9.]+ ms, p99 [0-9.]+ ms, 0 failed$' "$out"; then
	echo "ok 3 - latency percentiles printed, no failed verification"
else
	echo "not ok 3 - latency percentiles printed, no failed verification"
	sed 's/^/# /' "$out"
fi

# The half-rate run: its in-process floor, the reference server (--reference),
# and --latencies with one line per answered request ("due_s latency_ms").
"$bench" verify --alg ec-p256 --seconds 1 --clients 4 --reference --latencies "$lat" \
    >"$out" 2>&1
half_rc=$?
if grep -Eq '^half the peak rate \([0-9]+/s paced\): p50 [0-9.]+ ms, p99 [0-9.]+ ms, 0 failed$' "$out" &&
    grep -Eq '^half the peak rate in process \(crypto only, [0-9]+ threads\): p50 [0-9.]+ ms, p99 [0-9.]+ ms$' "$out"; then
	echo "ok 4 - half-rate latency and its in-process floor printed"
else
	echo "not ok 4 - half-rate latency and its in-process floor printed"
	sed 's/^/# /' "$out"
fi
rate=$(sed -n 's/^half the peak rate (\([0-9]*\)\/s paced).*/\1/p' "$out")
lines=$(wc -l <"$lat")
bad=$(grep -Evc '^[0-9]+\.[0-9]{6} [0-9]+\.[0-9]{3}$' "$lat")
if [ -n "$rate" ] && [ "$lines" -ge $((rate * 9 / 10)) ] && [ "$lines" -le $((rate + 1)) ] &&
    [ "$bad" -eq 0 ]; then
	echo "ok 5 - --latencies wrote $lines answered requests for $rate/s over 1 s"
else
	echo "not ok 5 - --latencies wrote $lines lines ($bad malformed) for ${rate:-?}/s over 1 s"
	head -n 3 "$lat" | sed 's/^/# /'
fi
if [ "$half_rc" -eq 0 ] &&
    grep -Eq '^half the peak rate to the reference server \(no hand-offs, crypto only, [0-9]+ threads\): p50 [0-9.]+ ms, p99 [0-9.]+ ms, 0 failed$' "$out"; then
	echo "ok 6 - --reference: its figures printed, every request answered verified, exit 0"
else
	echo "not ok 6 - --reference: its figures printed, every request answered verified, exit $half_rc"
	sed 's/^/# /' "$out"
fi
# The primitive bound of the first run, on the line before the result line.
if [ "$bound_ok" = yes ]; then
	echo "ok 7 - the primitive bound is measured and printed before the result line: $bound"
else
	echo "not ok 7 - the primitive bound is measured and printed before the result line: $bound"
fi

# The PostgreSQL store: a server of the benchmark's own, two crpd nodes on it.
if ! sh "${top_srcdir:-.}/tests/lib/pg-cluster.sh" bindir >/dev/null 2>"$lat"; then
	echo "ok 8 # SKIP $(cat "$lat")"
elif "$bench" verify --alg ec-p256 --seconds 1 --clients 4 --store postgresql --nodes 2 \
    >"$out" 2>&1 && grep -q '^challenge store: PostgreSQL, a server of its own in .*; 2 crpd nodes$' "$out" &&
    grep -Eq '^peak: [0-9]+ verified in [0-9.]+ s = [0-9]+/s, p50 [0-9.]+ ms, p99 [0-9.]+ ms, 0 failed$' "$out" &&
    tail -n 1 "$out" | grep -Eq '^verify ec-p256 [0-9]+/s limit [0-9]+/s ratio [0-9]+\.[0-9]{2}$'; then
	echo "ok 8 - --store postgresql --nodes 2: the same last line, no failed verification"
else
	echo "not ok 8 - --store postgresql --nodes 2: the same last line, no failed verification"
	sed 's/^/# /' "$out"
fi
