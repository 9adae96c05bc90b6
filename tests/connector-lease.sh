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
#     them.  The emulator keeps its rule per request: a result counts only
#     from the connector that took the request last.  So each of a's late
#     results is either answered notLeaseholder (not recorded, a warning in
#     the emulator's log) or, when a was so slow (a loaded machine) that b's
#     lease ran out meanwhile and a took the request again, recorded from a,
#     the request then handed out 3 times (a, b, a).  a settles them (its
#     outbox empties); b resumes; each request is issued exactly once in the
#     emulator's store, by the connector that held its lease; the CA's
#     index.txt has a's late certificates too, as documented.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
K=5
echo "1..13"

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
# late_refused ID: the emulator refused a's result for request ID
late_refused() {
	grep -q "requestId $1: a result from connector $A, which does not hold its lease: not recorded" \
	    "$T/cloud.log"
}
# rows: "PART ID CONNECTOR DELIVERIES STATUS" of every PKCS request, PART 2
# for the ones b took from a in part 2 (part2.ids), else 1
rows() {
	cloud show pkcs | jq -r --rawfile ids "$T/part2.ids" '.value[] | (.requestId as $r |
	    if $ids | split("\n") | any(.[]; . == $r) then 2 else 1 end) as $p |
	    "\($p) \(.requestId) \(.connectorId) \(.deliveries) \(.status)"'
}
# part_rows PART CONNECTOR DELIVERIES: issued, by that connector, handed out
# that many times
part_rows() {
	rows | awk -v p="$1" -v c="$2" -v d="$3" '$1 == p && $3 == c && $4 == d && $5 == "issued"' |
	    wc -l
}
# part2_tally: "SETTLED AGAIN": how many of a's late results of part 2 the
# emulator settled by its rule (refused, or recorded from a, which took the
# request again: its 3rd hand-out), and how many of the refused ones a took
# again
part2_tally() {
	local p id c d st settled=0 again=0
	while read -r p id c d st; do
		[ "$p" = 2 ] || continue
		if late_refused "$id"; then
			settled=$((settled + 1))
			[ "$c $d" != "$A 3" ] || again=$((again + 1))
		elif [ "$c $d $st" = "$A 3 issued" ]; then
			settled=$((settled + 1))
		fi
	done < <(rows)
	echo "$settled $again"
}
late_results_settled() { part2_tally | cut -d' ' -f1; }
pkcs_done() { echo "$(pkcs_all status) $(pkcs_all attempts)"; }
# outbox_left NODE: results not yet delivered and downloaded work not yet done
outbox_left() { "$CONNECTOR" -c "$T/$1.yaml" status --json | jq '.queue.depth + .queue.work'; }
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
cloud show pkcs | jq -r --arg c "$B" '.value[] | select(.connectorId == $c) | .requestId' \
    >"$T/part2.ids"
kill -STOP "$NODE_PID_b"
kill -CONT "$NODE_PID_a"
release_ca
check "a's late results: each refused notLeaseholder (a warning in the emulator's log), or recorded from a, which took it again when b's lease ran out" \
    wait_for 20 test_eq_cmd "$K" late_results_settled
kill -CONT "$NODE_PID_b"	# before its leases run out (else a may take them again)
check "a settled them: nothing left in its outbox, no work" wait_for 10 test_eq_cmd 0 outbox_left a
check "each of the $((2 * K)) requests issued, its result recorded once" \
    wait_for 20 test_eq_cmd "$((2 * K))xissued $((2 * K))x1" pkcs_done
check_eq "the store: part 1's $K issued by a, handed out once" "$(part_rows 1 "$A" 1)" "$K"
n_again=$(part_rows 2 "$A" 3)
check_eq "part 2's $K issued by their leaseholder: b (handed out to a, then b) or a ($n_again, taken again after b's lease ran out)" \
    "$(($(part_rows 2 "$B" 2) + n_again))" "$K"
check "b settled its own: nothing left in its outbox, no work" wait_for 10 test_eq_cmd 0 outbox_left b
# a's late certificates stand in index.txt, never delivered: $K (part 1), $K
# of b's, $K of a's late ones, and one more for each request a took again
# and issued anew (at least those whose first result was refused)
lines=$(index_lines)
check "the CA: a's $K late certificates are in index.txt too ($lines lines for $((3 * K)) + $n_again taken again)" \
    test "$lines" -ge "$((3 * K + $(part2_tally | cut -d' ' -f2)))" -a "$lines" -le "$((3 * K + n_again))"
cloud show pkcs | jq -r '.value[].certificateSerialNumber' | serials_norm > "$T/store.serials"
check_eq "the store names $((2 * K)) different serials, all in index.txt" \
    "$(sort -u "$T/store.serials" | wc -l) $(cut -f4 "$T/ca/index.txt" | serials_norm |
    comm -12 - "$T/store.serials" | wc -l)" "$((2 * K)) $((2 * K))"
exit 0
