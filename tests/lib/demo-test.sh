# What the end-to-end tests on the demo's flow share (sourced by
# tests/e2e-demo.sh and tests/e2e-conformance.sh after they set the demo's
# variables): the skips, the demo's libraries, the cleanup, and the journald
# check of every event the flow expected.  Prints TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}" "${top_builddir:=$top_srcdir}"
: "${OPENSSL:=openssl}" "${JOURNALCTL:=journalctl}"

. "$top_srcdir/tests/lib/tap.sh"
quiet() { "$@" >/dev/null 2>&1; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

command -v scepserver >/dev/null 2>&1 && command -v scepclient >/dev/null 2>&1 ||
	skip_all "micromdm's scepserver/scepclient (Debian package scep) not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"

DEMO_SRCDIR=$top_srcdir DEMO_BUILDDIR=$top_builddir DEMO_PREFIX="# "
. "$top_srcdir/scripts/lib/demo-env.sh"
. "$top_srcdir/scripts/lib/demo-start.sh"
. "$top_srcdir/scripts/lib/demo-flow.sh"
. "$top_srcdir/scripts/lib/demo-report.sh"

demo_journald >/dev/null 2>&1 || skip_all "no journald"
demo_test_cleanup() {
	demo_stop_all
	[ "$tap_failed" = 0 ] || [ -z "$DEMO_T" ] || demo_logs
	[ -z "$DEMO_T" ] || rm -rf "$DEMO_T"
}
trap demo_test_cleanup EXIT
trap 'exit 1' INT TERM

# demo_test_start: the services, or bail out
demo_test_start() {
	demo_init || { echo "Bail out! demo_init failed"; exit 1; }
	if ! demo_start; then
		echo "Bail out! the services did not start"
		exit 1
	fi
	ok "cloud emulator, connector, ndes-crpd, scepserver and the depot watcher started"
	demo_remember_pids
}

# demo_test_expected_events: exactly as many of each expected event as the
# flow caused; uploads and downloads at least once
demo_test_expected_events() {
	local count id code dev got
	while read -r count id code dev; do
		got=$(demo_count_events "$id" "$code" "$dev")
		case $id in
		20300 | 20400) check "journald: $id $code (got $got)" test "$got" -ge 1 ;;
		*) check_eq "journald: $id $code${dev:+ for device $dev}" "$got" "$count" ;;
		esac
	done < <(grep . <<<"$DEMO_EXPECT" | sort | uniq -c | sed 's/^ *//')
}
