#!/bin/bash
# Descriptor and connection limits of ndes-connectord and ndes-cloud-sim
# (docs/security.md, "Resource exhaustion"; ndes-crpd's own test is
# tests/test_crpd_limits.c).  Real daemons, real sockets:
#   - ndes-connectord with 1,024 descriptors fits ipc.max_connections under
#     them; 300 idle connections from one uid on connector.sock: 256 kept
#     (ipc.max_connections_per_uid), 44 closed at once; a notification from
#     another uid is still acknowledged within 1 s, the daemon stays idle
#     and its log short;
#   - ndes-cloud-sim: TLS clients that trickle a handshake are closed at
#     service.header_timeout; over service.max_connections the listener
#     waits (the emulator's descriptors stay under the cap), its admin
#     endpoint still answers, its CPU stays low and its log short.
# TAP.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"

HOLD=$top_builddir/tests/lib/hold_conns
NOBODY=65534

[ "$(id -u)" -eq 0 ] || ce_skip_all "needs root (a second uid, prlimit)"
command -v prlimit >/dev/null || ce_skip_all "no prlimit"
ce_setup
chmod 711 "$T"
echo "1..14"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# cpu_ms PID: its user + system time in milliseconds
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / t) }' "/proc/$1/stat"; }
lines() { wc -l < "$1"; }
fds() { ls "/proc/$1/fd" | wc -l; }

# ---- ndes-connectord ---------------------------------------------------
mkdir -p -m 700 "$T/state"
cat > "$T/conn.yaml" <<EOF
state_dir: $T/state
ipc: {socket: $T/connector.sock, mode: "0666", allowed_uids: [$NOBODY]}
crp_socket: $T/crp.sock
events: {sink: file, path: $T/events.json}
EOF
prlimit --nofile=1024:1024 "$CONNECTORD" -c "$T/conn.yaml" >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_for 10 test -S "$T/connector.sock"
check "connectord: ipc.max_connections fitted under 1,024 descriptors" \
	grep -q "ipc.max_connections lowered from 1024 to 960" "$T/daemon.log"

lines0=$(lines "$T/daemon.log")
cpu0=$(cpu_ms "$DAEMON_PID")
t0=$(ms)
"$HOLD" unix "$T/connector.sock" 300 "$NOBODY" 4000 > "$T/hold.out" &
hold=$!
wait_for 5 test -s "$T/hold.out"
check_eq "connectord: 300 connections of one uid, 44 closed at once" \
	"$(cat "$T/hold.out")" "connected 300 refused 44"
before=$(ms)
got=$("$FEED" "$T/connector.sock" 1 limits 2>&1)
took=$(( $(ms) - before ))
check_eq "connectord: a notification from another uid is acknowledged" "$got" "acked 1"
check "connectord: ... within 1 s (${took} ms)" test "$took" -lt 1000
wait "$hold"
cpu=$(( ($(cpu_ms "$DAEMON_PID") - cpu0) * 100 / ($(ms) - t0) ))
check "connectord: under 20 % of a core meanwhile (${cpu} %)" test "$cpu" -lt 20
added=$(( $(lines "$T/daemon.log") - lines0 ))
check "connectord: at most 30 log lines about it ($added)" test "$added" -le 30
kill "$DAEMON_PID"
wait "$DAEMON_PID"
check_eq "connectord: stops cleanly" "$?" 0
DAEMON_PID=

# ---- ndes-cloud-sim ----------------------------------------------------
sed -e 's/^  max_connections: 1024$/  max_connections: 20/' \
    -e 's/^  header_timeout: 10s$/  header_timeout: 2s/' "$CLOUD_EXAMPLE" > "$T/tenant.yaml"
check "cloud-sim: starts with max_connections 20, header_timeout 2s" \
	eval 'grep -q "^  max_connections: 20$" "$T/tenant.yaml" &&
	    CLOUD_TENANT=$T/tenant.yaml start_cloud'
pid=$CLOUD_PID
fds0=$(fds "$pid")

out=$("$HOLD" tcp "$CLOUD_PORT" 10 500 4000 tls)
read -r _ up _ closed _ min _ max _ open <<<"$out"
check_eq "cloud-sim: 10 trickled TLS handshakes, all closed" "$up:$closed:$open" "10:10:0"
check "cloud-sim: ... at the 2 s header deadline ($min..$max ms)" \
	test "$min" -ge 1700 -a "$max" -le 3500

lines0=$(lines "$T/cloud.log")
cpu0=$(cpu_ms "$pid")
t0=$(ms)
"$HOLD" tcp "$CLOUD_PORT" 60 500 3000 tls > "$T/hold.out" &
hold=$!
sleep 1
most=0
for i in 1 2 3 4 5; do n=$(fds "$pid"); [ "$n" -gt "$most" ] && most=$n; sleep 0.2; done
check "cloud-sim: 60 connections, 20 taken ($((most - fds0)) descriptors more)" \
	test $((most - fds0)) -le 20
before=$(ms)
cloud show connectors > /dev/null
rc=$?
took=$(( $(ms) - before ))
check "cloud-sim: the admin endpoint answers meanwhile (exit $rc, ${took} ms)" \
	test "$rc" -eq 0 -a "$took" -lt 1000
wait "$hold"
cpu=$(( ($(cpu_ms "$pid") - cpu0) * 100 / ($(ms) - t0) ))
check "cloud-sim: under 20 % of a core meanwhile (${cpu} %)" test "$cpu" -lt 20
added=$(( $(lines "$T/cloud.log") - lines0 ))
check "cloud-sim: at most 30 log lines about it ($added)" test "$added" -le 30
stop_cloud
[ "$tap_failed" -eq 0 ] && [ "$tap_n" -eq 14 ]
