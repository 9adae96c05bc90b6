#!/bin/bash
# The connector against the real cloud emulator over HTTPS with mutual TLS,
# a real CA folder and real journald: registration (good, used, expired
# tokens, untrusted cloud), status, the daemon's events, signing
# certificates, PKCS issuance, revocation, the CA's failure codes.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
echo "1..38"

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config "ca: {name: ca01, folder: $T/ca, issuer_name: 'CN=Contoso Issuing CA,O=Contoso'}"

# --- registration
tok=$(cloud token --raw)
conn register --cloud "$CLOUD_URL" --token "$tok" --name node1 >"$T/out" 2>&1
rc=$?
check "an untrusted cloud certificate: exit 5 and says so" \
    test "$rc" -eq 5 -a -n "$(grep 'not trusted: TLS with localhost' "$T/out")"
conn register --cloud "$CLOUD_URL" --token "$tok" --ca-cert "$CLOUD_CA" --name node1 >"$T/out" 2>&1
rc=$?
check "register with a good token: exit 0" test "$rc" -eq 0
check "register prints the connector and its certificate" grep -q '^registered as connector .* with https://localhost' "$T/out"
check "keys are 0600, certificates where crpd reads them" bash -c "
    test \$(stat -c %a $T/state/registration/client.key) = 600 &&
    test \$(stat -c %a $T/state/registration/crp.key) = 600 &&
    $OPENSSL x509 -in $T/state/registration/crp.pem -noout &&
    $OPENSSL verify -CAfile $T/state/registration/ca-chain.pem $T/state/registration/client.pem >/dev/null"
conn register --force --cloud "$CLOUD_URL" --token "$tok" --ca-cert "$CLOUD_CA" >"$T/out" 2>&1
rc=$?
check "register with a used token: exit 3, token_used" \
    test "$rc" -eq 3 -a -n "$(grep 'HTTP 401 token_used' "$T/out")"
tok2=$(cloud token --lifetime 1 --raw); sleep 2
conn register --force --cloud "$CLOUD_URL" --token "$tok2" --ca-cert "$CLOUD_CA" >"$T/out" 2>&1
rc=$?
check "register with an expired token: exit 3, token_expired" \
    test "$rc" -eq 3 -a -n "$(grep 'HTTP 401 token_expired' "$T/out")"
conn register --force --cloud "$CLOUD_URL" --token nonsense --ca-cert "$CLOUD_CA" >"$T/out" 2>&1
check "register with an unknown token: exit 3" test $? -eq 3
conn register --cloud "$CLOUD_URL" --token x --ca-cert "$CLOUD_CA" >"$T/out" 2>&1
check "register twice without --force is refused" grep -q 'already registered' "$T/out"
conn status --json > "$T/status.json"
check "status --json: registered, certificate expiry, queue depth" bash -c "
    grep -q '\"registered\": true' $T/status.json && grep -q '\"daysLeft\": 36[45]' $T/status.json &&
    grep -q '\"depth\": 0' $T/status.json && grep -q '\"matchesRegistration\": true' $T/status.json"

# --- the daemon
start_daemon
check "10010 StartedConnectorService" wait_event 10010 0x00000000 'started: registered'
wait_event 20400 0x00000000 'challenge-signing certificates'
check "20400 signing certificates downloaded, written where crpd reads them" \
    "$OPENSSL" x509 -in "$T/state/signing/signing-certs.pem" -noout

# --- PKCS issuance
cloud pkcs-request --device 0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30 --profile 'Contoso Wi-Fi User (iOS)' \
    --user alice@contoso.com --raw > "$T/req_id"
req=$(cat "$T/req_id")
check "20100 PkcsCertIssue_Success" wait_event 20100 0x00000000 "$req"
check "20300 Upload_Success for the PKCS result" wait_event 20300 0x00000000 'PKCS results'
wait_for 20 bash -c "\"$CLOUD_SIM\" show pkcs --admin $ADMIN | grep -q '\"status\": \"issued\"'"
cloud pkcs-open --request-id "$req" > "$T/open.json" 2>&1
check "the cloud opens the PKCS#12 with the device key (key matches)" \
    grep -q '"keyMatches": true' "$T/open.json"
check "the certificate is in the CA's index.txt" grep -q "^V.*	01	unknown	/C=US/ST=Washington" "$T/ca/index.txt"
# the template (730 days asked) is capped by the CA folder's default validity (365 days)
check "validity never longer than the template" bash -c "
    grep -q '\"notAfter\": \"$(date -u -d '+365 days' +%Y-%m-%d)' $T/open.json"

# --- revocation
rid=$(cloud revoke --serial 7F --issuer 'CN=Contoso Issuing CA,O=Contoso' --raw)
check "20202 with 0x1301 for an unknown serial" wait_event 20202 0x00001301 "revocation of 7F"
wait_for 20 bash -c "\"$CLOUD_SIM\" show revocations --admin $ADMIN | grep -q '\"errorCode\": 4004'"
check "the cloud got 4004 (certificate not found)" bash -c "\"$CLOUD_SIM\" show revocations --admin $ADMIN | grep -q '\"errorCode\": 4004'"
cloud revoke --serial 01 --issuer 'CN=Contoso Issuing CA,O=Contoso' --raw >/dev/null
check "20200 RevokeCert_Success" wait_event 20200 0x00000000 "revoked certificate 01"
check "index.txt marks it R and crl.pem lists it" bash -c "
    grep -q '^R	' $T/ca/index.txt &&
    $OPENSSL crl -in $T/ca/crl.pem -noout -text | grep -q 'Serial Number: 01'"
