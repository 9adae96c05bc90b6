#!/bin/bash
# ndes-device-sim end to end (docs/devicesim.md): the demo's stack (the cloud
# emulator, the connector, ndes-crpd, micromdm's scepserver with
# ndes-policy-exec and its depot watcher) and a device that makes its own
# request from its profile payload: SANs, key usage and EKUs in it, the
# first SCEP URL a closed port and the second working, the certificate
# checked with the conformance code and kept (key 0600), the profile state
# reported to the emulator; an EC key, a replayed challenge and a profile the
# device does not have, each reported as failed with its reason; renewal only at
# the threshold (--clock-offset), with RenewalReq (scepserver -debug logs
# the message type), and the old certificate's state afterwards.  Prints TAP; skipped when the scep package, jq or
# a journald is missing.
set -u
DEMO_SCEP_DEBUG=1	# scepserver logs each message type
WS_NAME=CONTOSO-WS042
PROFILE_FO="Device Failover (Windows 10)"
DEMO_EXTRA_PROFILES=$(cat <<-'EOF2'
	  - name: Device Failover (Windows 10)
	    platform: windows_10
	    certificate_type: device
	    subject_name_format: custom
	    custom_subject: "CN={{DeviceName}}-FO,OU=Workstations,O=Contoso,C=US"
	    subject_alternative_names:
	      - {type: dns, value: "{{AzureADDeviceId}}.contoso.com"}
	      - {type: dns, value: "{{FullyQualifiedDomainName}}"}
	    validity_days: 365
	    key_usage: [digitalSignature]
	    key_size: 2048
	    root_certificate: Contoso Root CA (Windows 10)
	    extended_key_usages: [clientAuth]
	    renewal_threshold_percent: 20
	    scep_server_urls: [http://127.0.0.1:1/scep, http://localhost:8080/scep]
	    assignments: [Contoso Workstations]
	  - name: Device EC (Windows 10)
	    platform: windows_10
	    certificate_type: device
	    subject_name_format: custom
	    custom_subject: "CN={{DeviceName}}-EC,OU=Workstations,O=Contoso,C=US"
	    subject_alternative_names:
	      - {type: dns, value: "{{AzureADDeviceId}}.contoso.com"}
	    validity_days: 365
	    key_usage: [digitalSignature]
	    key_type: EC
	    key_size: 256
	    root_certificate: Contoso Root CA (Windows 10)
	    extended_key_usages: [clientAuth]
	    scep_server_urls: [http://localhost:8080/scep]
	    assignments: [Contoso Workstations]
EOF2
)
. "$(dirname "$0")/lib/demo-test.sh"
DSIM=$top_builddir/devicesim/ndes-device-sim
[ -x "$DSIM" ] || skip_all "ndes-device-sim is not built"

demo_test_start
ADMIN=http://127.0.0.1:$DEMO_ADMIN_PORT
ST=$DEMO_T/device-state
DIR="$ST/$DEMO_WS/Device_Failover__Windows_10_"
dsim() { "$DSIM" "$@" --cloud "$ADMIN" --state "$ST" >>"$DEMO_T/log/dsim.out" 2>&1; }
# the newest device report: FIELD...
report() {
	demo_cloud show device-reports | jq -r ".value[-1] | [$1] | map(tostring) | join(\" \")"
}
cert_field() { "$OPENSSL" x509 -in "$1" -noout -ext "$2" 2>/dev/null | tail -n +2 | tr -d ' '; }
depot_certs() { find "$DEMO_T/depot" -maxdepth 1 -name '*.pem' ! -name ca.pem ! -name crl.pem | wc -l; }

# ---- enrollment: its own request, the second URL --------------------------
before=$(depot_certs)
dsim enroll --device "$WS_NAME" --profile "$PROFILE_FO" -v
check_eq "enroll (the device by its name): exit 0" "$?" 0
check "the key is kept 0600, the certificate next to it" \
	test "$(stat -c %a "$DIR/key.pem" 2>/dev/null)" = 600 -a -s "$DIR/cert.pem"
check "the first URL was refused and the second answered" \
	grep -q "127.0.0.1:1/scep: unreachable" "$DEMO_T/log/dsim.out"
check_eq "one certificate more in scepserver's depot" "$(depot_certs)" "$((before + 1))"
check "the certificate verifies to the profile's trusted root" quiet \
	"$OPENSSL" verify -CAfile "$DEMO_T/depot/ca.pem" "$DIR/cert.pem"
check_eq "its SANs are the profile's (the device's own request)" \
	"$(cert_field "$DIR/cert.pem" subjectAltName)" \
	"DNS:$DEMO_WS.contoso.com,DNS:ws042.corp.contoso.com"
check_eq "its subject is the profile's" \
	"$("$OPENSSL" x509 -in "$DIR/cert.pem" -noout -subject -nameopt RFC2253)" \
	"subject=CN=$WS_NAME-FO,OU=Workstations,O=Contoso,C=US"
check_eq "the request scepserver verified carried SANs, keyUsage and the EKU" \
	"$(jq -r --arg tp "$(demo_cert_sha1 "$DIR/cert.pem")" '.value[] |
		select((.body.certificateThumbprint | ascii_upcase) == $tp) | .body.certificateRequest' \
		< <(demo_wait 100 demo_notified_one "$(demo_cert_sha1 "$DIR/cert.pem")" \
		"$(demo_cert_serial "$DIR/cert.pem")"; demo_cloud show notifications) | base64 -d |
		"$OPENSSL" req -inform DER -noout -text 2>/dev/null |
		grep -cE 'DNS:|Digital Signature|TLS Web Client Authentication')" 3
check_eq "the device reported succeeded, from the second URL" \
	"$(report '.deviceId, .state, .url, .renewal, .thumbprint')" \
	"$DEMO_WS succeeded http://localhost:$DEMO_SCEP_PORT/scep false $(demo_cert_sha1 "$DIR/cert.pem")"
check_eq "the cloud shows the device's state next to the connector's" \
	"$(demo_cloud show profiles | jq -r --arg tp "$(demo_cert_sha1 "$DIR/cert.pem")" \
		'.value[] | select(.thumbprint == $tp) | "\(.state) \(.deviceState)"')" \
	"conforming succeeded"

# ---- an EC key (P-256): micromdm's scepserver 2.1.0 signs with the request's
# signature algorithm, which its RSA CA key cannot do, and answers FAILURE
dsim enroll --device "$DEMO_WS" --profile "Device EC (Windows 10)"
check_eq "an EC P-256 key: refused by scepserver 2.1.0 (exit 1)" "$?" 1
check "... scepserver says why: its RSA CA cannot sign with ecdsa-with-SHA256" grep -q \
	"requested SignatureAlgorithm does not match private key type" "$DEMO_T/log/scepserver.err"
check_eq "... reported failed with the server's failInfo" \
	"$(report '.profile, .state, (.reason | test("refused: failInfo badRequest"))')" \
	"Device EC (Windows 10) failed true"

# ---- renewal: not before the threshold, then with RenewalReq ----------------
old_tp=$(demo_cert_sha1 "$DIR/cert.pem") old_serial=$(demo_cert_serial "$DIR/cert.pem")
dsim renew --device "$DEMO_WS" --profile "$PROFILE_FO"
check_eq "renew at once: nothing to do (exit 0)" "$?" 0
check "... and says why: not due yet" grep -q "not renewed: not due yet: 36[0-9] of 36[0-9] days left" \
	"$DEMO_T/log/dsim.out"
check_eq "... no certificate more" "$(depot_certs)" "$((before + 1))"
dsim renew --device "$DEMO_WS" --profile "$PROFILE_FO" --clock-offset +300d
check_eq "renew 300 days later (65 of 365 days left, under 20%): exit 0" "$?" 0
check "the device made a RenewalReq (scepserver's log)" \
	grep -q "RenewalReq" "$DEMO_T/log/scepserver.err" "$DEMO_T/log/scepserver.out"
check "a new certificate, the old pair kept as cert.old.pem and key.old.pem" \
	test "$(demo_cert_sha1 "$DIR/cert.pem")" != "$old_tp" -a \
	"$(demo_cert_sha1 "$DIR/cert.old.pem")" = "$old_tp" -a -s "$DIR/key.old.pem"
check_eq "the device reported the renewal" "$(report '.state, .renewal')" "succeeded true"
# scepserver 2.1.0 with -allowrenew 0 marks the older certificate of a subject
# revoked when it issues the new one (docs/policy.md); nothing tells the cloud
check_eq "the old certificate afterwards: R in scepserver's index.txt" \
	"$(awk -F'\t' -v s="$old_serial" '{ x = toupper($4); sub(/^0+/, "", x); if (x == s) print $1 }' \
		"$DEMO_T/depot/index.txt")" R
check_eq "... the cloud still shows it issued to the device, no revocation asked" \
	"$(demo_cloud show profiles | jq -r --arg tp "$old_tp" \
		'.value[] | select(.thumbprint == $tp) | "\(.deviceState) \(.revocation)"')" \
	"succeeded null"
check_eq "the cloud lists both certificates of the device for the profile" \
	"$(demo_wait 100 demo_notified_one "$(demo_cert_sha1 "$DIR/cert.pem")" \
		"$(demo_cert_serial "$DIR/cert.pem")"; demo_cloud show profiles |
		jq -r --arg d "$DEMO_WS" --arg p "$PROFILE_FO" \
		'[.value[] | select(.deviceId == $d and .profile == $p)] | length')" 2
