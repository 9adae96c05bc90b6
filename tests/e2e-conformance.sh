#!/bin/bash
# The conformance check after issuance end to end (docs/policy.md, "What is
# checked after issuance"), with the real scepserver and scepclient and
# ndes-crpd set to conformance: revoke: a conforming enrollment gives no
# 20601; four profiles, each asking one thing micromdm's scepserver 2.1.0
# does not issue (keyEncipherment, a UPN SAN, E=, a validity other than its
# 365 days), each give exactly their 20601 code, the emulator's profile
# state "differs" with that code, and the connector revokes the certificate
# at once: R in index.txt, listed in crl.pem, 20200, the cloud's revocation
# "revoked".  Prints TAP; skipped when the scep package, jq or a journald is
# missing.
set -u
DEMO_CONFORMANCE=revoke
# profile NAME PLATFORM TYPE SUBJECT SANS KEY_USAGE [MORE]: one item of scep_profiles
profile() {
	local root=iOS group="Contoso Mobile Users"
	[ "$2" = ios ] || root="Windows 10" group="Contoso Workstations"
	printf '  - {name: "%s", platform: %s, certificate_type: %s, subject_name_format: custom,\n' \
		"$1" "$2" "$3"
	printf '     custom_subject: "%s", subject_alternative_names: %s,\n' "$4" "$5"
	printf '     key_usage: %s, key_size: 2048, root_certificate: "Contoso Root CA (%s)",%s\n' \
		"$6" "$root" "${7:+ $7,}"
	printf '     extended_key_usages: [clientAuth], scep_server_urls: [http://localhost:8080/scep],\n'
	printf '     assignments: ["%s"]}\n' "$group"
}
WS_SAN='[{type: dns, value: "{{AzureADDeviceId}}.contoso.com"}]'
MAIL='{type: email, value: "{{EmailAddress}}"}'
DEMO_CONFORMANCE=revoke
DEMO_EXTRA_PROFILES=$(
	profile "E2E keyEncipherment (Windows 10)" windows_10 device \
		"CN={{DeviceName}}-KE,OU=Workstations,O=Contoso,C=US" "$WS_SAN" \
		"[digitalSignature, keyEncipherment]" "validity_days: 365"
	profile "E2E 180 days (Windows 10)" windows_10 device \
		"CN={{DeviceName}}-V,OU=Workstations,O=Contoso,C=US" "$WS_SAN" \
		"[digitalSignature]" "validity_days: 180"
	profile "E2E UPN (iOS)" ios user "CN={{UserName}},OU=UPN,O=Contoso,C=US" \
		"[$MAIL, {type: upn, value: \"{{UserName}}\"}]" "[digitalSignature]"
	profile "E2E E= (iOS)" ios user "CN={{UserName}},E={{EmailAddress}},OU=Mail,O=Contoso,C=US" \
		"[$MAIL]" "[digitalSignature]"
)
. "$(dirname "$0")/lib/demo-test.sh"

# the 20601 codes of one challenge, in order
codes_of() {
	[ "$(id -u)" -ne 0 ] || "$JOURNALCTL" --sync >/dev/null 2>&1
	"$JOURNALCTL" --no-pager -o json --since="$DEMO_SINCE" NDES_EVENT_ID=20601 \
		NDES_CHALLENGE_ID="$1" 2>/dev/null | jq -r .NDES_DIAG_CODE | tr '\n' ' '
}
challenge_of() { jq -r .challengeId "$DEMO_T/enroll/$1.json"; }

demo_test_start
demo_say "== a conforming enrollment"
demo_good conforming "$DEMO_IPHONE" "$DEMO_PROFILE_USER" "$DEMO_ALICE"
check "the cloud shows it conforming, not revoked" demo_wait 300 demo_state_is \
	"$(challenge_of conforming)" "conforming  -"
check_eq "no 20601 for it" "$(codes_of "$(challenge_of conforming)")" ""
demo_say "== four profiles, one difference each (conformance: revoke)"
demo_differs ke "$DEMO_WS" "E2E keyEncipherment (Windows 10)" "" 0x00001504
demo_differs validity "$DEMO_WS" "E2E 180 days (Windows 10)" "" 0x00001508
demo_differs upn "$DEMO_IPHONE" "E2E UPN (iOS)" "$DEMO_ALICE" 0x00001503
demo_differs email "$DEMO_IPHONE" "E2E E= (iOS)" "$DEMO_ALICE" 0x00001501
demo_notifications
demo_save_cloud_view
check_eq "every step did what it should" "$DEMO_FAILS" 0
check_eq "the counts" "$(demo_summary_line)" \
	"demo: enrolled=5 refused=0 pkcs=0 revoked=4 notified=5 differs=4"

for p in "ke 0x00001504" "validity 0x00001508" "upn 0x00001503" "email 0x00001501"; do
	set -- $p
	check_eq "$1: exactly one 20601, with $2" "$(codes_of "$(challenge_of "$1")")" "$2 "
	check_eq "$1: the cloud's revocation conformance:<challenge> revoked, error 0" \
		"$(jq -r --arg c "conformance:$(challenge_of "$1")" '.value[] |
			select(.requestContext == $c) | "\(.serialNumber | ascii_upcase |
			sub("^0+"; "")) \(.status) \(.errorCode // 0)"' "$DEMO_T/cloud-revocations.json")" \
		"$(demo_issued_field "$1" 4) revoked 0"
done
check_eq "the differences say what was asked and what was issued" \
	"$(jq -r '.value[] | select(.state == "differs") | .differences[] | .detail' \
		"$DEMO_T/cloud-profiles.json")" \
	"asked digitalSignature,keyEncipherment, issued digitalSignature
asked 180 days, issued 365 days 0 hours
missing upn:alice@contoso.com
asked \"CN=alice@contoso.com,emailAddress=alice.smith@contoso.com,OU=Mail,O=Contoso,C=US\", issued \"CN=alice@contoso.com,OU=Mail,O=Contoso,C=US\""
D=$DEMO_T/depot
check "crl.pem is signed by the CA" quiet "$OPENSSL" crl -in "$D/crl.pem" -CAfile "$D/ca.pem" -noout
check_eq "crl.pem lists exactly the four that differ" \
	"$("$OPENSSL" crl -in "$D/crl.pem" -noout -text 2>/dev/null | sed -n 's/^ *Serial Number: *//p' |
		while read -r s; do demo_norm_serial "$s"; done | sort | tr '\n' ' ')" \
	"$(for n in ke validity upn email; do demo_issued_field "$n" 4; done | sort | tr '\n' ' ')"
check "openssl verify -crl_check accepts the conforming certificate" quiet "$OPENSSL" verify \
	-crl_check -CAfile "$D/ca.pem" -CRLfile "$D/crl.pem" "$DEMO_T/enroll/conforming/client.pem"
demo_test_expected_events

echo "1..$tap_n"
exit 0
