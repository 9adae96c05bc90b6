#!/bin/bash
# The demo's flow (scripts/lib/demo-*.sh, as scripts/demo.sh runs it) as an
# end-to-end test on the built tree: the cloud emulator, the connector,
# ndes-crpd, micromdm's scepserver with ndes-policy-exec and the depot
# watcher, ndes-device-sim.  Asserts the cloud's records against the issued
# certificates (thumbprints, serials), the CA's index.txt and CRL, and every
# event in journald (ID, exact code, device).  Prints TAP; skipped when the
# scep package, jq or a journald is missing.
set -u
. "$(dirname "$0")/lib/demo-test.sh"

demo_test_start
demo_flow
demo_save_cloud_view
check_eq "every step of the flow did what it should" "$DEMO_FAILS" 0
check_eq "the counts" "$(demo_summary_line)" \
	"demo: enrolled=4 refused=2 pkcs=1 revoked=1 notified=4 differs=1"

D=$DEMO_T/depot
# ---- the certificates scepserver issued ------------------------------------
# index_status SERIAL: V or R, from index.txt (serials compared without leading zeros)
index_status() {
	awk -F'\t' -v s="$1" '{ x = toupper($4); sub(/^0+/, "", x); if (x == s) print $1 }' \
		"$D/index.txt"
}
while IFS=$'\t' read -r kind name dev serial tp; do
	[ -n "$kind" ] || continue
	cert=$DEMO_T/enroll/$name/client.pem
	want=V
	[ "$serial" = "$DEMO_REVOKE_SERIAL" ] && want=R
	if [ "$kind" = scep ]; then
		check "$name: the device's certificate is in the depot" \
			test -n "$(grep -l "$(sed -n 2p "$cert")" "$D"/*.pem 2>/dev/null)"
		check "$name: issued by the depot's CA" quiet \
			"$OPENSSL" verify -CAfile "$D/ca.pem" -purpose sslclient "$cert"
		check_eq "$name: index.txt line of serial $serial" "$(index_status "$serial")" "$want"
		check_eq "$name: the cloud's successNotification has its thumbprint and serial" \
			"$(jq -r --arg t "$tp" '[.value[] | select(.kind == "success" and
				(.body.certificateThumbprint | ascii_upcase) == $t) |
				(.body.certificateSerialNumber | ascii_upcase | sub("^0+"; ""))] | join(",")' \
				"$DEMO_T/cloud-notifications.json")" "$serial"
		check_eq "$name: the notification carries the request of that certificate's key" \
			"$(jq -r --arg t "$tp" '.value[] | select((.body.certificateThumbprint |
				ascii_upcase) == $t) | .body.certificateRequest' \
				"$DEMO_T/cloud-notifications.json" | base64 -d |
				"$OPENSSL" req -inform DER -noout -pubkey 2>/dev/null)" \
			"$("$OPENSSL" x509 -in "$cert" -noout -pubkey)"
	else
		check_eq "$name: the cloud's PKCS record has the certificate's thumbprint and serial" \
			"$(jq -r --arg id "$DEMO_PKCS_ID" '.value[] | select(.requestId == $id) |
				"\(.status) \(.certificateThumbprint | ascii_upcase) \(.certificateSerialNumber |
				ascii_upcase | sub("^0+"; "")) \(.errorCode // 0)"' "$DEMO_T/cloud-pkcs.json")" \
			"issued $tp $serial 0"
		check_eq "$name: index.txt line of serial $serial (issued by the connector)" \
			"$(index_status "$serial")" "$want"
		check_eq "$name: the subject in index.txt is the profile's" \
			"$(awk -F'\t' -v s="$serial" 'toupper($4) ~ "^0*" s "$" { print $6 }' "$D/index.txt")" \
			"/emailAddress=bob.jones@contoso.com/CN=bob@contoso.com"
	fi
done <<<"$DEMO_ISSUED"
check_eq "five certificates issued (4 SCEP, 1 PKCS), serials distinct" \
	"$(cut -f4 <<<"$DEMO_ISSUED" | grep . | sort -u | wc -l)" 5

# ---- what the check after issuance found ---------------------------------------
# the example's profiles ask only for what scepserver issues; the demo's one
# mismatched profile differs in subject, SANs, key usage and validity
check_eq "the cloud's profile states: three conforming, the mismatched one differs" \
	"$(jq -r '.value[] | "\(.profile): \(.state) \([.differences[].code] | join(","))"' \
		"$DEMO_T/cloud-profiles.json")" \
	"Contoso Wi-Fi User (iOS): conforming 
Contoso Device (iOS): conforming 
Contoso Workstation (Windows 10): conforming 
Demo Wi-Fi NPS (iOS): differs 0x00001501,0x00001503,0x00001504,0x00001508"
check_eq "the differences say what was asked and what was issued" \
	"$(jq -r '.value[] | select(.state == "differs") | .differences[] | .detail' \
		"$DEMO_T/cloud-profiles.json")" \
	"asked \"CN=alice@contoso.com,emailAddress=alice.smith@contoso.com,OU=NPS,O=Contoso,C=US\", issued \"CN=alice@contoso.com,OU=NPS,O=Contoso,C=US\"
missing upn:alice@contoso.com
asked digitalSignature,keyEncipherment, issued digitalSignature
asked 730 days, issued 365 days 0 hours"

# ---- the revocation -----------------------------------------------------------
rs=$DEMO_REVOKE_SERIAL
check_eq "the cloud's revocation record: serial $rs revoked, error 0" \
	"$(jq -r --arg c "$DEMO_REVOKE_CTX" '.value[] | select(.requestContext == $c) |
		"\(.serialNumber | ascii_upcase | sub("^0+"; "")) \(.status) \(.errorCode // 0)"' \
		"$DEMO_T/cloud-revocations.json")" "$rs revoked 0"
check "crl.pem is signed by the CA" quiet "$OPENSSL" crl -in "$D/crl.pem" -CAfile "$D/ca.pem" -noout
check_eq "crl.pem lists exactly serial $rs" \
	"$("$OPENSSL" crl -in "$D/crl.pem" -noout -text 2>/dev/null | sed -n 's/^ *Serial Number: *//p' |
		while read -r s; do demo_norm_serial "$s"; done | tr '\n' ' ')" "$rs "
