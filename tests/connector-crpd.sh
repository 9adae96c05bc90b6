#!/bin/bash
# ndes-crpd with the real connector: crpd's notifications go through
# connector.sock and ndes-connectord to the cloud emulator.  crpd reloads
# when the connector registers; a Success and a Failure notification arrive
# at the cloud with their exact fields; while the connector is down crpd
# reports 20602 with 0x00001101 and keeps the notification, and once the
# connector is back it is handed over (20600) and reaches the cloud.
# Requests go to crpd's HTTP API (curl), CSRs are made by openssl.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
CRPD=$top_builddir/crp/ndes-crpd
[ -x "$CRPD" ] || ce_skip_all "ndes-crpd is not built"
command -v curl >/dev/null || ce_skip_all "curl is not installed"
ce_setup
echo "1..16"

tenant=$(cat /proc/sys/kernel/random/uuid)
dev=$(cat /proc/sys/kernel/random/uuid)
cat > "$T/tenant.yaml" <<EOF2
tenant_id: $tenant
service:
  state_dir: cloud
  issuing_ca_cert: depot/ca.pem
templates:
  - {name: UserTemplate, validity_days: 365, purpose: signature}
users:
  - {upn: alice@contoso.com, email: alice.smith@contoso.com}
devices:
  - {id: $dev, name: ALICE-PHONE, platform: ios, owner: alice@contoso.com}
groups:
  - {name: Users, type: users, members: [alice@contoso.com]}
trusted_certificate_profiles:
  - {name: Root, platform: ios, certificate: depot/ca.pem, assignments: [Users]}
scep_profiles:
  - name: Wifi
    platform: ios
    certificate_type: user
    subject_name_format: custom
    custom_subject: "CN={{UserName}},OU=Mobile,O=Contoso,C=US"
    subject_alternative_names: [{type: email}]
    key_usage: [digitalSignature]
    root_certificate: Root
    extended_key_usages: [clientAuth]
    scep_server_urls: [http://127.0.0.1:1/scep]
    assignments: [Users]
EOF2
CLOUD_TENANT=$T/tenant.yaml start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config "ca: {name: ca01, folder: $T/ca}"

. "${top_srcdir:-.}/scripts/lib/ports.sh"
http_port=$(free_port)
CRPD_URL=http://127.0.0.1:$http_port
cat > "$T/crpd.yaml" <<EOF2
tenant_id: $tenant
state_dir: $T/state
ipc: {socket: $T/crp.sock}
connector: {socket: $T/connector.sock, retry_interval: 1s}
http: {address: 127.0.0.1, port: $http_port}
ca_configuration: ca01
certificate_authority: ca01
events: $(grep '^events:' "$T/conn.yaml" | sed 's/^events: //' | sed "s|events.json|crpd-events.json|")
EOF2
"$CRPD" --config "$T/crpd.yaml" >>"$T/crpd.log" 2>&1 &
CRPD_PID=$!
DAEMON_PIDS="$CRPD_PID"
healthz() { curl -s "$CRPD_URL/healthz"; }
check "crpd before registration: no CRP key (healthz degraded)" \
    wait_for 20 bash -c "curl -s $CRPD_URL/healthz | grep -q 'no CRP encryption key'"

register
check "register tells crpd to reload" grep -q '^ndes-crpd reloaded' "$T/cli.log"
check "crpd now has the CRP key and the signing certificate" \
    wait_for 10 bash -c "curl -s $CRPD_URL/healthz | grep -q '\"status\":\"ok\".*\"crpKeys\":1,\"signingCertificates\":1'"
start_daemon
DAEMON_PIDS="$CRPD_PID $DAEMON_PID"

# enroll NAME: a challenge from the cloud, a CSR that meets it, VerifyRequest
enroll() {
	local d=$T/$1 ch
	mkdir -p "$d"
	ch=$(cloud challenge --device "$dev" --profile Wifi --user alice@contoso.com --raw)
	printf '%s' "$ch" > "$d/challenge"
	"$OPENSSL" genrsa -out "$d/key.pem" 2048 2>/dev/null
	printf '[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\nreq_extensions = ext\n[dn]\nC = US\nO = Contoso\nOU = Mobile\nCN = alice@contoso.com\n[attrs]\nchallengePassword = %s\n[ext]\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\nsubjectAltName = email:alice.smith@contoso.com\n' \
	    "$ch" > "$d/req.cnf"
	"$OPENSSL" req -new -key "$d/key.pem" -config "$d/req.cnf" -outform DER -out "$d/csr.der" &&
	printf '{"transactionId":"%s","certificateRequest":"%s"}' "$1" "$(base64 -w0 "$d/csr.der")" \
	    > "$d/verify.json" &&
	curl -s -o "$d/verify.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @"$d/verify.json" "$CRPD_URL/CertificateRegistrationSvc/Certificate/VerifyRequest"
}
# notify NAME DISPOSITION: issue from the CA folder (Success) and Notify
notify() {
	local d=$T/$1 cert=""
	if [ "$2" = 0 ]; then
		"$OPENSSL" x509 -req -inform DER -in "$d/csr.der" -CA "$T/ca/ca.pem" -CAkey "$T/ca/ca.key" \
		    -days 30 -outform DER -out "$d/cert.der" 2>/dev/null
		cert=$(base64 -w0 "$d/cert.der")
	fi
	printf '{"transactionId":"%s","challenge":"%s","disposition":%s,"hResult":%s,"issuedCertificate":%s,"description":"test"}' \
	    "$1" "$(cat "$d/challenge")" "$2" "$([ "$2" = 0 ] && echo 0 || echo -2146875374)" \
	    "$([ -n "$cert" ] && echo "\"$cert\"" || echo null)" > "$d/notify.json"
	curl -s -o "$d/notify.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @"$d/notify.json" "$CRPD_URL/CertificateRegistrationSvc/Certificate/Notify"
}
at_cloud() { cloud show notifications | grep -q "^      \"transactionId\": \"$1\""; }
crpd_event() {
	if [ "$CE_EVENTS" = journal ]; then
		"$JOURNALCTL" --sync >/dev/null 2>&1
		"$JOURNALCTL" --no-pager -o cat --since="$CE_SINCE" _PID="$CRPD_PID" NDES_TRANSACTION_ID="$1" \
		    NDES_EVENT_ID="$2" NDES_DIAG_CODE="$3" 2>/dev/null | grep -q .
	else
		grep "\"NDES_TRANSACTION_ID\":\"$1\"" "$T/crpd-events.json" | grep "\"NDES_EVENT_ID\":\"$2\"" |
		    grep -q "\"NDES_DIAG_CODE\":\"$3\""
	fi
}

