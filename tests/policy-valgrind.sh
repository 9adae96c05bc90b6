#!/bin/sh
# The dlopen host (tests/policy_host) under valgrind: memcheck with a full
# leak check (any leak or memory error fails), then helgrind (any data race
# or lock misuse in the module fails).  Skipped in sanitizer builds, which
# check leaks with LeakSanitizer instead, and without valgrind.  Prints TAP.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
export top_builddir

host=$top_builddir/tests/policy_host
tmp=$(mktemp -d /tmp/ndes-policy-valgrind.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..2"
if ! command -v valgrind >/dev/null 2>&1; then
	echo "ok 1 # SKIP valgrind not installed"
	echo "ok 2 # SKIP valgrind not installed"
	exit 0
fi
if nm "$host" 2>/dev/null | grep -q __asan_init; then
	echo "ok 1 # SKIP sanitizer build (LeakSanitizer runs instead)"
	echo "ok 2 # SKIP sanitizer build"
	exit 0
fi

run() {
	n=$1
	desc=$2
	shift 2
	if valgrind -q --error-exitcode=97 --log-file="$tmp/vg.$n" "$@" "$host" >"$tmp/out.$n" 2>&1 &&
	    ! grep -q '^not ok' "$tmp/out.$n"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/vg.$n" "$tmp/out.$n" | head -60
	fi
}

run 1 "memcheck: no leak, no memory error" --leak-check=full \
	--errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible
run 2 "helgrind: no data race" --tool=helgrind
