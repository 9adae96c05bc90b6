#!/bin/bash
# The daemon's upkeep against the real emulator and a CA folder made by
# openssl ca: a CRL whose nextUpdate is near (openssl ca -gencrl -crlhours 1)
# is replaced by a fresh one signed by the CA with the same revoked serials
# (and diagnose says OK); one that cannot be published is 20212
# CrlPublish_Failure (never 20202, which is for revocations).  SIGHUP reads the configuration again: log_level, a template's
# validity and outbox.max_items take effect, a key bound at start is only
# logged, a broken file keeps the running configuration.  Peers on
# connector.sock are logged for what they are.  `queue --purge-rejected`
# deletes what the cloud refused for good while the daemon runs, and the
# daemon takes new work again.  -v: one level above log_level (warn ->
# info), kept when SIGHUP brings another log_level.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
echo "1..41"

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }

# --- a CA folder with two certificates by openssl ca, one revoked, and a
# CRL that is due (nextUpdate in an hour, crl_days is 2)
C=$T/ca
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ncrlnumber = %s/crlnumber.openssl\ndefault_md = sha256\nunique_subject = no\npolicy = p\n[p]\ncommonName = supplied\n' \
    "$C" "$T" "$C" "$T" > "$T/ossl.cnf"
echo 01 > "$T/crlnumber.openssl"
ossl_ca() { "$OPENSSL" ca -config "$T/ossl.cnf" -batch -cert "$C/ca.pem" -keyfile "$C/ca.key" "$@" 2>>"$T/openssl.log"; }
for n in one two; do
	"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$n.key" \
	    -subj "/CN=$n" -out "$T/$n.csr" 2>/dev/null
	ossl_ca -notext -days 30 -in "$T/$n.csr" -out "$T/$n.pem"
done
ossl_ca -revoke "$T/one.pem" -crl_reason keyCompromise
echo 'unique_subject = no' > "$C/index.txt.attr"	# the connector issues alice twice below
ossl_ca -gencrl -crlhours 1 -out "$C/crl.pem"
revoked() { "$OPENSSL" crl -in "$C/crl.pem" -noout -text | grep 'Serial Number' | tr -d ' ' | sort; }
revoked > "$T/revoked.before"
next_update() { date -u -d "$("$OPENSSL" crl -in "$C/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s; }
# the CRL's nextUpdate is at least $1 seconds away
crl_fresh_for() { [ "$(next_update)" -ge $(( $(date +%s) + $1 )) ]; }

write_config() {	# log_level, template validity, extra YAML...
	local level=$1 validity=$2
	shift 2
	conn_config "log_level: $level" \
	    "ca: {name: ca01, folder: $C, crl_days: 2, templates: [{name: ContosoSCEPSignature, validity: $validity}]}" "$@"
}
write_config info 30d
register || { echo "Bail out! cannot register"; exit 1; }
start_daemon || { echo "Bail out! the daemon did not start"; exit 1; }
L=$T/daemon.log

# --- the CRL
check "a CRL due (nextUpdate in 1 hour) is replaced at start" wait_for 10 crl_fresh_for 86000
check "... a CRL signed by the CA" bash -c "\"$OPENSSL\" crl -in $C/crl.pem -CAfile $C/ca.pem -noout 2>&1 | grep -qx 'verify OK'"
check "... with the same revoked serial" cmp -s "$T/revoked.before" <(revoked)
check "... which openssl verify -crl_check applies" bash -c "
    ! \"$OPENSSL\" verify -crl_check -CAfile $C/ca.pem -CRLfile $C/crl.pem $T/one.pem >/dev/null 2>&1 &&
    \"$OPENSSL\" verify -crl_check -CAfile $C/ca.pem -CRLfile $C/crl.pem $T/two.pem >/dev/null 2>&1"
check "... and a log line says why" grep -q "published a fresh CRL for CA ca01 (1 revoked, next update 20[0-9-]*T[0-9:]*Z): the nextUpdate 20[0-9-]*T[0-9:]*Z of $C/crl.pem is less than half of ca.crl_days (2 days) away" "$L"
conn diagnose > "$T/diag.out" 2>&1
check "diagnose: the CRL is OK" grep -qx "OK    CA CRL: $C/crl.pem: 1 revoked, next update .*" "$T/diag.out"
check "diagnose's PING is not logged at info level" not grep -q "connected on connector.sock" "$L"
check "the old wording is gone" not grep -q "ndes-crpd connected (pid" "$L"