rc_cert=$DEMO_T/enroll/device-ws042/client.pem
check "openssl verify -crl_check refuses the revoked certificate" eval \
	"! '$OPENSSL' verify -crl_check -CAfile '$D/ca.pem' -CRLfile '$D/crl.pem' '$rc_cert' 2>&1 | grep -q ': OK'"
check "openssl verify -crl_check accepts alice's certificate" quiet "$OPENSSL" verify -crl_check \
	-CAfile "$D/ca.pem" -CRLfile "$D/crl.pem" "$DEMO_T/enroll/user-iphone/client.pem"

# ---- refusals issued nothing ------------------------------------------------
for r in replay expired; do
	check "$r: the device got badRequest and no certificate" eval \
		"grep -q 'failInfo badRequest' '$DEMO_T/enroll/$r/device.log' && ! test -e '$DEMO_T/enroll/$r/client.pem'"
done

# ---- every event in journald --------------------------------------------------
demo_test_expected_events
demo_events_json
check_eq "journald: no failure or warning events but the two refusals and the mismatched profile's four" \
	"$(jq -r 'select(.PRIORITY | tonumber <= 4) | "\(.NDES_EVENT_ID) \(.NDES_DIAG_CODE)"' \
		"$DEMO_T/events.json" | sort | tr '\n' ' ')" \
	"20501 0x00000411 20501 0x0000100A 20601 0x00001501 20601 0x00001503 20601 0x00001504 20601 0x00001508 "
check_eq "journald: the revocation event names the serial" \
	"$(jq -r 'select(.NDES_EVENT_ID == "20200") | .NDES_SERIAL_NUMBER | ascii_upcase |
		sub("^0+"; "")' "$DEMO_T/events.json")" "$rs"
check_eq "journald: the PKCS event names the thumbprint" \
	"$(jq -r 'select(.NDES_EVENT_ID == "20100") | .NDES_THUMBPRINT | ascii_upcase' \
		"$DEMO_T/events.json")" "$(demo_issued_field pkcs-mac 5)"

# ---- stopping -----------------------------------------------------------------
DEMO_ALL_PIDS=("${DEMO_PIDS[@]}")
demo_stop connectord
check "the connector stops with 10020" demo_has_event 10020 0x00000000
demo_stop_all
all_gone() {
	local p
	for p in "${DEMO_ALL_PIDS[@]}"; do ! kill -0 "$p" 2>/dev/null || return 1; done
}
check "no process of this run is left (${#DEMO_ALL_PIDS[@]} started)" all_gone

echo "1..$tap_n"
exit 0
