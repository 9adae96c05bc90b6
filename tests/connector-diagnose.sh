#!/bin/bash
# ndes-connector diagnose against a real setup: the cloud emulator, a
# registered connector, ndes-connectord, ndes-crpd and a CA folder.  First
# every check OK (exit 0), then one thing broken at a time, each time the
# exact FAIL line, only that one failing, and exit 9: a key readable by
# others, the registration certificate missing, an expired one, the cloud
# stopped, the cloud's CA replaced by another, a stale CRL, the CA key
# readable by others, index.txt missing, a cloud whose clock is wrong
# (tests/lib/date_server sends an old Date header), a broken configuration,
# an issuer name that is not ca.pem's subject, a template the cloud asks for
# that ca.templates does not serve, a SCEP server user that
# ndes-crpd refuses, that cannot open crp.sock, that does not own the CA key,
# ndes-connectord stopped, ndes-crpd stopped; and no failure for a serial
# file of mode 0400 (as scepserver leaves it: the connector replaces it by
# rename).
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
CRPD=$top_builddir/crp/ndes-crpd
DATE_SERVER=$top_builddir/tests/lib/date_server
[ -x "$CRPD" ] || ce_skip_all "ndes-crpd is not built"
[ -x "$DATE_SERVER" ] || ce_skip_all "tests/lib/date_server is not built"
ce_setup
echo "1..86"

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config "ca: {name: ca01, folder: $T/ca}"
register || { echo "Bail out! register failed"; exit 1; }
cat > "$T/crpd.yaml" <<EOF2
tenant_id: 6d2f4a8e-3b1c-4f7a-9e2d-5c8b0a1f3e47
state_dir: $T/state
ipc: {socket: $T/crp.sock}
connector: {socket: $T/connector.sock, retry_interval: 1s}
events: {sink: file, path: $T/crpd-events.json}
EOF2
start_crpd() {
	"$CRPD" --config "$T/crpd.yaml" >>"$T/crpd.log" 2>&1 &
	CRPD_PID=$!
	wait_for 10 test -S "$T/crp.sock"
}
start_crpd || { echo "Bail out! ndes-crpd did not start"; exit 1; }
start_daemon || { echo "Bail out! ndes-connectord did not start"; exit 1; }

# gencrl ARGS...: a CRL of the CA folder made by openssl ca
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\n' \
    "$T/ca/index.txt" "$T/crlnumber" > "$T/gencrl.cnf"
echo 01 > "$T/crlnumber"
gencrl() {
	"$OPENSSL" ca -config "$T/gencrl.cnf" -gencrl -keyfile "$T/ca/ca.key" \
	    -cert "$T/ca/ca.pem" -out "$T/ca/crl.pem" "$@" 2>/dev/null
}
gencrl -crldays 7

S=$T/state
R=$S/registration
ME=$(id -un)
diagnose() {
	conn diagnose --crpd-config "$T/crpd.yaml" --scep-user "$ME" "$@" > "$T/out" 2>&1
	echo $? > "$T/rc"
}
has() { grep -qxF -- "$1" "$T/out"; }
has_re() { grep -qx -- "$1" "$T/out"; }
rc_is() { [ "$(cat "$T/rc")" = "$1" ]; }
summary() { has "$1"; }
# check_out "description" command...: check, with the output on failure
check_out() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; diag "$T/out"; fi
}

# --- healthy
diagnose
check_out "healthy: exit 0" rc_is 0
check "configuration" has "OK    configuration: $T/conn.yaml loaded, state folder $S"
check "crpd configuration" \
    has "OK    crpd configuration: $T/crpd.yaml loaded; sockets and state folder agree with the connector's"
check "state folder" has "OK    state folder: $S: mode 0700, owner uid $(id -u), not writable by group or others"
check "registration" has_re "OK    registration: connector [0-9a-f-]\{36\}, tenant [0-9a-f-]\{36\}, cloud $CLOUD_URL"
check "registration keys" \
    has "OK    registration keys: $R/client.key, $R/crp.key: owned by us, mode 0600 or stricter"
check "registration certificate" \
    has_re "OK    registration certificate: [0-9A-F]\{40\}, expires at 20[0-9-]*T[0-9:]*Z (36[45] days left)"