# --- a PKCS certificate with the template's validity
pkcs_days() {	# the validity (days, rounded) of the PKCS certificate issued for a new request
	local req
	req=$(cloud pkcs-request --device 0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30 \
	    --profile 'Contoso Wi-Fi User (iOS)' --user alice@contoso.com --raw) || return 1
	wait_event 20100 0x00000000 "$req" || return 1
	wait_for 20 bash -c "\"$CLOUD_SIM\" pkcs-open --request-id $req --admin $ADMIN > $T/open.json 2>&1" || return 1
	grep -q "\"notAfter\": \"$(date -u -d "+$1 days" +%Y-%m-%d)" "$T/open.json"
}
check "the template's validity: 30 days" pkcs_days 30

# --- SIGHUP: log_level debug, the template 10 days, ipc.mode (bound at start)
write_config debug 10d
sed -i "s|^ipc: {socket: \(.*\)}|ipc: {socket: \1, mode: '0600'}|" "$T/conn.yaml"
kill -HUP "$DAEMON_PID"
check "SIGHUP: reloaded, naming what changed" wait_for 10 grep -q "SIGHUP: reloaded $T/conn.yaml (changed: log_level, ca)" "$L"
check "... a key bound at start is only logged" grep -q "ipc.mode changed: restart ndes-connectord to apply" "$L"
check "... and keeps its running value" test "$(stat -c %a "$T/connector.sock")" = 660
check "... debug lines appear (the CRL checked again)" wait_for 10 grep -q "the CRL of CA ca01 is fresh (next update " "$L"
check "... the next PKCS certificate has the new validity: 10 days" pkcs_days 10
# (with the running socket mode: diagnose PINGs only a socket with the mode configured)
sed "s|, mode: '0600'||" "$T/conn.yaml" > "$T/diag.yaml"
"$CONNECTOR" -c "$T/diag.yaml" diagnose > "$T/diag.out" 2>&1
check "a PING-only peer is logged at debug level, with pid and uid" wait_for 10 grep -q \
    "peer connected on connector.sock (pid [0-9]*, uid $(id -u)): PING only so far" "$L"

# --- SIGHUP: ipc.allowed_uids is the socket's ACL at once (test_ipc_peer: peers no longer allowed are closed)
sed -i "s|^ipc: {socket: \(.*\)}|ipc: {socket: \1, allowed_uids: [65534]}|" "$T/conn.yaml"
kill -HUP "$DAEMON_PID"
check "SIGHUP: ipc.allowed_uids applies without a restart" wait_for 10 grep -q \
    "SIGHUP: reloaded $T/conn.yaml (changed: ipc.allowed_uids)" "$L"
check "... and is not reported as bound at start" not grep -q "ipc.allowed_uids changed" "$L"
sed -i "s|, allowed_uids: \[65534\]}|}|" "$T/conn.yaml"
kill -HUP "$DAEMON_PID"
check "... and back to none" wait_for 10 bash -c "test \"\$(grep -c \
    'SIGHUP: reloaded $T/conn.yaml (changed: ipc.allowed_uids)' '$L')\" = 2"

# --- a broken file on SIGHUP
cp "$T/conn.yaml" "$T/conn.good"
echo "bogus: 1" >> "$T/conn.yaml"
line=$(wc -l < "$T/conn.yaml")
kill -HUP "$DAEMON_PID"
check "a broken file: the error with file:line:col, the running configuration kept" wait_for 10 grep -q \
    "SIGHUP: the configuration was not reloaded, running on the one loaded before: $T/conn.yaml:$line:1: unknown key \"bogus\"" "$L"
check "... the daemon still runs" kill -0 "$DAEMON_PID"
feed 1 stillhere
check "... and takes notifications" grep -qx 'acked 1' "$T/feed.out"
check "... at debug level still (log_level kept)" wait_for 10 grep -q "notification stillhere-1 (failureNotification) stored" "$L"
check "a notifying peer is logged as ndes-crpd" grep -q \
    "peer connected on connector.sock (pid [0-9]*, uid $(id -u)): ndes-crpd, it hands over notifications" "$L"
