#!/usr/bin/env bash
# The whole system on one machine, from a clean clone (docs/demo.md):
# installs what is missing, builds in build/ (unless built), then in a
# temporary folder on 127.0.0.1 starts journald (if none runs), the cloud
# emulator, the connector (registered with a token from the emulator),
# ndes-crpd, micromdm's scepserver with ndes-policy-exec and its depot
# watcher; enrolls devices with ndes-device-sim, shows refused challenges, issues
# a PKCS certificate, revokes a certificate, prints the journald events and
# the cloud's view, stops everything and ends with one line:
#   demo: enrolled=<n> refused=<n> pkcs=<n> revoked=<n> notified=<n> differs=<n>
# Exit status non-zero when any step did not do what it should.
#   scripts/demo.sh [--keep] [--rebuild] [--revoke]
#     --keep      keep the temporary folder (configurations, logs, depot)
#     --rebuild   run make in build/ even when the programs are there
#     --revoke    ndes-crpd with conformance: revoke (the certificate that
#                 differs from its profile is revoked at once)
set -uo pipefail

keep=0 build=0
for a in "$@"; do
	case $a in
	--keep) keep=1 ;;
	--rebuild) build=1 ;;
	--revoke) DEMO_CONFORMANCE=revoke ;;
	-h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: scripts/demo.sh [--keep] [--rebuild] [--revoke]" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
DEMO_SRCDIR=$top
DEMO_BUILDDIR=${DEMO_BUILDDIR:-$top/build}

# Dependencies and build (output to build/demo-build.log; quiet when all is there).
demo_build() {
	# shellcheck source=scripts/deps.sh
	. "$top/scripts/deps.sh"
	set +e	# deps.sh sets -e; the demo counts failed steps itself
	NDES_PACKAGES+=(jq)
	ndes_install_deps || return 1
	local p missing=0
	for p in cloudsim/ndes-cloud-sim crp/ndes-crpd connector/ndes-connector \
		connector/ndes-connectord policy/ndes-policy-exec devicesim/ndes-device-sim; do
		[ -x "$DEMO_BUILDDIR/$p" ] || missing=1
	done
	[ "$missing" = 1 ] || [ "$build" = 1 ] || return 0
	echo "demo: building in $DEMO_BUILDDIR (log: $DEMO_BUILDDIR/demo-build.log)" >&2
	(
		cd "$top" || exit 1
		[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi || exit 1
		mkdir -p "$DEMO_BUILDDIR" && cd "$DEMO_BUILDDIR" || exit 1
		[ -f Makefile ] || "$top/configure" -q || exit 1
		make -j2
	) >"$top/demo-build.log" 2>&1 && mv -f "$top/demo-build.log" "$DEMO_BUILDDIR/" ||
		{ tail -n 30 "$top/demo-build.log" >&2; return 1; }
}
if ! demo_build; then
	echo "demo: enrolled=0 refused=0 pkcs=0 revoked=0 notified=0 differs=0"
	exit 1
fi

. "$top/scripts/lib/demo-env.sh"
. "$top/scripts/lib/demo-start.sh"
. "$top/scripts/lib/demo-flow.sh"
. "$top/scripts/lib/demo-report.sh"

finish() {
	local rc=$?
	trap - EXIT INT TERM
	demo_stop_all
	if [ -n "$DEMO_T" ]; then
		if [ "$keep" = 1 ]; then echo "demo: kept $DEMO_T" >&2; else rm -rf "$DEMO_T"; fi
	fi
	demo_summary_line
	[ "$rc" = 0 ] && [ "$DEMO_FAILS" = 0 ] || exit 1
	exit 0
}
trap finish EXIT
trap 'demo_fail "interrupted"; exit 1' INT TERM

t0=$SECONDS
demo_init || exit 1
demo_step "journald answering" demo_journald stop-later || exit 1
if demo_start; then
	demo_remember_pids
	demo_flow
	demo_save_cloud_view
else
	demo_remember_pids
fi
# Stop the services first so their stop events are in the table too.
demo_stop_all
[ "$DEMO_FAILS" = 0 ] || demo_logs
demo_event_table
demo_print_cloud_view
demo_say "== done in $((SECONDS - t0)) s, $DEMO_FAILS failed step(s)"
[ "$DEMO_FAILS" = 0 ]
