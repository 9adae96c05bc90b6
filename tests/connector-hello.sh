#!/bin/bash
# HELLO on connector.sock with the real ndes-crpd, ndes-connectord and cloud
# emulator: crpd says HELLO as crpd right after it connects; `ndes-connector
# diagnose` says HELLO as cli and PINGs, and its connection never becomes
# the RELOAD target.  crp_socket points nowhere, so the RELOAD for the
# signing certificates downloaded after registering can only go over
# crpd's own connection; crpd reloads and answers.  (Before HELLO, the
# newest peer that had sent no notification was the target: diagnose,
# connected after crpd, took it, and its end left none.)
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
CRPD=$top_builddir/crp/ndes-crpd
[ -x "$CRPD" ] || ce_skip_all "ndes-crpd is not built"
ce_setup
echo "1..6"

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config "log_level: debug"
sed -i "s|^crp_socket: .*|crp_socket: $T/nowhere.sock|" "$T/conn.yaml"
start_daemon
L=$T/daemon.log

cat > "$T/crpd.yaml" <<EOF2
tenant_id: $(cat /proc/sys/kernel/random/uuid)
state_dir: $T/state
ipc: {socket: $T/crp.sock}
connector: {socket: $T/connector.sock, retry_interval: 1s}
http: {address: 127.0.0.1, port: 0}
events: $(grep '^events:' "$T/conn.yaml" | sed 's/^events: //' | sed "s|events.json|crpd-events.json|")
EOF2
"$CRPD" --config "$T/crpd.yaml" >>"$T/crpd.log" 2>&1 &
CRPD_PID=$!
DAEMON_PIDS="$DAEMON_PIDS $CRPD_PID"
check "crpd says HELLO as crpd (logged at info, with its pid)" wait_for 10 grep -q \
    "peer connected on connector.sock (pid $CRPD_PID, uid $(id -u)): ndes-crpd [^ ]*, it said HELLO: RELOAD goes to it" "$L"

conn diagnose > "$T/diag.out" 2>&1
check "diagnose: ndes-connectord answers (after its HELLO)" grep -q \
    "^OK    connector socket: $T/connector.sock: mode 0660, ndes-connectord answers PING" "$T/diag.out"
check "diagnose says HELLO as cli and is logged as a PING-only peer" wait_for 10 grep -q \
    "PING only so far (HELLO as cli, version [^ ]*: a check such as ndes-connector diagnose)" "$L"

register
check "after registering, RELOAD goes over crpd's connection (crp.sock cannot be reached)" \
    wait_for 20 grep -q "asked ndes-crpd to reload over its connection (new signing certificates; $T/nowhere.sock: " "$L"
check "... crpd reloads and answers on it" wait_for 10 grep -q "ndes-crpd reloaded: " "$L"
check "no RELOAD was lost" not grep -q "cannot ask ndes-crpd to reload" "$L"