check "show: renewals=1" grep -q "renewals=1" <("$DSIM" show --state "$ST" --device "$DEMO_WS")

# ---- refusals, reported with their reason --------------------------------------
demo_mint replayed --device "$DEMO_WS" --profile "$DEMO_PROFILE_WS"
"$DSIM" enroll --payload "$DEMO_T/enroll/replayed.json" --device "$DEMO_WS" \
	--profile "$DEMO_PROFILE_WS" --cloud "$ADMIN" --state "$DEMO_T/first" >>"$DEMO_T/log/dsim.out" 2>&1
check_eq "a challenge used once: enrolled" "$?" 0
"$DSIM" enroll --payload "$DEMO_T/enroll/replayed.json" --device "$DEMO_WS" \
	--profile "$DEMO_PROFILE_WS" --cloud "$ADMIN" --state "$DEMO_T/second" >>"$DEMO_T/log/dsim.out" 2>&1
check_eq "the same challenge again with another key: exit 1" "$?" 1
check_eq "reported failed: the server's FAILURE with its failInfo" \
	"$(report '.state, (.reason | test("refused: failInfo badRequest"))')" "failed true"
check "no key or certificate kept for it" test ! -e "$DEMO_T/second/$DEMO_WS/Contoso_Workstation__Windows_10_/cert.pem"
dsim enroll --device ALICE-IPHONE --profile "$DEMO_PROFILE_WS"
check_eq "a profile the device does not have: exit 1" "$?" 1
check_eq "reported failed with the emulator's refusal" \
	"$(report '.deviceId, .state, .reason')" \
	"$DEMO_IPHONE failed no challenge from the emulator: profile_refused: profile \"$DEMO_PROFILE_WS\" does not reach device \"$DEMO_IPHONE\": the profile is for Windows 10 and later, the device runs iOS"
