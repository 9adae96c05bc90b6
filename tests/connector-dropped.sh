#!/bin/bash
# A cloud whose connections break in the middle of a call
# (tests/lib/drop_server: real TLS, the request read whole, then the
# connection reset after a few bytes of the answer, or closed after a
# short body, or closed without an answer): uploads fail with 20302 and
# downloads with 20402, both carrying the network code 0x00001202, never
# 0x0FFFFFFF; the notifications stay queued and arrive, each once, when the
# real cloud answers again (SIGHUP back to the emulator's URL).
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
DROP_SERVER=$top_builddir/tests/lib/drop_server
[ -x "$DROP_SERVER" ] || ce_skip_all "tests/lib/drop_server is not built"
ce_setup
echo "1..11"

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config
register || { echo "Bail out! cannot register"; exit 1; }
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$T/drop.key" -out "$T/drop.pem" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost 2>/dev/null
cp "$T/conn.yaml" "$T/conn.real.yaml"

# drop MODE: the drop server in that mode, the connector pointed at it
drop() {
	[ -n "${DROP_PID:-}" ] && { kill "$DROP_PID"; wait "$DROP_PID" 2>/dev/null; }
	rm -f "$T/drop.port"
	"$DROP_SERVER" "$T/drop.pem" "$T/drop.key" "$T/drop.port" "$1" >>"$T/drop.log" 2>&1 &
	DROP_PID=$!
	wait_for 10 test -s "$T/drop.port" || { echo "Bail out! drop_server did not start"; exit 1; }
	{ cat "$T/conn.real.yaml"
	  echo "cloud: {url: 'https://localhost:$(cat "$T/drop.port")', ca_cert: $T/drop.pem}"; } \
	    > "$T/conn.yaml"
}
trap 'kill ${DROP_PID:-} 2>/dev/null; ce_cleanup' EXIT
dropped() { grep -c "^$1 POST /ScepActions/failureNotification" "$T/drop.log"; }
at_least() { [ "$("$2" "$3")" -ge "$1" ]; }

drop reset
start_daemon
feed 3 cut
check "3 notifications acknowledged" grep -qx 'acked 3' "$T/feed.out"
check "the connection is reset mid-answer" wait_for 20 at_least 1 dropped reset
check "20302 with 0x00001202 (not 0x0FFFFFFF) for a reset" \
    wait_event 20302 0x00001202 'localhost:[0-9]* \(reset\|closed\) the connection'
check "20402 with 0x00001202 for the downloads" \
    wait_event 20402 0x00001202 'localhost:[0-9]* \(reset\|closed\) the connection'

drop eof
kill -HUP "$DAEMON_PID"
check "a short body" wait_for 20 at_least 1 dropped eof
check "20302 with 0x00001202 for a truncated body" \
    wait_event 20302 0x00001202 'closed the connection mid-response'

drop close
kill -HUP "$DAEMON_PID"
check "no answer at all" wait_for 20 at_least 1 dropped close
check "20302 with 0x00001202 for a close without an answer" \
    wait_event 20302 0x00001202 'closed the connection without a response'
check "never 0x0FFFFFFF" not has_event 20302 0x0FFFFFFF

kill "$DROP_PID"; wait "$DROP_PID" 2>/dev/null; DROP_PID=
cp "$T/conn.real.yaml" "$T/conn.yaml"
kill -HUP "$DAEMON_PID"
arrived() { [ "$(cloud show notifications | grep -c '^      "transactionId": "cut-')" -eq 3 ]; }
check "the real cloud back: all 3 arrive, each once" wait_for 30 arrived
check "20300" wait_event 20300 0x00000000 'uploaded'
stop_daemon
exit 0