check "a challenge from the cloud verifies at crpd (201)" test "$(enroll txn-1)" = 201
check "Notify Success (204)" test "$(notify txn-1 0)" = 204
check "crpd hands it to the connector: 20600" wait_for 20 crpd_event txn-1 20600 0x00000000
check "the cloud records the successNotification" wait_for 20 at_cloud txn-1
thumb=$("$OPENSSL" x509 -inform DER -in "$T/txn-1/cert.der" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
check "... with the issued certificate's thumbprint and the CA configuration" bash -c "
    \"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -A20 '\"transactionId\": \"txn-1\"' |
    grep -q '\"certificateThumbprint\": \"$thumb\"' &&
    \"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"caConfiguration\": \"ca01\"'"

enroll txn-2 >/dev/null
notify txn-2 2 >/dev/null
check "Notify Failure reaches the cloud as a failureNotification" bash -c "
    for i in \$(seq 1 200); do \"$CLOUD_SIM\" show notifications --admin $ADMIN |
        grep -B1 '\"transactionId\": \"txn-2\"' | grep -q '\"kind\": \"failure\"' && exit 0; sleep 0.1; done; exit 1"
check "... crpd reports it with 20610 and 0x00001103 (not issued)" \
    wait_for 20 crpd_event txn-2 20610 0x00001103
check "... and never with 20600, which means a certificate was issued" \
    not crpd_event txn-2 20600 0x00000000

stop_daemon
check "connector down: Verify still works" test "$(enroll txn-3)" = 201
notify txn-3 0 >/dev/null
check "connector down: crpd reports 20602 with 0x00001101 and keeps it" \
    wait_for 20 crpd_event txn-3 20602 0x00001101
start_daemon
DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
check "connector back: crpd hands it over (20600)" wait_for 30 crpd_event txn-3 20600 0x00000000
check "... and it reaches the cloud" wait_for 20 at_cloud txn-3
stop_daemon
kill "$CRPD_PID" 2>/dev/null
wait "$CRPD_PID" 2>/dev/null
check "every notification reached the cloud once" test \
    "$(cloud show notifications | grep -c '^      "transactionId": "txn-')" -eq 3
exit 0
