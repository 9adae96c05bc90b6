#!/bin/bash
# ndes-connector status with real daemons: crpd started after connectord (the
# crpd error until crpd's HELLO gets the RELOAD); both answer (pid, uptime, version);
# ndes-connectord stopped (not running, exit 10); an upload failure while the
# cloud emulator is stopped (the error with its time, exit 11), kept across a
# restart of ndes-connectord, cleared by the next upload once the cloud is
# back; ndes-crpd's socket ACL refusing the caller (its reason printed); a
# socket that never answers (no answer within the 1 s budget).
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
CRPD=$top_builddir/crp/ndes-crpd
[ -x "$CRPD" ] || ce_skip_all "ndes-crpd is not built"
command -v jq >/dev/null || ce_skip_all "jq is not installed"
ce_setup
PLAN=24
echo "1..$PLAN"

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config
register || { echo "Bail out! cannot register"; exit 1; }
tenant=$(jq -r .tenantId "$T/state/registration/registration.json")
# crpd_config FILE DIR: a crpd of the same tenant with its state and socket in DIR
crpd_config() {
	cat > "$1" <<EOF2
tenant_id: $tenant
state_dir: $2
ipc: {socket: ${3:-$2}/crp.sock}
connector: {socket: $T/connector.sock, retry_interval: 1s}
events: {sink: file, path: $2/events.json}
EOF2
}
crpd_config "$T/crpd.yaml" "$T/state" "$T"
jqt() { jq -e "$@" >/dev/null; }
st() { conn status --crpd-config "$T/crpd.yaml" "$@"; }

# --- 0. connectord first: the RELOAD after its download does not reach crpd
start_daemon
DAEMON_PIDS="$DAEMON_PID"
wait_event 20400 0x00000000 'challenge-signing certificates'
wait_for 10 grep -q 'cannot ask ndes-crpd to reload' "$T/daemon.log"
st --json > "$T/s.json"; rc=$?
check_eq "crpd not started: exit 10" "$rc" 10
check "... not running, and the crpd error (RELOAD did not reach it)" jqt '
    .daemons["ndes-crpd"].state == "not running" and
    (.errors.crpd.message | test("cannot ask ndes-crpd to reload"))' "$T/s.json"
"$CRPD" --config "$T/crpd.yaml" >>"$T/crpd.log" 2>&1 &
CRPD_PID=$!
wait_for 10 test -S "$T/crp.sock" || { echo "Bail out! crpd did not start"; exit 1; }
check "crpd comes: its HELLO gets the RELOAD, the error is cleared" wait_for 10 st

# --- 1. both answer
t0=$(date +%s%N)
st > "$T/out"; rc=$?
echo "# status with both daemons answering took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check_eq "both daemons answer, no error: exit 0" "$rc" 0
check "... ndes-connectord answers, with its pid and uptime" \
    grep -Eq "^ndes-connectord: +answers \(pid $DAEMON_PID, up [0-9]+s, version [^ ]+\) on $T/connector.sock\$" "$T/out"
check "... ndes-crpd too" \
    grep -Eq "^ndes-crpd: +answers \(pid $CRPD_PID, up [0-9hms ]+, version [^ ]+\) on $T/crp.sock\$" "$T/out"
check "... errors: none" grep -Eq '^errors: +none$' "$T/out"
st --json > "$T/s.json"
check "--json: daemons.*.state, pid, startedAt, uptimeSeconds" jqt --argjson c "$CRPD_PID" \
    --argjson d "$DAEMON_PID" '.daemons["ndes-crpd"] as $p | .daemons["ndes-connectord"] as $q |
    $p.state == "answers" and $p.pid == $c and $p.reason == null and ($p.startedAt | test("Z$")) and
    $p.uptimeSeconds >= 0 and $q.state == "answers" and $q.pid == $d and .errors == {}' "$T/s.json"

# --- 2. the cloud stopped: an upload fails
stop_cloud
feed 3 down
check "notifications acknowledged while the cloud is down" grep -qx 'acked 3' "$T/feed.out"
wait_event 20302 0x00001202 'stay in the outbox'
st --json > "$T/s.json"; rc=$?
check_eq "an upload error is current: exit 11" "$rc" 11
check "--json: errors.upload with its message, since and last" jqt '.errors.upload |
    (.message | test("upload failed .*cannot connect")) and (.since | test("^20[0-9-]+T[0-9:]+Z$")) and
    .last >= .since' "$T/s.json"