post_report() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$1" \
		"http://127.0.0.1:$DEMO_ADMIN_PORT/admin/device-reports"
}
check_eq "a report with a state other than succeeded or failed: 400" \
	"$(post_report '{"deviceId": "d", "profile": "p", "state": "hacked"}')" 400
check_eq "a report with a thumbprint that is not hex: 400" \
	"$(post_report '{"deviceId": "d", "profile": "p", "state": "failed", "thumbprint": "<script>"}')" 400
check_eq "a report without a device: 400" "$(post_report '{"profile": "p", "state": "failed"}')" 400
restart_cloud() {
	demo_stop cloud
	rm -f "$DEMO_T/state/ports.json"
	demo_spawn cloud "$DEMO_SIM" serve --config "$DEMO_T/cloud-sim.yaml" --listen-port 0 \
		--admin-port 0
	demo_wait 200 test -s "$DEMO_T/state/ports.json" &&
		DEMO_ADMIN_PORT=$(jq -r .adminPort "$DEMO_T/state/ports.json")
}
restart_cloud
check_eq "the device reports are kept across a restart of the emulator" \
	"$(demo_cloud show device-reports | jq -c '[.value[].state]')" \
	'["succeeded","failed","succeeded","succeeded","failed","failed"]'

echo "1..$tap_n"