cloud revoke --serial 01 --issuer 'CN=Contoso Issuing CA,O=Contoso' --raw >/dev/null
check "revoking again: 20202 with 0x1302 (already revoked, 4005)" wait_event 20202 0x00001302

# --- renewal by the CLI while the daemon runs
conn renew > "$T/out" 2>&1
check "renew by the CLI: exit 0" test $? -eq 0 -a -n "$(grep '^renewed connector' "$T/out")"
"$FEED" "$T/connector.sock" 1 afterrenew >/dev/null
check "the daemon switches to the renewed certificate" wait_for 20 bash -c \
    "\"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"transactionId\": \"afterrenew-1\"'"
check "... without a 10301" not has_event 10301 0x00000403

# --- CA failures
chmod 644 "$T/ca/ca.key"
cloud pkcs-request --device 0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30 --profile 'Contoso Wi-Fi User (iOS)' \
    --user alice@contoso.com --raw >/dev/null
check "an unreadable CA key: 20102 with 0x00000400" wait_event 20102 0x00000400 'readable by group or others'
chmod 600 "$T/ca/ca.key"
stop_daemon
check "10020 StoppedConnectorService on SIGTERM" wait_event 10020 0x00000000

conn_config "ca: {name: ca01, folder: $T/ca, may_revoke: false, client_auth_cert: $T/ra.pem}"
start_daemon
cloud revoke --serial 02 --raw >/dev/null
check "may_revoke false: 20202 with 0x00000402" wait_event 20202 0x00000402
cloud pkcs-request --device 0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30 --profile 'Contoso Wi-Fi User (iOS)' \
    --user alice@contoso.com --raw >/dev/null
check "client-auth certificate missing: 20102 with 0x00000401" wait_event 20102 0x00000401
stop_daemon

# --- the registration certificate at start
cp "$T/state/registration/client.pem" "$T/client.pem.saved"
cp "$T/ca/ca.pem" "$T/state/registration/client.pem"
start_daemon
check "not the registered certificate: 10301 with 0x00000403" wait_event 10301 0x00000403 'not the certificate registered'
stop_daemon
rm "$T/state/registration/client.pem"
start_daemon
check "no registration certificate: 10302 with 0x00000404" wait_event 10302 0x00000404
stop_daemon
cp "$T/client.pem.saved" "$T/state/registration/client.pem"
chmod 644 "$T/state/registration/client.key"
conn status >"$T/out" 2>&1
check "status: a key file readable by others is exit 6" test $? -eq 6
chmod 600 "$T/state/registration/client.key"

cp -a "$T/state/registration" "$T/registration.saved"
conn unregister >"$T/out" 2>&1
check "unregister: exit 0, registration removed" test $? -eq 0 -a ! -e "$T/state/registration/client.key"
conn status >/dev/null 2>&1
check "status after unregister: exit 7 (not registered)" test $? -eq 7
rm -rf "$T/state/registration"
cp -a "$T/registration.saved" "$T/state/registration"
start_daemon
check "the cloud says unregistered (403): 10302 with 0x00000404" \
    wait_event 10302 0x00000404 '403 connector_unregistered'
stop_daemon

# --- a start that fails: 10010 with 0x0FFFFFFF and the reason, emitted by
# the daemon itself (its _PID), so before it exited; a daemon that does start
# is stopped after 15 s and fails the checks
failed_start() {
	local guard
	NDES_EVENTS_SINK=$([ "$CE_EVENTS" = journal ] || echo "file:$T/events.json") \
	    "$CONNECTORD" -c "$T/conn.yaml" >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	(sleep 15; kill "$DAEMON_PID" 2>/dev/null) &
	guard=$!
	wait "$DAEMON_PID"
	rc=$?
	kill "$guard" 2>/dev/null
	wait "$guard" 2>/dev/null
	DAEMON_PID=
}
conn_config "ca: {name: ca01, folder: $T/ca}"
chmod 0777 "$T/state"
failed_start
chmod 0700 "$T/state"
check "a state folder writable by others: ndes-connectord exits 1" test "$rc" -eq 1
check "... after 10010 StartedConnectorService with 0x0FFFFFFF and the reason" \
    wait_event 10010 0x0FFFFFFF "ndes-connectord cannot start: $T/state: state folder is writable by group or others"
echo "bogus: 1" >> "$T/conn.yaml"
failed_start
check "a configuration that does not load: exit 1" test "$rc" -eq 1
check "... after 10010 with 0x0FFFFFFF naming file, line and column" \
    wait_event 10010 0x0FFFFFFF "cannot start: $T/conn.yaml:[0-9]*:[0-9]*: .*bogus"
exit 0