check "registration chain" has_re "OK    registration chain: CN=[0-9a-f-]*,O=[0-9a-f-]* issued by CN=ndes-cloud-sim CA,O=[0-9a-f-]*, verified against $R/ca-chain.pem; the key matches"
check "CRP certificate" has_re "OK    CRP certificate: [0-9A-F]\{40\}, expires at .* (36[45] days left)"
check "signing certificates" has "OK    signing certificates: $S/signing/signing-certs.pem: 1 certificate"
check "connector socket" has "OK    connector socket: $T/connector.sock: mode 0660, ndes-connectord answers PING"
check "crpd socket" has "OK    crpd socket: $T/crp.sock: mode 0660, ndes-crpd answers PING"
check "cloud reachable" has "OK    cloud reachable: $CLOUD_URL answered (HTTP 401 without a client certificate)"
check "cloud trusted" has "OK    cloud trusted: the cloud's certificate verifies against $R/cloud-ca.pem"
check "cloud authentication" \
    has "OK    cloud authentication: GET /certificates/signing with the registration certificate: HTTP 200"
check "clock skew (the emulator's Date header)" \
    has_re "OK    clock skew: within [0-9] s of the cloud's clock (at most 300 s allowed)"
check "CA folder" has "OK    CA folder: $T/ca (CA ca01): index.txt readable and writable, serial readable (replaced by rename)"
check "CA key" has "OK    CA key: $T/ca/ca.key: owned by us, mode 0600 or stricter, matches ca.pem"
check "CA certificate" has_re "OK    CA certificate: CN=Contoso Issuing CA,O=Contoso, expires at .* (36[0-9][0-9] days left)"
check "CA issuer name" has "OK    CA issuer name: ca.issuer_name not set: revocations are asked for $T/ca/ca.pem's subject CN=Contoso Issuing CA,O=Contoso"
check "CA CRL" has_re "OK    CA CRL: $T/ca/crl.pem: 0 revoked, next update .*"
check "cloud templates" has "OK    cloud templates: ca.templates not set: every template is served (ca.default_validity)"
check "SCEP server user" has "OK    SCEP server user: $ME (uid $(id -u)) may connect to $T/crp.sock and owns the CA key"
check "healthy: 22 checks, all OK" summary "22 ok, 0 warn, 0 failed, 0 skipped"
conn diagnose --crpd-config "$T/crpd.yaml" --scep-user "$ME" --json > "$T/json"
check "--json: 22 objects, all ok, code and fix null" bash -c "
    [ \$(grep -c '\"check\": ' '$T/json') = 22 ] && [ \$(grep -c '\"status\": \"ok\"' '$T/json') = 22 ] &&
    [ \$(grep -c '\"code\": null' '$T/json') = 22 ] && [ \$(grep -c '\"fix\": null' '$T/json') = 22 ]"
conn diagnose --crpd-config "$T/crpd.yaml" > "$T/out" 2>&1
check "without --scep-user: that check skipped" has "SKIP  SCEP server user: no --scep-user NAME"

# fails LINE: exit 9, the line, nothing else failing
fails() {
	local what=$1 line=$2
	diagnose "${@:3}"
	check "$what: exit 9" rc_is 9
	check_out "$what: $line" has "$line"
	check_out "$what: only that check failed" grep -q '^[0-9]* ok, [0-9]* warn, 1 failed, ' "$T/out"
}

chmod 644 "$R/client.key"
fails "client.key 0644" "FAIL  registration keys: 0x00001402 NDES_File_Permissions: $R/client.key: private key file is readable by group or others (mode 0644); fix: chmod 600 $R/client.key"
chmod 600 "$R/client.key"
chmod 644 "$R/crp.key"
conn diagnose --crpd-config "$T/crpd.yaml" --json > "$T/json"
check "--json: the failure with its code, name and fix" grep -qF \
    "\"code\": \"0x00001402\",
    \"code_name\": \"NDES_File_Permissions\",
    \"detail\": \"$R/crp.key: private key file is readable by group or others (mode 0644)\",
    \"fix\": \"chmod 600 $R/crp.key\"" "$T/json"
chmod 600 "$R/crp.key"

