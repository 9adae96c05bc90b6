#!/usr/bin/env bash
# Sets up and runs the whole test suite from a clean clone on a fresh Debian machine:
# installs missing packages, autoreconf, configure, make -j2, make check.
# Ends with one line "N passed, N failed".  Exit status is non-zero on any failure.
#   scripts/test.sh                 normal build in ./build
#   scripts/test.sh --sanitizers    ASan + UBSan build in ./build-san
#   scripts/test.sh --package       also the Debian packages, installed and purged
#                                   (make check-package: root, about 3 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. scripts/deps.sh

builddir=$top/build
configure_flags=()
package=0
for arg in "$@"; do
	case $arg in
	--sanitizers)
		builddir=$top/build-san
		configure_flags+=(--enable-sanitizers)
		;;
	--package) package=1 ;;
	*) echo "usage: scripts/test.sh [--sanitizers] [--package]" >&2; exit 2 ;;
	esac
done

ndes_install_deps
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
mkdir -p "$builddir"
cd "$builddir"
"$top/configure" -q "${configure_flags[@]}"
make -j2 >/dev/null

status=0
make -j2 check || status=$?
# After the suite: its results stay (the package test adds its own .trs).
[ "$package" = 0 ] || make check-package || status=$?

summary() {
	# Count individual test cases from the TAP results automake recorded
	# (tests/, and fuzz/: the replay of every fuzz corpus).
	local results pass fail skip
	results=$(find tests fuzz -name '*.trs' -exec cat {} + 2>/dev/null | grep '^:test-result:' || true)
	pass=$(grep -c ': \(PASS\|XFAIL\)$' <<<"$results" || true)
	fail=$(grep -c ': \(FAIL\|XPASS\|ERROR\)$' <<<"$results" || true)
	skip=$(grep -c ': SKIP$' <<<"$results" || true)
	printf '%s passed, %s failed, %s skipped\n' "$pass" "$fail" "$skip"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}
summary || status=1
exit "$status"
