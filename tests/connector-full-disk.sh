#!/bin/bash
# ndes-connectord with its outbox on a small file system (a tmpfs mounted
# for the test: root only) and the real cloud emulator up.
#   1. 400 notifications through a 3 MB file system: every one acknowledged
#      and delivered; the WAL stays within 1 MiB (and one commit) while they flow and is
#      empty once idle (it used to grow to 4 MB, filling the file system).
#   2. The file system full, 40 notifications queued, the cloud reachable:
#      no delivery loop (deliveries counted at the emulator), 20302 with
#      0x00001205, no 20300 for what the outbox could not settle, a new
#      notification from crpd refused (never acknowledged) with 20302 and
#      0x00001205.  Space back: all 40 delivered, each recorded once, 20300,
#      the refused one taken.
#   3. The same for a notification the cloud refuses for good (400) whose
#      rejected mark cannot be written: no loop; marked rejected once space
#      is back, the next one delivered.  The outbox's and the emulator's
#      WALs are empty once idle.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
[ "$(id -u)" -eq 0 ] || ce_skip_all "mounting a small tmpfs for the outbox needs root"
ce_setup
echo "1..23"

M=$T/state/connector
fd_cleanup() {
	rm -f "$T/filling"
	[ -n "${FILL_PID:-}" ] && kill "$FILL_PID" 2>/dev/null
	for p in ${DAEMON_PID:-} ${CLOUD_PID:-}; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	umount "$M" 2>/dev/null
	ce_cleanup
}
trap fd_cleanup EXIT

wal_size() { stat -c %s "$M/outbox.db-wal" 2>/dev/null || echo 0; }
wal_empty() { [ "$(wal_size)" -eq 0 ]; }
# deliveries of PREFIX-n notifications the emulator answered (200 or 400)
deliveries() {
	grep -c "notification for transaction $1-\|failureNotification from .*: 400 " \
	    "$T/cloud.log"
}
recorded() { cloud show notifications | grep -c "^      \"transactionId\": \"$1-"; }
recorded_unique() {
	cloud show notifications | grep "^      \"transactionId\": \"$1-" | sort -u | wc -l
}
at_least() { [ "$("$2" "$3")" -ge "$1" ]; }
depth_zero() { conn status --json | grep -q '"depth": 0'; }
# fill the file system, and keep it full while the daemon frees WAL space
# (until $T/filling goes: unfill waits for the loop's last dd, so no dd
# started before the kill can fill the file system again after the rm)
fill() {
	dd if=/dev/zero of="$M/filler" bs=4k 2>/dev/null
	: >"$T/filling"
	( while [ -e "$T/filling" ] && sleep 0.05; do dd if=/dev/zero of="$M/filler" \
	    bs=4k oflag=append conv=notrunc 2>/dev/null; done ) &
	FILL_PID=$!
}
# full_for PREFIX SECONDS: fill the file system (the WAL emptied first, so
# the next commit must grow it), start the cloud and count the deliveries
# of PREFIX-n over SECONDS into $n
full_for() {
	local before
	wait_for 5 wal_empty
	fill
	start_cloud || { echo "Bail out! the emulator did not restart"; exit 1; }
	before=$(deliveries "$1")
	sleep "$2"
	n=$(( $(deliveries "$1") - before ))
	echo "# deliveries of $1-n in $2 s with the outbox's file system full: $n"
}
unfill() {
	rm -f "$T/filling"
	wait "$FILL_PID" 2>/dev/null
	FILL_PID=
	rm -f "$M/filler"
}

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
DL_INTERVAL=60s conn_config
register || { echo "Bail out! cannot register"; exit 1; }
mkdir -p -m 700 "$M"
mount -t tmpfs -o size=3m,mode=0700 tmpfs "$M" || { echo "Bail out! cannot mount a tmpfs"; exit 1; }

# --- 1. a steady flow through a small file system
start_daemon
( while sleep 0.05; do wal_size; done ) > "$T/wal.sizes" &
WATCH=$!
for i in $(seq 1 20); do
	feed 20 "flow$i" || break
done
check "400 notifications through a 3 MB file system, each acknowledged" \
    test "$i" -eq 20 -a -n "$(grep -x 'acked 20' "$T/feed.out")"
flow_all() { [ "$(cloud show notifications | grep -c '^      "transactionId": "flow')" -eq 400 ]; }
check "... and delivered" wait_for 60 flow_all
kill "$WATCH"; wait "$WATCH" 2>/dev/null
max=$(sort -n "$T/wal.sizes" | tail -1)
echo "# outbox WAL while 400 notifications flowed: at most $max bytes"
check "the WAL stayed within 1 MiB (and one commit) while they flowed ($max bytes)" test "$max" -le $((1048576 + 65536))
check "the WAL is emptied once idle" wait_for 5 wal_empty
stop_daemon

# --- 2. a full file system with the cloud reachable
stop_cloud
DAEMON_PIDS=
start_daemon
feed 40 fd
check "40 notifications acknowledged while the cloud is down" grep -qx 'acked 40' "$T/feed.out"
wait_event 20302 0x00001202 'stay in the outbox'
full_for fd 6
check "no delivery loop: $n deliveries in 6 s (backoff)" test "$n" -ge 1 -a "$n" -le 12
check "20302 with 0x00001205: the outbox cannot record the delivery" \
    has_event 20302 0x00001205 'outbox cannot record that the item was delivered'
check "no 20300 for notifications the outbox could not settle" not has_event 20300 0x00000000
feed 1 late
check "a notification from crpd is refused, not acknowledged" \
    feed_refused $? 0 'cannot write its outbox'
check "... with 20302 and 0x00001205" has_event 20302 0x00001205 'notification late-1 refused'
check "all 40 stay queued" bash -c "\"$CONNECTOR\" -c $T/conn.yaml status --json |
    grep -q '\"depth\": 40'"

unfill
check "space back: all 40 arrive" wait_for 30 at_least 40 recorded fd
check "... each recorded once" test "$(recorded fd)" -eq 40 -a "$(recorded_unique fd)" -eq 40
check "20300 once they are settled" wait_event 20300 0x00000000 'uploaded'
check "the outbox is empty again" wait_for 10 depth_zero
feed 1 late
check "the refused notification is taken now" grep -qx 'acked 1' "$T/feed.out"
check "... and delivered" wait_for 20 at_least 1 recorded late

# --- 3. a refusal for good whose mark cannot be written
stop_cloud
"$FEED" "$T/connector.sock" 1 poison invalid >/dev/null
"$FEED" "$T/connector.sock" 1 after >/dev/null
full_for poison 5
check "no loop on a refusal that cannot be marked: $n in 5 s" test "$n" -ge 1 -a "$n" -le 10
check "20302 with 0x00001205 for it" \
    has_event 20302 0x00001205 'outbox cannot record that the item was refused for good'
unfill
check "space back: kept as rejected" wait_for 20 bash -c \
    "\"$CONNECTOR\" -c $T/conn.yaml queue | grep -q 'rejected *n:poison-1 .*HTTP 400'"
check "... and the next one delivered" wait_for 20 at_least 1 recorded after
check "the WAL is emptied once idle" wait_for 5 wal_empty
cloud_wal_empty() { [ "$(stat -c %s "$T/cloud/cloud.db-wal" 2>/dev/null || echo 0)" -eq 0 ]; }
check "so is the emulator's (cloud.db)" wait_for 5 cloud_wal_empty
stop_daemon
exit 0