mv "$R/client.pem" "$T/client.pem.saved"
fails "client.pem removed" "FAIL  registration certificate: 0x00000404 Certificate_NotFound: $R/client.pem: No such file or directory; fix: register again (ndes-connector register --force ...)"
mv "$T/client.pem.saved" "$R/client.pem"

# an expired registration certificate for the same key, from the cloud's CA
mkdir -p "$T/old" && touch "$T/old/index.txt"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
    "$T/old" "$T/old" "$T/old" > "$T/old/ca.cnf"
echo 01 > "$T/old/serial"
"$OPENSSL" req -new -key "$R/client.key" -subj /CN=expired -out "$T/old/req.pem" 2>/dev/null
"$OPENSSL" ca -config "$T/old/ca.cnf" -batch -notext -cert "$T/cloud/pki/ca.pem" \
    -keyfile "$T/cloud/pki/ca.key" -in "$T/old/req.pem" -out "$T/old/client.pem" \
    -startdate 20200101000000Z -enddate 20200102000000Z 2>/dev/null
old_tp=$("$OPENSSL" x509 -in "$T/old/client.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
cp "$R/client.pem" "$R/registration.json" "$T/"
cp "$T/old/client.pem" "$R/client.pem"
sed -i "s/\"clientThumbprint\": \"[0-9A-F]*\"/\"clientThumbprint\": \"$old_tp\"/" "$R/registration.json"
fails "expired certificate" "FAIL  registration certificate: 0x00000405 Certificate_Expired: $old_tp expired at 2020-01-02T00:00:00Z; fix: register again (ndes-connector register --force ...)"
cp "$T/client.pem" "$T/registration.json" "$R/"

cp "$R/cloud-ca.pem" "$T/cloud-ca.saved"
cp "$T/ca/ca.pem" "$R/cloud-ca.pem"
fails "another CA as the cloud's" "FAIL  cloud trusted: 0x00001203 NDES_Cloud_Untrusted: TLS with localhost:$CLOUD_PORT failed: certificate verify failed: self-signed certificate in certificate chain (CA: $R/cloud-ca.pem); fix: give the CA that issued the cloud's certificate in cloud.ca_cert (or register again with --ca-cert)"
cp "$T/cloud-ca.saved" "$R/cloud-ca.pem"

cp "$T/ca/crl.pem" "$T/crl.saved"
gencrl -crlsec 1
sleep 1.2
diagnose
check "stale CRL: exit 9" rc_is 9
check_out "stale CRL: the FAIL line" has_re "FAIL  CA CRL: 0x00001407 NDES_Crl_Stale: $T/ca/crl.pem is past its nextUpdate 20[0-9-]*T[0-9:]*Z; fix: publish a fresh CRL: .*"
cp "$T/crl.saved" "$T/ca/crl.pem"

chmod 644 "$T/ca/ca.key"
fails "ca.key 0644" "FAIL  CA key: 0x00001402 NDES_File_Permissions: $T/ca/ca.key: private key file is readable by group or others (mode 0644); fix: chmod 600 $T/ca/ca.key"
chmod 600 "$T/ca/ca.key"

mv "$T/ca/index.txt" "$T/index.saved"
fails "index.txt missing" "FAIL  CA folder: 0x00000400 PKCS_Issue_CA_Unavailable: $T/ca/index.txt: No such file or directory; fix: restore it (an empty index.txt for a new CA: touch $T/ca/index.txt)"
mv "$T/index.saved" "$T/ca/index.txt"

# scepserver writes serial with mode 0400; the connector replaces it by
# rename.  As root, without CAP_DAC_OVERRIDE, so that the mode counts.
nodac() {
	if [ "$(id -u)" = 0 ]; then setpriv --bounding-set -dac_override,-dac_read_search "$@"
	else "$@"; fi
}
chmod 400 "$T/ca/serial"
nodac "$CONNECTOR" -c "$T/conn.yaml" diagnose --crpd-config "$T/crpd.yaml" > "$T/out" 2>&1
echo $? > "$T/rc"
check_out "serial 0400: exit 0" rc_is 0
check_out "serial 0400: the CA folder OK" has "OK    CA folder: $T/ca (CA ca01): index.txt readable and writable, serial readable (replaced by rename)"
chmod 644 "$T/ca/serial"

# an issuer name the cloud's revocations for this CA never carry
sed "s|^ca: .*|ca: {name: ca01, folder: $T/ca, issuer_name: 'OU=Contoso Issuing CA,O=Contoso'}|" \
    "$T/conn.yaml" > "$T/issuer.yaml"
fails "issuer name not ca.pem's subject" "FAIL  CA issuer name: 0x00001401 NDES_Config_Invalid: ca.issuer_name \"OU=Contoso Issuing CA,O=Contoso\" is not $T/ca/ca.pem's subject \"CN=Contoso Issuing CA,O=Contoso\": the cloud's revocations for this CA never reach this connector; fix: remove ca.issuer_name (the default is ca.pem's subject) or set it to \"CN=Contoso Issuing CA,O=Contoso\"" -c "$T/issuer.yaml"
sed "s|^ca: .*|ca: {name: ca01, folder: $T/ca, issuer_name: 'cn=contoso issuing ca,o=contoso'}|" \
    "$T/conn.yaml" > "$T/issuer.yaml"
diagnose -c "$T/issuer.yaml"
check_out "the issuer name in another case: OK (the cloud compares without case)" \
    has "OK    CA issuer name: ca.issuer_name is $T/ca/ca.pem's subject CN=Contoso Issuing CA,O=Contoso"

# the SCEP server's user: unknown, refused by crpd's ACL, not able to open
# crp.sock, not the CA key's owner
fails "an unknown --scep-user" "FAIL  SCEP server user: 0x00001401 NDES_Config_Invalid: --scep-user ndes-no-such-user: no such user; fix: give the user the SCEP server runs as (User= in its unit)" --scep-user ndes-no-such-user
fails "a SCEP user crpd refuses" "FAIL  SCEP server user: 0x00001402 NDES_File_Permissions: ndes-crpd refuses nobody (uid $(id -u nobody)) on $T/crp.sock: neither it nor one of its groups is in ipc.allowed_uids/allowed_gids of $T/crpd.yaml; fix: add nobody to ipc.allowed_uids in $T/crpd.yaml and reload ndes-crpd (SIGHUP)" --scep-user nobody
sed "s|^ipc: .*|ipc: {socket: $T/crp.sock, allowed_uids: [nobody]}|" "$T/crpd.yaml" > "$T/crpd-acl.yaml"
sock_group=$(stat -c %G "$T/crp.sock")
fails "a SCEP user that cannot open crp.sock" "FAIL  SCEP server user: 0x00001402 NDES_File_Permissions: nobody (uid $(id -u nobody)) may not open $T/crp.sock (mode 0660, owner $ME:$sock_group); fix: add nobody to the socket's group: usermod -aG $sock_group nobody" --scep-user nobody --crpd-config "$T/crpd-acl.yaml"
sed "s|^ipc: .*|ipc: {socket: $T/crp.sock, mode: '0666', allowed_uids: [nobody]}|" "$T/crpd.yaml" > "$T/crpd-acl.yaml"
chmod 666 "$T/crp.sock"
fails "a SCEP user that does not own the CA key" "FAIL  SCEP server user: 0x00001402 NDES_File_Permissions: nobody (uid $(id -u nobody)) cannot read $T/ca/ca.key (owned by $ME, mode 0600: the connector refuses a CA key that is not its own); fix: run the SCEP server as $ME, the connector's user (User= in its unit)" --scep-user nobody --crpd-config "$T/crpd-acl.yaml"
chmod 660 "$T/crp.sock"

# a "cloud" whose clock is 30 years behind
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$T/skew.key" -out "$T/skew.pem" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost 2>/dev/null
"$DATE_SERVER" "$T/skew.pem" "$T/skew.key" "$T/skew.port" "Sun, 06 Nov 1994 08:49:37 GMT" \
    >>"$T/date-server.log" 2>&1 &
SKEW_PID=$!
wait_for 10 test -s "$T/skew.port"
{ cat "$T/conn.yaml"; echo "cloud: {url: 'https://localhost:$(cat "$T/skew.port")', ca_cert: $T/skew.pem}"; } > "$T/skew.yaml"
diagnose -c "$T/skew.yaml"
check "clock skew: exit 9" rc_is 9
check_out "clock skew: the FAIL line" has_re "FAIL  clock skew: 0x00001406 NDES_Clock_Skew: this clock is [0-9]* s ahead of the cloud's (Date: Sun, 06 Nov 1994 08:49:37 GMT); fix: synchronise the clock (timedatectl set-ntp true, chrony or systemd-timesyncd)"
check_out "clock skew: only that check failed" summary "21 ok, 0 warn, 1 failed, 0 skipped"
kill "$SKEW_PID" 2>/dev/null
wait "$SKEW_PID" 2>/dev/null

printf 'state_dir: %s\nbogus: 1\n' "$S" > "$T/bad.yaml"
diagnose -c "$T/bad.yaml"
check "bad configuration: exit 9" rc_is 9
check "bad configuration: file:line:col" has_re "FAIL  configuration: 0x00001401 NDES_Config_Invalid: $T/bad.yaml:2:1: unknown key \"bogus\" (.*); fix: correct the file (ndes-connectord --check-config $T/bad.yaml)"
check "bad configuration: the other 21 skipped" summary "0 ok, 0 warn, 1 failed, 21 skipped"

# the emulator's profiles ask for ContosoSCEPSignature; the connector serves
# User only: the request fails (0x1304), the daemon records the name and
# diagnose says which template to add
cp "$T/conn.yaml" "$T/conn.saved"
sed -i "s|^ca: .*|ca: {name: ca01, folder: $T/ca, templates: [{name: User, validity: 365d}]}|" \
    "$T/conn.yaml"
kill -HUP "$DAEMON_PID"
check "templates [User]: reloaded" wait_for 10 grep -q "SIGHUP: reloaded $T/conn.yaml (changed: ca)" \
    "$T/daemon.log"
queue_pkcs 1
check "the request for ContosoSCEPSignature fails with 0x1304" wait_event 20102 0x00001304
diagnose
check "a template not served: exit 9" rc_is 9
check_out "a template not served: the FAIL line" has_re "FAIL  cloud templates: 0x00001304 NDES_Pkcs_RequestInvalid: the cloud's profiles ask for \"ContosoSCEPSignature\" (last asked at $(date -u +%Y-%m-%d)T[0-9:]*Z), which ca.templates does not serve: its PKCS requests fail; fix: add to ca.templates - {name: ContosoSCEPSignature, validity: 365d} (the validity of the template on the CA) and reload ndes-connectord"
check_out "a template not served: only that check failed" summary "21 ok, 0 warn, 1 failed, 0 skipped"
cp "$T/conn.saved" "$T/conn.yaml"
kill -HUP "$DAEMON_PID"
sed "s|^ca: .*|ca: {name: ca01, folder: $T/ca, templates: [{name: ContosoSCEPSignature, validity: 365d}]}|" \
    "$T/conn.yaml" > "$T/served.yaml"
diagnose -c "$T/served.yaml"
check_out "once ca.templates serves it: OK" has "OK    cloud templates: every template the cloud asked for is one of the 1 in ca.templates"

stop_cloud
fails "cloud stopped" "FAIL  cloud reachable: 0x00001202 NDES_Cloud_Unreachable: cannot reach $CLOUD_URL: cannot connect to localhost:$CLOUD_PORT: Connection refused; fix: check the URL (cloud.url or the registered one), name resolution, the firewall and cloud.proxy"
check "cloud stopped: trusted, authentication and clock skipped" summary "18 ok, 0 warn, 1 failed, 3 skipped"
start_cloud || { echo "Bail out! the emulator did not start again"; exit 1; }

stop_daemon
fails "ndes-connectord stopped" "FAIL  connector socket: 0x00001101 NDES_Connector_Unavailable: $T/connector.sock: No such file or directory (ndes-connectord is not running?); fix: start ndes-connectord (systemctl start ndes-connectord)"

kill "$CRPD_PID" 2>/dev/null
wait "$CRPD_PID" 2>/dev/null
CRPD_PID=
diagnose
check "ndes-crpd stopped too: exit 9" rc_is 9
check_out "ndes-crpd stopped: the FAIL line" has_re "FAIL  crpd socket: 0x00001405 NDES_Crpd_Unavailable: $T/crp.sock: .*; fix: start ndes-crpd (systemctl start ndes-crpd)"
exit 0
