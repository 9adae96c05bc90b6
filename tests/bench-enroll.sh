#!/bin/bash
# Smoke run of ndes-bench enroll (bench/enroll.sh): one round of a few
# enrollments per variant with the real micromdm scepserver and scepclient
# and our whole stack, asserting the output and that nothing failed but
# scepserver's own depot race (the figures are measured by hand: docs/bench.md).
# Skipped without the scep package or journald.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
echo "1..4"
skip_all() {
	for i in 1 2 3 4; do echo "ok $i # SKIP $*"; done
	exit 0
}
command -v scepserver >/dev/null 2>&1 && command -v scepclient >/dev/null 2>&1 ||
	skip_all "micromdm's scepserver/scepclient (Debian package scep) not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"
bash "$top_srcdir/tests/lib/journal.sh" ensure >/dev/null 2>&1 || skip_all "no journald"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

bash "$top_srcdir/bench/enroll.sh" --rounds 1 --enrollments 4 --workers 2 --profile >"$out" 2>&1
rc=$?
n=0
check() {
	local what=$1
	shift
	if "$@"; then echo "ok $((n += 1)) - $what"; else
		echo "not ok $((n += 1)) - $what"
		sed 's/^/# /' "$out"
	fi
}
last=$(tail -n 1 "$out")
check "ndes-bench enroll exits 0" test "$rc" = 0
check "last line: $last" grep -Eq \
	'^enroll static [0-9]+\.[0-9]/s true [0-9]+\.[0-9]/s ndes [0-9]+\.[0-9]/s ratio [0-9]+\.[0-9]{2}$' \
	<<<"$last"
# An enrollment scepserver issued but answered as failed (its depot race
# after it wrote the certificate) is counted apart, not as ours.
check "every variant enrolled, none left without a certificate" test "$(grep -Ec \
	'^(static|true  |ndes  ) [0-9.]+ / [0-9.]+ / [0-9.]+ enrollments/s \(min / median / max\), [1-4] enrolled, 0 without a certificate, ' \
	"$out")" = 3
check "no failure of ours; the CPU profile names every process" eval \
	"grep -qx 'failures of ours: 0' '$out' && grep -Eq '^  ndes-crpd +[0-9.]+ +[0-9.]+ +[0-9.]+$' '$out' &&
	grep -Eq '^  its hooks \(exec\) +[0-9.]+' '$out' && grep -Eq '^  all +[0-9.]+ +[0-9.]+ +[1-9][0-9.]*$' '$out'"