since=$(jq -r .errors.upload.since "$T/s.json")
st > "$T/out"
check "text: the error with its activity and time" \
    grep -Eq "^error: +upload since $since \(last [^)]+\): upload failed .*cannot connect" "$T/out"

# --- 3. ndes-connectord stopped, then restarted: the error is kept
stop_daemon
st > "$T/out"; rc=$?
check_eq "ndes-connectord stopped: exit 10" "$rc" 10
check "... it is not running (the socket gone)" \
    grep -Eq "^ndes-connectord: +not running: $T/connector.sock: .*No such file or directory" "$T/out"
check "... the error is still shown while it is down" grep -q "^error: .*upload since $since" "$T/out"
start_daemon
DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
sleep 1
st --json > "$T/s.json"
check "after a restart the upload error is kept, with the same since" \
    jqt --arg s "$since" '.errors.upload.since == $s and .daemons["ndes-connectord"].state == "answers"' "$T/s.json"

# --- 4. the cloud back: one upload succeeds, the error is cleared
start_cloud || { echo "Bail out! the emulator did not restart"; exit 1; }
check "the notifications reach the cloud" wait_for 30 bash -c \
    "\"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"transactionId\": \"down-3\"'"
cleared() { conn status --crpd-config "$T/crpd.yaml" --json | jqt '.errors.upload == null'; }
check "the upload error is cleared by the next upload" wait_for 20 cleared
wait_for 20 st
st --json > "$T/s.json"; rc=$?
check_eq "no error left: exit 0" "$rc" 0
check "... errors {} and lastUpload after the error began" \
    jqt --arg s "$since" '.errors == {} and .lastUpload >= $s' "$T/s.json"

# --- 5. crpd's ACL refuses the caller: the reason it sends is printed
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod 711 "$T"
	mkdir -m 700 "$T/crpd2" && chown nobody "$T/crpd2"
	crpd_config "$T/crpd2/crpd.yaml" "$T/crpd2"
	chown nobody "$T/crpd2/crpd.yaml"
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$CRPD" --config "$T/crpd2/crpd.yaml" >>"$T/crpd2.log" 2>&1 &
	CRPD2_PID=$!
	wait_for 10 test -S "$T/crpd2/crp.sock"
	conn status --crpd-config "$T/crpd2/crpd.yaml" > "$T/out"; rc=$?
	kill "$CRPD2_PID"; wait "$CRPD2_PID" 2>/dev/null
	check_eq "crpd refuses this uid: exit 10" "$rc" 10
	check "... the refusal's reason is printed" grep -Eq \
	    "^ndes-crpd: +refused: $T/crpd2/crp.sock: uid 0 is not allowed: add it to ipc.allowed_uids .* in $T/crpd2/crpd.yaml" "$T/out"
else
	skip "crpd's ACL: not root, or no setpriv or nobody"
	skip "crpd's ACL: not root, or no setpriv or nobody"
fi

# --- 6. a socket that accepts and never answers: no answer within 1 s
if command -v python3 >/dev/null; then
	python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
c=s.accept(); time.sleep(30)' "$T/mute.sock" &
	MUTE_PID=$!
	wait_for 5 test -S "$T/mute.sock"
	sed "s|ipc: {socket: $T/crp.sock}|ipc: {socket: $T/mute.sock}|" "$T/crpd.yaml" > "$T/mute.yaml"
	t0=$(date +%s%N)
	conn status --crpd-config "$T/mute.yaml" --json > "$T/s.json"; rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	kill "$MUTE_PID" 2>/dev/null; wait "$MUTE_PID" 2>/dev/null
	echo "# status against a mute socket took $ms ms"
	check "a mute crpd: no answer, exit 10" jqt '.daemons["ndes-crpd"].state == "no answer" and
	    (.daemons["ndes-crpd"].reason | test("within 1000 ms"))' "$T/s.json"
	check "... within the 1 s budget (took $ms ms)" test "$rc" -eq 10 -a "$ms" -lt 3000
else
	skip "no python3 for a mute socket"
	skip "no python3 for a mute socket"
fi
stop_daemon
exit 0
