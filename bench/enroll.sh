#!/usr/bin/env bash
# ndes-bench enroll with our whole stack on this machine (docs/bench.md,
# "Enrollment"): the CA made by `scepserver ca -init`, the cloud emulator
# with the example tenant, a connector registered with ndes-connector,
# ndes-connectord and ndes-crpd (events to journald, started when none
# runs), as scripts/demo.sh starts them; then `ndes-bench enroll` with the
# arguments given, which starts the three scepservers and the depot
# watcher itself.  Run from the build folder:
#   bash ../bench/enroll.sh --rounds 7 --enrollments 100 --workers 4 --profile
set -uo pipefail
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
DEMO_SRCDIR=$top_srcdir
DEMO_BUILDDIR=$(cd "$top_builddir" && pwd)
DEMO_PREFIX="# "
. "$top_srcdir/scripts/lib/demo-env.sh"
. "$top_srcdir/scripts/lib/demo-start.sh"
# Another build's ndes-crpd (e.g. to measure a hook from before a change
# against the crpd it was written for): NDES_BENCH_CRPD=PATH.
DEMO_CRPD=${NDES_BENCH_CRPD:-$DEMO_CRPD}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	demo_stop_all
	if [ -n "$DEMO_T" ] && [ -z "${NDES_BENCH_KEEP:-}" ]; then rm -rf "$DEMO_T"; fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM

demo_init >&2 || exit 1
demo_journald stop-later || { echo "ndes-bench: no journald" >&2; exit 1; }
if ! { demo_start_depot && demo_start_cloud && demo_write_configs && demo_register &&
	demo_start_connectord && demo_start_crpd && demo_wait 100 demo_signing_ready; }; then
	echo "ndes-bench: the stack did not start" >&2
	demo_logs >&2
	exit 1
fi
journald=$(pgrep -x systemd-journal | head -n 1)
"$DEMO_BUILDDIR/bench/ndes-bench" enroll --depot "$DEMO_T/depot" \
	--admin-port "$DEMO_ADMIN_PORT" --policy-config "$DEMO_T/policy.yaml" \
	--cloud-db "$DEMO_T/state/cloud.db" --policy-exec "$DEMO_POLICY_EXEC" \
	--pid "ndes-crpd=$(demo_pid crpd)" --pid "ndes-connectord=$(demo_pid connectord)" \
	--pid "ndes-cloud-sim=$(demo_pid cloud)" ${journald:+--pid "systemd-journald=$journald"} \
	"$@"
