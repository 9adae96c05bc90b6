#!/bin/bash
# Transport and lifecycle: an HTTP CONNECT proxy with credentials in the
# path, renewal with a short certificate lifetime (10100, crp-previous,
# uploads with the new certificate), an expired certificate at start
# (10102 with 0x405), fips: true without a FIPS provider, --check-config,
# a state folder with wrong permissions.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
echo "1..16"

reg_thumb() { sed -n 's/.*"clientThumbprint": "\([0-9A-F]*\)".*/\1/p' "$T/state/registration/registration.json"; }

# --- proxy
"$PROXY" "$T/proxy.port" "conn:s3cret" > "$T/proxy.log" 2>&1 &
PROXY_PID=$!
wait_for 10 test -s "$T/proxy.port"
start_cloud --connector-cert-lifetime 20 || { echo "Bail out! the emulator did not start"; exit 1; }
printf 'wrong\n' > "$T/proxy.pass"
chmod 600 "$T/proxy.pass"
PROXY_YAML="cloud: {proxy: {host: 127.0.0.1, port: $(cat "$T/proxy.port"), username: conn, password_file: $T/proxy.pass}}"
conn_config "$PROXY_YAML" "renewal: {threshold_percent: 50, check_interval: 1s}"
tok=$(cloud token --raw)
conn register --cloud "$CLOUD_URL" --token "$tok" --ca-cert "$CLOUD_CA" >"$T/out" 2>&1
rc=$?
check "wrong proxy credentials: exit 4, the proxy's 407 named" \
    test "$rc" -eq 4 -a -n "$(grep 'refused CONNECT: 407' "$T/out")"
printf 's3cret\n' > "$T/proxy.pass"
conn register --cloud "$CLOUD_URL" --token "$tok" --ca-cert "$CLOUD_CA" >"$T/out" 2>&1
check "register through the proxy" test $? -eq 0
check "the proxy carried the tunnel to the cloud" grep -q "^CONNECT 127.0.0.1:$CLOUD_PORT" "$T/proxy.log"
first=$(reg_thumb)
start_daemon
check "the daemon downloads through the proxy (20400)" wait_event 20400 0x00000000
"$FEED" "$T/connector.sock" 1 viaproxy >/dev/null
check "a notification arrives through the proxy" wait_for 20 bash -c \
    "\"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"transactionId\": \"viaproxy-1\"'"

# --- renewal (20 s certificates, renewed under 50 % left)
check "10100 CertificateRenewal_Success" wait_for 30 has_event 10100 0x00000000 "renewed the registration certificate $first"
check "registration.json names the new certificate" bash -c "[ -n \"\$(sed -n 's/.*clientThumbprint.: .\([0-9A-F]*\).*/\1/p' $T/state/registration/registration.json)\" ] && ! grep -q $first $T/state/registration/registration.json"
check "the old CRP pair is kept as crp-previous" bash -c "
    test -s $T/state/registration/crp-previous.pem &&
    test \$(stat -c %a $T/state/registration/crp-previous.key) = 600 &&
    ! cmp -s $T/state/registration/crp.pem $T/state/registration/crp-previous.pem"
"$FEED" "$T/connector.sock" 1 renewed >/dev/null
check "uploads go on with the new certificate" wait_for 20 bash -c \
    "\"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"transactionId\": \"renewed-1\"'"
stop_daemon

# --- expired at start
exp_end=$("$OPENSSL" x509 -in "$T/state/registration/client.pem" -noout -enddate | cut -d= -f2)
while [ "$(date -u +%s)" -le "$(date -u -d "$exp_end" +%s)" ]; do sleep 1; done
start_daemon
check "an expired registration certificate: 10102 with 0x00000405" wait_event 10102 0x00000405 expired
stop_daemon

# --- configuration, FIPS, permissions
"$CONNECTORD" --check-config "$T/conn.yaml" > "$T/out" 2>&1
check "--check-config accepts the configuration" grep -qx "$T/conn.yaml: OK" "$T/out"
printf 'downloads: {max_requests: 600}\n' > "$T/bad.yaml"
"$CONNECTORD" --check-config "$T/bad.yaml" > "$T/out" 2>&1
rc=$?
check "--check-config refuses maxRequests 600 with the position" \
    test "$rc" -eq 1 -a -n "$(grep 'bad.yaml:1:27: downloads.max_requests: expected an integer between 1 and 500' "$T/out")"
if "$OPENSSL" list -providers -provider fips >/dev/null 2>&1; then
	ok "# SKIP a FIPS provider is installed here"
else
	conn_config "fips: true"
	"$CONNECTORD" -c "$T/conn.yaml" > "$T/out" 2>&1
	rc=$?
	check "fips: true without a FIPS provider: refuses to start, says why" \
	    test "$rc" -eq 1 -a -n "$(grep "FIPS provider cannot be loaded" "$T/out")"
fi
conn_config
chmod 770 "$T/state"
"$CONNECTORD" -c "$T/conn.yaml" > "$T/out" 2>&1
rc=$?
check "a group-writable state folder: the daemon refuses to start" \
    test "$rc" -eq 1 -a -n "$(grep 'state folder is writable by group or others (mode 0770); chmod go-w it' "$T/out")"
conn status > "$T/out" 2>&1
check "... and the CLI exits 6" test $? -eq 6
chmod 700 "$T/state"
conn frobnicate > /dev/null 2>&1
check "an unknown command: exit 2" test $? -eq 2
exit 0