check "... the template stays at 10 days" pkcs_days 10

# --- a CRL that cannot be published
cp "$T/conn.good" "$T/conn.yaml"
cp "$C/crlnumber" "$T/crlnumber.saved"
echo zz > "$C/crlnumber"
ossl_ca -gencrl -crlhours 1 -out "$C/crl.pem"
kill -HUP "$DAEMON_PID"
check "a CRL that cannot be published (crlnumber malformed): 20212 with 0x00001305" \
    wait_event 20212 0x00001305 "cannot publish a fresh CRL for CA ca01: $C/crlnumber: not a hexadecimal number (needed: the nextUpdate"
check "... the CRL left as it was" not crl_fresh_for 7200
check "... and no 20202: no revocation failed" not has_event 20202 0x00001305
cp "$T/crlnumber.saved" "$C/crlnumber"
kill -HUP "$DAEMON_PID"
check "... published at the next check once it can be" wait_for 10 crl_fresh_for 86000

# --- rejected items: purged while the daemon runs
wait_for 20 bash -c "\"$CONNECTOR\" -c $T/conn.yaml status --json | grep -q '\"depth\": 0'"
MAX_ITEMS=2 write_config debug 10d
kill -HUP "$DAEMON_PID"
check "outbox.max_items reloaded" wait_for 10 grep -q "SIGHUP: reloaded $T/conn.yaml (changed: outbox)" "$L"
"$FEED" "$T/connector.sock" 2 poison invalid >/dev/null
check "two notifications refused by the cloud, kept as rejected" wait_for 20 bash -c \
    "[ \$(\"$CONNECTOR\" -c $T/conn.yaml queue | grep -c 'rejected *n:poison-') -eq 2 ]"
feed 1 blocked
check "they fill the outbox (max_items 2): a new notification is refused" \
    test $? -eq 3 -a -n "$(grep 'outbox is full' "$T/feed.out")"
conn queue --purge-rejected --older-than 1h > "$T/out" 2>&1
check "--older-than 1h: none that old, exit 0" \
    test $? -eq 0 -a "$(cat "$T/out")" = "deleted 0 rejected items from the outbox, stored more than 1h"
conn queue --purge-rejected --older-than soon > "$T/out" 2>&1
check "--older-than without a duration: exit 2" \
    test $? -eq 2 -a -n "$(grep -F -- '--older-than "soon": not a duration' "$T/out")"
conn queue --purge-rejected --json > "$T/out" 2>&1
check "--purge-rejected: both deleted, exit 0" test $? -eq 0 -a "$(cat "$T/out")" = '{"deleted": 2}'
check "... the queue is empty" bash -c "\"$CONNECTOR\" -c $T/conn.yaml queue | grep -qx 'the outbox is empty'"
feed 1 room
check "the running daemon has room again" grep -qx 'acked 1' "$T/feed.out"
check "... and it reaches the cloud" wait_for 20 bash -c \
    "\"$CLOUD_SIM\" show notifications --admin $ADMIN | grep -q '\"transactionId\": \"room-1\"'"
stop_daemon

# --- -v with log_level warn: info, not debug; a SIGHUP to log_level debug keeps it
write_config warn 30d
mark=$(($(wc -l <"$L") + 1))
start_daemon -v || { echo "Bail out! the daemon did not start with -v"; exit 1; }
check "-v, log_level warn: the info lines (started)" wait_for 10 bash -c \
    "tail -n +$mark '$L' | grep -q 'ndes-connectord started: registered'"
check "... no debug line (the CRL checked at start)" bash -c "sleep 1; ! tail -n +$mark '$L' | grep -q 'is fresh'"
write_config debug 10d
kill -HUP "$DAEMON_PID"
check "SIGHUP with log_level debug: reloaded, log_level named" wait_for 10 bash -c \
    "tail -n +$mark '$L' | grep -q 'SIGHUP: reloaded $T/conn.yaml (changed: log_level, ca)'"
check "... but -v keeps info: no debug line (the CRL checked again)" bash -c \
    "sleep 1; ! tail -n +$mark '$L' | grep -q 'is fresh'"
stop_daemon
exit 0
