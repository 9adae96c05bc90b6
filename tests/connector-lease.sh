#!/bin/bash
# The lease rules with the real emulator and two real connectors
# (docs/cloud-api.md, "Several connectors on one tenant"), made
# deterministic by holding the CA folder's lock (.ndes-ca.lock, which every
# issuance takes) so that a connector sits on its leased requests past the
# lease (8 s), and by freezing connectors with SIGSTOP:
#  1. connector a alone, late: its results come after its leases ran out,
#     but nobody took the requests meanwhile: recorded, handed out once;
#  2. a frozen past its leases; b takes the requests and is frozen in turn
#     before it reports; a resumes, issues its own certificates and uploads
#     them: answered notLeaseholder, not recorded, and a settles them (its
#     outbox empties); b resumes and its results are recorded.  Each request
#     is issued once in the emulator's store; the CA's index.txt has a's
#     late certificates too, as documented.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
K=5
echo "1..12"

ec_tenant
LEASE=8 LEASE_WAIT=9
start_cloud --lease-seconds "$LEASE" || { echo "Bail out! the emulator did not start"; exit 1; }
LOCK=$T/ca/.ndes-ca.lock
install -m 600 /dev/null "$LOCK"
hold_ca() { exec 9>>"$LOCK" && flock -x 9; }
# test_eq_cmd N COMMAND...: the command prints N
test_eq_cmd() { local n=$1; shift; [ "$("$@")" = "$n" ]; }
release_ca() { flock -u 9; exec 9>&-; }
# pkcs_rows STATUS CONNECTOR_ID: the emulator's PKCS requests in that state,
# last handed to that connector
pkcs_rows() {
	cloud show pkcs | jq --arg s "$1" --arg c "$2" \
	    '[.value[] | select(.status == $s and .connectorId == $c)] | length'
}
rows_are() { [ "$(pkcs_rows "$1" "$2")" -eq "$3" ]; }
# pkcs_all FIELD: how many PKCS requests have each value of FIELD: "5x1 5x2"
pkcs_all() {
	cloud show pkcs | jq -r ".value[].$1" | sort | uniq -c | awk '{ print $1 "x" $2 }' |
	    paste -sd ' '
}
index_lines() { grep -c '^V' "$T/ca/index.txt"; }
late_warnings() {
	grep -c "a result from connector $A, which does not hold its lease: not recorded" \
	    "$T/cloud.log"
}
outbox_depth() { "$CONNECTOR" -c "$T/$1.yaml" status --json | jq .queue.depth; }
# a_sits_on_new_requests: a leases K new requests in one download and waits
# for the CA, which this shell holds (a is stopped while they are queued, so
# that one download takes them all)
a_sits_on_new_requests() {
	hold_ca
	kill -STOP "$NODE_PID_a"
	queue_pkcs "$K" || { echo "Bail out! cannot queue PKCS requests"; exit 1; }
	kill -CONT "$NODE_PID_a"
	check "a leased $K new requests and waits for the CA" wait_for 20 rows_are pending "$A" "$K"
}

start_node a || { echo "Bail out! connector a did not start"; exit 1; }
A=$(node_id a)

# --- 1. the leaseholder late, nobody else took them: recorded
a_sits_on_new_requests
sleep "$LEASE_WAIT"	# the leases ran out
release_ca
check "a's late results are recorded (nobody took the requests meanwhile)" \
    wait_for 20 rows_are issued "$A" "$K"
check_eq "each handed out once, answered once" "$(pkcs_all deliveries) $(pkcs_all attempts)" \
    "${K}x1 ${K}x1"

# --- 2. a frozen past its leases; b took the requests and sits on them
start_node b || { echo "Bail out! connector b did not start"; exit 1; }
B=$(node_id b)
kill -STOP "$NODE_PID_b"
a_sits_on_new_requests
kill -STOP "$NODE_PID_a"
sleep "$LEASE_WAIT"	# a's leases ran out
kill -CONT "$NODE_PID_b"
check "b took the $K requests a sat on, and waits for the CA" wait_for 20 rows_are pending "$B" "$K"
kill -STOP "$NODE_PID_b"
kill -CONT "$NODE_PID_a"
release_ca
check "a's late results: notLeaseholder, a warning each in the emulator's log" \
    wait_for 20 test_eq_cmd "$K" late_warnings
kill -CONT "$NODE_PID_b"	# before its leases run out (else a may take them again)
check "a settled them: its outbox is empty" wait_for 10 test_eq_cmd 0 outbox_depth a
check "b, the leaseholder, issued them and its results are recorded" \
    wait_for 20 rows_are issued "$B" "$K"
check_eq "the store: $K issued by a (part 1), $K by b" \
    "$(pkcs_rows issued "$A") $(pkcs_rows issued "$B")" "$K $K"
check_eq "b's $K were handed out twice (a, then b), each answered once" \
    "$(pkcs_all deliveries) $(pkcs_all attempts)" "${K}x1 ${K}x2 $((2 * K))x1"
check_eq "the CA: a's $K late certificates are in index.txt too (never delivered)" \
    "$(index_lines)" "$((3 * K))"
cloud show pkcs | jq -r '.value[].certificateSerialNumber' | serials_norm > "$T/store.serials"
check_eq "the store names $((2 * K)) different serials, all in index.txt" \
    "$(sort -u "$T/store.serials" | wc -l) $(cut -f4 "$T/ca/index.txt" | serials_norm |
    comm -12 - "$T/store.serials" | wc -l)" "$((2 * K)) $((2 * K))"
exit 0
