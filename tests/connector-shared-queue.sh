#!/bin/bash
# Two connectors registered to one tenant share its queues (docs/cloud-api.md,
# "Several connectors on one tenant"): the real emulator and two real
# ndes-connectord, each with its own registration and state, both issuing
# from and revoking on the one CA folder, drain 200 PKCS requests and then
# 200 revocations of those certificates.  Every request is issued once and
# every certificate revoked once, counted in the emulator's store and in the
# CA's index.txt, and each connector took some of each.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
N=${SHARED_QUEUE_N:-200}
ISSUER='CN=Contoso Issuing CA,O=Contoso'
echo "1..14"

ec_tenant
start_cloud --lease-seconds 120 || { echo "Bail out! the emulator did not start"; exit 1; }

# count_status LIST STATUS: entries of the emulator's list with that status
count_status() { cloud show "$1" | grep -c "\"status\": \"$2\""; }
all_done() { [ "$(count_status "$1" "$2")" -eq "$N" ]; }
# per_connector LIST: "n1 n2" entries per connector ID, most first
per_connector() {
	cloud show "$1" | grep -o '"connectorId": "[^"]*"' | sort | uniq -c | sort -rn |
	    awk '{ print $1 }' | paste -sd ' '
}
both_took_some() {	# "a b" -> both > 0 and a + b = N
	set -- $1
	[ $# -eq 2 ] && [ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ $(($1 + $2)) -eq "$N" ]
}
# handed_out_once FILE: every entry of the list in FILE was handed out and
# answered once
handed_out_once() {
	[ "$(grep -c '"deliveries": 1,' "$1")" -eq "$N" ] &&
	    [ "$(grep -c '"attempts": 1,' "$1")" -eq "$N" ]
}
# drained LIST STATUS WHAT: 3 checks, the list saved in $T/LIST.json
drained() {
	local split
	check "all $N $3 done" wait_for 45 all_done "$1" "$2"
	echo "# $3 drained $(( $(date +%s) - start )) s after the first request"
	cloud show "$1" > "$T/$1.json"
	check "each was handed out once (deliveries 1) and answered in one attempt" \
	    handed_out_once "$T/$1.json"
	split=$(per_connector "$1")
	echo "# $3 per connector: $split"
	check "both connectors took some" both_took_some "$split"
}
# event_sums OK_ID FAIL_ID: "<OK_ID events> <FAIL_ID events>" over both nodes
event_sums() {
	echo "$(( $(node_events a "$1") + $(node_events b "$1") )) $(( $(node_events a "$2") + $(node_events b "$2") ))"
}

start=$(date +%s)
queue_pkcs "$N" || { echo "Bail out! cannot queue the PKCS requests"; exit 1; }
echo "# queued $N PKCS requests in $(( $(date +%s) - start )) s"
start_node a && start_node b || { echo "Bail out! the connectors did not start"; exit 1; }

# --- PKCS: issued once each
drained pkcs issued "PKCS requests"
grep -o '"certificateSerialNumber": "[^"]*"' "$T/pkcs.json" | cut -d'"' -f4 | serials_norm > "$T/serials"
check_eq "$N different serials in the emulator's store" "$(sort -u "$T/serials" | wc -l)" "$N"
check_eq "the CA's index.txt holds exactly $N certificates" "$(grep -c '^V' "$T/ca/index.txt")" "$N"
check "... and they are the emulator's serials" cmp -s "$T/serials" \
    <(cut -f4 "$T/ca/index.txt" | serials_norm)
check_eq "20100 PkcsCertIssue_Success $N times over both connectors, no 20102" \
    "$(event_sums 20100 20102)" "$N 0"

# --- revocations of those certificates: revoked once each
while read -r s; do
	cloud revoke --serial "$s" --issuer "$ISSUER" --raw >/dev/null ||
	    { echo "Bail out! cannot queue the revocation of $s"; exit 1; }
done < "$T/serials"
drained revocations revoked revocations
check_eq "index.txt: $N revoked, none valid" \
    "$(grep -c '^R' "$T/ca/index.txt") $(grep -c '^V' "$T/ca/index.txt")" "$N 0"
check_eq "the CRL lists $N serials" "$("$OPENSSL" crl -in "$T/ca/crl.pem" -noout -text |
    grep -c 'Serial Number')" "$N"
check_eq "20200 RevokeCert_Success $N times over both connectors, no 20202" \
    "$(event_sums 20200 20202)" "$N 0"
check "the emulator refused no result as not the leaseholder's" not grep -q 'does not hold its lease' "$T/cloud.log"
echo "# total $(( $(date +%s) - start )) s"
exit 0
