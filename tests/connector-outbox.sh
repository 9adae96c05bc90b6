#!/bin/bash
# The outbox against the real cloud emulator: 1,000 notifications queued
# while the cloud is down (20302 with 0x1202), the cloud back, kill -9 of the
# daemon in the middle of uploading, a restart: the cloud has all 1,000,
# each once.  Then a full outbox: new work refused (20302 with 0x1201),
# nothing dropped.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
echo "1..17"

notif_entries() { cloud show notifications | grep -c '^      "transactionId": "bulk-'; }
notif_unique() { cloud show notifications | grep '^      "transactionId": "bulk-' | sort -u | wc -l; }
at_least() { [ "$("$2")" -ge "$1" ]; }

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config
register || { echo "Bail out! cannot register"; exit 1; }
stop_cloud

start_daemon
feed 1000 bulk
check "1,000 notifications acknowledged while the cloud is down" grep -qx 'acked 1000' "$T/feed.out"
check "20302 with 0x00001202 while the cloud is unreachable" wait_event 20302 0x00001202 'stay in the outbox'
check "20402 with 0x00001202: downloads fail too" wait_event 20402 0x00001202 'cannot connect'
conn status --json > "$T/status.json"
check "status: queue depth 1000 and the upload error" bash -c "
    grep -q '\"depth\": 1000' $T/status.json &&
    jq -e '.errors.upload.message | test(\"cannot connect\")' $T/status.json >/dev/null"
conn queue --limit 2 > "$T/queue.out"
check "queue lists what waits, with attempts and the last error" \
    grep -q 'failureNotification *waiting *n:bulk-1 .*attempts=[1-9].*last error: cannot connect' "$T/queue.out"

start_cloud || { echo "Bail out! the emulator did not restart"; exit 1; }
wait_for 30 at_least 50 notif_entries
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
n=$(notif_entries)
check "killed in the middle of uploading ($n of 1000 arrived)" test "$n" -ge 50 -a "$n" -lt 1000
start_daemon
check "after a restart the cloud has all 1,000" wait_for 90 at_least 1000 notif_entries
check "... each once" test "$(notif_entries)" -eq 1000 -a "$(notif_unique)" -eq 1000
check "20300 Upload_Success" wait_event 20300 0x00000000 'uploaded'
wait_for 10 bash -c "\"$CONNECTOR\" -c $T/conn.yaml status --json | grep -q '\"depth\": 0'"
check "the outbox is empty again" bash -c "\"$CONNECTOR\" -c $T/conn.yaml status --json | grep -q '\"depth\": 0'"

# --- a notification the cloud refuses for good is kept, marked rejected
"$FEED" "$T/connector.sock" 1 poison invalid >/dev/null
"$FEED" "$T/connector.sock" 1 after >/dev/null
check "a refused notification: 20302 with 0x00001204 naming the field" \
    wait_event 20302 0x00001204 'callerInfo.*: required'
check "... kept in the outbox as rejected" wait_for 10 bash -c \
    "\"$CONNECTOR\" -c $T/conn.yaml queue | grep -q 'rejected *n:poison-1 .*HTTP 400 invalid_request'"
check "... and the next one still arrives" wait_for 20 bash -c \
    "\"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"transactionId\": \"after-1\"'"
stop_daemon

# --- a full outbox
stop_cloud
# the rejected item above stays and counts: room for 5 more
MAX_ITEMS=6 conn_config
start_daemon
feed 8 full
check "a full outbox refuses the 6th notification (UNAVAILABLE), keeps 5" \
    feed_refused $? 5 'outbox is full'
check "20302 with 0x00001201 (outbox full)" wait_event 20302 0x00001201 'full (6 items.*notification full-6 refused'
start_cloud
wait_for 30 bash -c "\"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"transactionId\": \"full-5\"'"
feed 3 more
check "with room again new work is taken" grep -qx 'acked 3' "$T/feed.out"
full_arrived() {
	[ "$(cloud show notifications | grep -c '^      "transactionId": "\(full-[1-5]\|more-[1-3]\)"')" -eq 8 ]
}
check "the 5 kept and the 3 new all arrive" wait_for 30 full_arrived
stop_daemon
exit 0
