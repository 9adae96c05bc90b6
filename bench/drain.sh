#!/usr/bin/env bash
# The connector's notification drain (issue 18; docs/connector.md, "Drain
# benchmark"): ndes-cloud-sim with the example tenant on ephemeral ports, one
# connector registered with ndes-connector, its outbox filled with N failure
# notifications (as crpd hands them over; written straight into outbox.db
# while the daemon is stopped, so that filling is not measured), then
# ndes-connectord started and timed until its outbox is empty.  Checks that
# the emulator recorded every one, each once.  Its last line is
#   drain <n> items <r>/s
# Run from the build folder:  bash ../bench/drain.sh [N]   (default 5000)
set -euo pipefail
N=${1:-5000}
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/lib/connector-env.sh"
ce_setup
trap ce_cleanup EXIT
DB=$T/state/connector/outbox.db

fill_outbox() {
	sqlite3 "$DB" "PRAGMA busy_timeout = 5000; WITH RECURSIVE c(i) AS
	    (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
	    INSERT INTO items(kind, key, body, created) SELECT 'failureNotification',
	    'n:drain-' || i, json_object('transactionId', 'drain-' || i,
	    'certificateRequest', 'MIIBdGVzdA==', 'hResult', -2146875374,
	    'errorDescription', 'drain benchmark', 'callerInfo', 'ndes-bench drain'),
	    strftime('%s', 'now') FROM c;" >/dev/null
}
waiting() { sqlite3 "$DB" "PRAGMA busy_timeout = 5000; SELECT count(*) FROM items;" | tail -n 1; }
now() { date +%s.%N; }
# cpu PID: user + system CPU time so far, in clock ticks
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

start_cloud
DL_INTERVAL=1h conn_config
register
start_daemon        # makes the outbox
stop_daemon
fill_outbox
[ "$(waiting)" -eq "$N" ] || { echo "drain: the outbox holds $(waiting), not $N" >&2; exit 1; }
cloud0=$(cpu "$CLOUD_PID")
t0=$(now)
start_daemon
while [ "$(waiting)" -gt 0 ]; do
	sleep 0.02
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		echo "drain: ndes-connectord stopped" >&2; exit 1
	fi
done
t1=$(now)
conn_cpu=$(cpu "$DAEMON_PID")
cloud_cpu=$(( $(cpu "$CLOUD_PID") - cloud0 ))
stop_daemon
got=$(cloud show notifications | grep -c '^      "transactionId": "drain-' || true)
[ "$got" -eq "$N" ] || { echo "drain: the emulator recorded $got of $N" >&2; exit 1; }
awk -v n="$N" -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v c="$conn_cpu" \
    -v e="$cloud_cpu" 'BEGIN { s = b - a; printf "drained %d notifications in %.3f s\n", n, s;
    printf "CPU per item: ndes-connectord %.2f ms, ndes-cloud-sim %.2f ms\n",
        c * 1000 / hz / n, e * 1000 / hz / n;
    printf "drain %d items %d/s\n", n, n / s }'
