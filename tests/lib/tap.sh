# TAP results for the shell tests (sourced): ok, not_ok, skip, skip_rest,
# check and check_eq.  $tap_n counts the results; $tap_failed is 1 once a result
# failed.  Set $todo around checks that a known bug elsewhere breaks: their
# failures are then reported "# TODO $todo" (a pass stays a plain pass).
tap_n=0
tap_failed=0
todo=
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }
# skip_rest REASON: every result still to come up to $PLAN skipped, then exit 0
skip_rest() {
	while [ "$tap_n" -lt "$PLAN" ]; do skip "$*"; done
	exit 0
}
not_ok() {
	tap_n=$((tap_n + 1))
	[ -n "$todo" ] || tap_failed=1
	echo "not ok $tap_n - $*${todo:+ # TODO $todo}"
}
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		printf '#   got:  %s\n#   want: %s\n' "$2" "$3"
	fi
}
