#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/, docs/fuzzing.md) for SECONDS each with
# ASan and UBSan, from its committed seeds, and prints one line per target
# and a summary.  Exit status 1 when a target crashed (its input is kept).
#   scripts/fuzz.sh [-j JOBS] [SECONDS] [TARGET...]
#     SECONDS  per target, default 60
#     -j JOBS  targets run at the same time, default 1
# Installs clang when it is missing (scripts/deps.sh), builds in ./build-fuzz
# (configure --enable-fuzzing CC=clang).  What the fuzzers find goes to
# build-fuzz/fuzz-out/<target>/ (corpus/: new inputs, crash-*, leak-*,
# timeout-*: failures, log), never to fuzz/corpus/: a crash becomes a seed
# by hand, as fuzz/corpus/<target>/crash-<what>, with its fix.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. scripts/deps.sh

jobs=1
if [ "${1:-}" = -j ]; then
	jobs=$2
	shift 2
fi
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for d in fuzz/corpus/*/; do
		targets+=("$(basename "$d")")
	done
fi

ndes_install_deps
ndes_install_fuzz_deps
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
builddir=$top/build-fuzz
mkdir -p "$builddir"
cd "$builddir"
[ -f Makefile ] || "$top/configure" -q --enable-fuzzing CC=clang
make -j2 fuzz-targets >/dev/null
out=$builddir/fuzz-out

# run TARGET: fuzz it, then print its line; status 1 when it failed.
run() {
	local t=$1 dir=$out/$1 log stat cov corp speed result failed=0
	log=$dir/log
	rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*
	mkdir -p "$dir/corpus"
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$builddir/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 \
		-print_final_stats=1 -artifact_prefix="$dir/" \
		"$dir/corpus" "$top/fuzz/corpus/$t" </dev/null >"$log" 2>&1 || failed=1
	stat=$(grep -a '^#[0-9]' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$stat")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[^ ]*\) .*/\1/p' <<<"$stat")
	result=ok
	if [ "$failed" -eq 1 ] || ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* \
	    "$dir"/oom-* >/dev/null 2>&1; then
		result="FAILED: $(ls "$dir" | grep -E '^(crash|leak|timeout|oom)-' | head -n 1)"
		result="$result (see $log)"
		failed=1
	fi
	printf '%-13s %8s exec/s  cov: %-5s corpus: %-10s %s\n' "$t" "${speed:-?}" \
		"${cov:-?}" "${corp:-?}" "$result"
	return "$failed"
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time (ASan, UBSan)"
mkdir -p "$out"
status=0 failed=0 running=0
for t in "${targets[@]}"; do
	if [ ! -x "$builddir/fuzz/fuzz_$t" ]; then
		echo "fuzz: no target $t" >&2
		exit 2
	fi
	run "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || failed=$((failed + 1))
		running=$((running - 1))
	fi
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=$((failed + 1))
	running=$((running - 1))
done
[ "$failed" -eq 0 ] || status=1
echo "fuzz: $((${#targets[@]} - failed)) clean, $failed failed, ${seconds} s per target"
exit "$status"
