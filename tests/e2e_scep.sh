#!/bin/bash
# End to end with the real SCEP server and client (Debian's scep package:
# micromdm's scepserver and scepclient): the cloud emulator mints
# challenges, a connector identity is registered with it, ndes-crpd
# verifies, scepserver asks ndes-policy-exec (-csrverifierexec) and the
# depot watcher notifies; journald must hold the exact event and code of
# each outcome.  Prints TAP; skipped only when scep is not installed (or no
# journald can run).  NDES_E2E_KEEP=1 keeps the temporary folder.
#
# Every enrollment has its own folder (scepclient caches csr.pem there).
# scepclient's own requests carry no keyUsage, extendedKeyUsage or SANs,
# and challenges demand an exact keyUsage and EKU set (docs/challenge.md),
# so each folder gets a csr.pem made by openssl first, with the subject,
# SANs, usages and challenge the cloud asked for: scepclient sends that
# request as it is.  scepserver 2.1.0 drops UPN SANs and emailAddress from
# what it issues, so the profiles here use neither.
#
# Devices enroll as the profile payload of their challenge says
# (scripts/lib/scep-device.sh): at its SCEP server URLs in order.  The user
# profile lists an unreachable URL first, so its devices move on to the
# second after the connection failure.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${JOURNALCTL:=journalctl}"

. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/scripts/lib/scep-device.sh"
. "$top_srcdir/scripts/lib/ports.sh"
PLAN=51
echo "1..$PLAN"
command -v scepserver >/dev/null 2>&1 && command -v scepclient >/dev/null 2>&1 ||
	skip_rest "micromdm's scepserver/scepclient (Debian package scep) not installed"
bash "$top_srcdir/tests/lib/journal.sh" ensure >/dev/null 2>&1 || skip_rest "no journald"

sim=$top_builddir/cloudsim/ndes-cloud-sim
crpd_bin=$top_builddir/crp/ndes-crpd
connector=$top_builddir/connector/ndes-connector
connectord=$top_builddir/connector/ndes-connectord
exe=$(cd "$top_builddir/policy" && pwd)/ndes-policy-exec
[ -x "$sim" ] && [ -x "$crpd_bin" ] || skip_rest "ndes-cloud-sim or ndes-crpd is not built"

tmp=$(mktemp -d /tmp/ndes-e2e-scep.XXXXXX) || exit 1
chmod 0755 "$tmp"
depot=$tmp/depot
state=$tmp/ndes		# ndes-crpd's and the connector's state_dir
run=$tmp/run		# sockets
mkdir -p "$run" "$tmp/enroll" "$tmp/payload" && mkdir -m 0750 "$state"
pids=()

bail() {
	echo "Bail out! $*"
	for f in "$tmp"/*.err; do [ -f "$f" ] && sed "s|^|# ${f##*/}: |" "$f" | tail -n 20; done
	exit 1
}
cleanup() {
	local p
	[ -n "${crpd:-}" ] && kill -CONT "$crpd" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "${NDES_E2E_KEEP:-}" ]; then echo "# kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# until "$@" succeeds, for at most $1 tenths of a second
wait_until() {
	local t=$1 i
	shift
	for ((i = 0; i < t; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
uuid() { cat /proc/sys/kernel/random/uuid; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the SCEP server's CA and the tenant ---------------------------------
scepserver ca -init -depot "$depot" -keySize 2048 -years 2 -organization "Contoso E2E" \
	>/dev/null 2>&1 || bail "scepserver ca -init failed"
sport=$(free_port)
dead_port=1	# nothing listens on port 1: the first URL of the user profile
tenant=$(uuid)
dev_phone=$(uuid) dev_bob=$(uuid) dev_a=$(uuid) dev_b=$(uuid)
tag=${dev_a%%-*}	# makes this run's device names unique
user=alice@contoso.com
subj_user=/C=US/ST=Washington/L=Redmond/O=Contoso/OU=Mobile/CN=$user
subj_bob=/C=US/ST=Washington/L=Redmond/O=Contoso/OU=Mobile/CN=bob@contoso.com
cat >"$tmp/cloud-sim.yaml" <<EOF
tenant_id: $tenant
service:
  state_dir: cloud-state
  issuing_ca_cert: depot/ca.pem
templates:
  - {name: E2ESignature, validity_days: 365, purpose: signature}
users:
  - {upn: alice@contoso.com, email: alice.smith@contoso.com}
  - {upn: bob@contoso.com, email: bob.jones@contoso.com}
devices:
  - {id: $dev_phone, name: ALICE-IPHONE-$tag, platform: ios, owner: alice@contoso.com}
  - {id: $dev_bob, name: BOB-IPHONE-$tag, platform: ios, owner: bob@contoso.com}
  - {id: $dev_a, name: WS-A-$tag, platform: windows_10, owner: alice@contoso.com}
  - {id: $dev_b, name: WS-B-$tag, platform: windows_10, owner: alice@contoso.com}
groups:
  - {name: Users, type: users, members: [alice@contoso.com, bob@contoso.com]}
  - {name: Workstations, type: devices, members: [$dev_a, $dev_b]}
trusted_certificate_profiles:
  - {name: Root iOS, platform: ios, certificate: depot/ca.pem, assignments: [Users]}
  - {name: Root Windows, platform: windows_10, certificate: depot/ca.pem, assignments: [Workstations]}
scep_profiles:
  - name: E2E User
    platform: ios
    certificate_type: user
    subject_name_format: custom
    custom_subject: "CN={{UserName}},OU=Mobile,O=Contoso,L=Redmond,ST=Washington,C=US"
    subject_alternative_names: [{type: email}]
    key_usage: [digitalSignature]
    root_certificate: Root iOS
    extended_key_usages: [clientAuth]
    renewal_threshold_percent: 25
    scep_server_urls: [http://127.0.0.1:$dead_port/scep, http://127.0.0.1:$sport/scep]
    assignments: [Users]
  - name: E2E Workstation
    platform: windows_10
    certificate_type: device
    subject_name_format: custom
    custom_subject: "CN={{DeviceName}},OU=Workstations,O=Contoso,C=US"
    subject_alternative_names: [{type: dns, value: "{{AzureADDeviceId}}.contoso.com"}]
    key_usage: [digitalSignature]
    hash_algorithm: sha256
    root_certificate: Root Windows
    extended_key_usages: [clientAuth]
    scep_server_urls: [http://127.0.0.1:$sport/scep]
    assignments: [Workstations]
EOF
"$sim" --check-config "$tmp/cloud-sim.yaml" >/dev/null 2>"$tmp/cloud-check.err" ||
	bail "the cloud emulator refuses the test tenant: $(cat "$tmp/cloud-check.err")"

# ---- the cloud emulator ----------------------------------------------------
"$sim" serve --config "$tmp/cloud-sim.yaml" --listen-port 0 --admin-port 0 \
	>"$tmp/cloud.out" 2>"$tmp/cloud.err" &
pids+=($!)
ports=$tmp/cloud-state/ports.json
wait_until 100 test -s "$ports" || bail "the cloud emulator did not start"
lport=$(sed -n 's/.*"listenPort": *\([0-9]*\).*/\1/p' "$ports")
sim_() {
	local cmd=$1
	shift
	"$sim" "$cmd" --config "$tmp/cloud-sim.yaml" "$@"
}
token=$(sim_ token --raw) || bail "no registration token"

# ---- a connector identity ------------------------------------------------
cat >"$tmp/connector.yaml" <<EOF
state_dir: $state
ipc: {socket: $run/connector.sock}
crp_socket: $run/crp.sock
downloads: {interval: 3600s}
outbox: {backoff_initial: 1s, backoff_max: 2s}
events: {sink: journal}
EOF
register_with_curl() {
	local reg=$tmp/register body
	mkdir -p "$reg" "$state/registration" "$state/signing"
	"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=e2e \
		-keyout "$reg/client.key" -outform DER -out "$reg/client.csr" 2>/dev/null &&
	"$OPENSSL" req -new -newkey rsa:2048 -nodes -subj "/CN=e2e CRP" \
		-keyout "$reg/crp.key" -outform DER -out "$reg/crp.csr" 2>/dev/null || return 1
	body=$(printf '{"token":"%s","name":"e2e","clientCsr":"%s","crpCsr":"%s"}' "$token" \
		"$(base64 -w0 "$reg/client.csr")" "$(base64 -w0 "$reg/crp.csr")")
	curl -sf --cacert "$tmp/cloud-state/pki/ca.pem" -H 'Content-Type: application/json' \
		-d "$body" "https://127.0.0.1:$lport/connectors/register" >"$reg/answer.json" || return 1
	json_b64() { sed -n "s/.*\"$1\": *\[*\"\([A-Za-z0-9+\/=]*\)\".*/\1/p" "$reg/answer.json"; }
	pem() {
		echo "-----BEGIN CERTIFICATE-----"
		base64 -d | base64 -w 64
		echo "-----END CERTIFICATE-----"
	}
	json_b64 crpCertificate | pem >"$state/registration/crp.pem"
	json_b64 signingCertificates | pem >"$state/signing/signing-certs.pem"
	install -m 0600 "$reg/crp.key" "$state/registration/crp.key"
}
if [ -x "$connector" ]; then
	"$connector" --config "$tmp/connector.yaml" register --cloud "https://127.0.0.1:$lport" \
		--token "$token" --ca-cert "$tmp/cloud-state/pki/ca.pem" --name e2e \
		>"$tmp/register.out" 2>"$tmp/register.err"
	rc=$?
	how="ndes-connector register"
else
	register_with_curl 2>"$tmp/register.err"
	rc=$?
	how="curl + openssl (no ndes-connector built)"
fi
check "a connector identity is registered with the cloud ($how)" \
	test "$rc" = 0 -a -s "$state/registration/crp.pem" -a -s "$state/registration/crp.key" \
	-a -s "$state/signing/signing-certs.pem"

# ---- ndes-crpd, the connector daemon, scepserver, the depot watcher ---------
cat >"$tmp/crpd.yaml" <<EOF
tenant_id: $tenant
state_dir: $state
ipc: {socket: $run/crp.sock}
connector: {socket: $run/connector.sock, retry_interval: 1s}
events: {sink: journal}
EOF
start_crpd() {
	"$crpd_bin" --config "$tmp/crpd.yaml" 2>>"$tmp/crpd.err" &
	crpd=$!
	pids+=("$crpd")
	wait_until 100 test -S "$run/crp.sock"
}
start_crpd || bail "ndes-crpd did not start"
if [ -x "$connectord" ]; then
	"$connectord" --config "$tmp/connector.yaml" 2>"$tmp/connectord.err" &
	pids+=($!)
	wait_until 100 test -S "$run/connector.sock" || bail "ndes-connectord did not start"
fi

cat >"$tmp/policy.yaml" <<EOF
crp_socket: $run/crp.sock
timeout: 3s
exec: {state_dir: $tmp/policy-state}
EOF
NDES_POLICY_CONFIG=$tmp/policy.yaml scepserver -depot "$depot" -port "$sport" -allowrenew 0 \
	-csrverifierexec "$exe" >"$tmp/scepserver.out" 2>"$tmp/scepserver.err" &
scep_pid=$!
pids+=("$scep_pid")
wait_until 100 port_open "$sport" || bail "scepserver did not start"
NDES_POLICY_CONFIG=$tmp/policy.yaml "$exe" watch-depot --retry 1 "$depot" 2>"$tmp/watch.err" &
watcher=$!
pids+=("$watcher")
wait_until 50 grep -q "watching $depot" "$tmp/watch.err" || bail "the depot watcher did not start"

# ---- helpers for enrollments -------------------------------------------------
# mint OUTVAR --device D --profile P [--user U] [--expires-in S]: the
# challenge text in OUTVAR, the whole answer (the profile payload) in
# payload/OUTVAR.json
mint() {
	local var=$1
	shift
	sim_ challenge "$@" >"$tmp/payload/$var.json"
	printf -v "$var" '%s' "$(jq -r '.challenge // empty' "$tmp/payload/$var.json")"
}
# payload_of CHALLENGE: the payload file minted with it; a device without a
# (valid) challenge still has its profile: the workstation's
payload_of() {
	local f
	[ -n "$1" ] && f=$(grep -lF -- "\"$1\"" "$tmp"/payload/*.json 2>/dev/null | head -n 1)
	echo "${f:-$tmp/payload/ch_dev.json}"
}
certs() { find "$depot" -maxdepth 1 -name '*.pem' ! -name ca.pem | wc -l; }

# enroll NAME CHALLENGE SUBJECT SAN [KEY_FROM]: one scepclient enrollment in
# enroll/NAME with a request openssl made (SUBJECT in openssl's /A=b form,
# SAN as openssl's subjectAltName value, "" for none; KEY_FROM: reuse the key
# of that enrollment).  Sets rc, took (ms), txn (the transaction ID
# ndes-policy-exec derives: SHA-256 of the public key) and d (the folder).
enroll() {
	local name=$1 challenge=$2 subj=$3 san=$4 from=${5:-} t0
	d=$tmp/enroll/$name
	mkdir -p "$d"
	if [ -n "$from" ]; then cp "$tmp/enroll/$from/key.pem" "$d/key.pem"; else
		"$OPENSSL" genrsa -traditional -out "$d/key.pem" 2048 2>/dev/null
	fi
	{
		printf '[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n'
		printf 'req_extensions = ext\n[dn]\n'
		printf '%s\n' "${subj#/}" | tr '/' '\n'
		printf '[attrs]\n'
		[ -n "$challenge" ] && printf 'challengePassword = %s\n' "$challenge"
		printf '[ext]\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n'
		[ -n "$san" ] && printf 'subjectAltName = %s\n' "$san"
	} >"$d/req.cnf"
	"$OPENSSL" req -new -key "$d/key.pem" -config "$d/req.cnf" -out "$d/csr.pem" ||
		bail "openssl req failed for $name"
	txn=$("$OPENSSL" pkey -in "$d/key.pem" -pubout -outform DER | sha256sum | cut -c1-64 |
		tr a-f A-F)
	t0=$(now_ms)
	scep_device_enroll "$(payload_of "$challenge")" "$d"
	rc=$?
	took=$(($(now_ms) - t0))
}
# journald MESSAGEs of SYSLOG_IDENTIFIER=$1 with the given field matches
journal() {
	local id=$1
	shift
	bash "$top_srcdir/tests/lib/journal.sh" sync
	"$JOURNALCTL" -o cat SYSLOG_IDENTIFIER="$id" "$@" 2>/dev/null
}
# event TXN ID: crpd's event ID for that transaction, as its MESSAGE
event() { journal ndes-crpd NDES_TRANSACTION_ID="$1" NDES_EVENT_ID="$2"; }
# wait_event TXN ID TEXT: until crpd's event ID for TXN contains TEXT
wait_event() {
	local i
	for ((i = 0; i < 50; i++)); do
		event "$1" "$2" | grep -qF -- "$3" && return 0
		sleep 0.1
	done
	return 1
}
refused() { # refused DESC: scepclient failed, nothing issued, no certificate
	check "$1: scepclient gets a failure, no certificate in the depot" \
		test "$rc" -ne 0 -a ! -e "$d/client.pem" -a "$(certs)" = "$before" -a \
		"$(grep -c 'failInfo: badRequest' "$d/scepclient.log")" = 1
}

# check_issued WHAT SUBJECT_CHECK SUBJECT SANS_CHECK SANS: four results for
# the last enrollment ($rc, $d): scepclient got a certificate, the depot has
# one more than $before, its subject (RFC 2253) and its SANs are those given
# (*_CHECK: the descriptions of those two results, after "... its ").
check_issued() {
	check_eq "$1: scepclient gets a certificate" \
		"$rc:$(test -s "$d/client.pem" && echo cert)" "0:cert"
	check_eq "... one certificate more in the depot" "$(certs)" "$((before + 1))"
	check_eq "... its $2" \
		"$("$OPENSSL" x509 -in "$d/client.pem" -noout -subject -nameopt RFC2253 2>/dev/null)" \
		"subject=$3"
	check_eq "... its $4" \
		"$("$OPENSSL" x509 -in "$d/client.pem" -noout -ext subjectAltName 2>/dev/null |
		tail -n +2 | tr -d ' ')" "$5"
}

# ---- a good user challenge ----------------------------------------------------
mint ch_user --device "$dev_phone" --profile "E2E User" --user "$user"
check "the cloud mints a challenge for the user profile (${#ch_user} characters)" \
	test "${#ch_user}" -gt 500
check_eq "... with the profile payload: renewal threshold, SCEP server URLs in order" \
	"$(jq -c '[.renewalThresholdPercent, .scepServerUrls]' "$tmp/payload/ch_user.json")" \
	"[25,[\"http://127.0.0.1:$dead_port/scep\",\"http://127.0.0.1:$sport/scep\"]]"
before=$(certs)
enroll user "$ch_user" "$subj_user" \
	"email:alice.smith@contoso.com"
txn_user=$txn
check_issued "good user challenge" "subject is the profile's" \
	"CN=alice@contoso.com,OU=Mobile,O=Contoso,L=Redmond,ST=Washington,C=US" \
	"SANs are the profile's" "email:alice.smith@contoso.com"
check "... at the profile's second URL, after the first refused the connection" \
	test "$SCEP_DEVICE_URL" = "http://127.0.0.1:$sport/scep" -a \
	"$(grep -c "dial tcp 127.0.0.1:$dead_port: connect: connection refused" "$d/scepclient.log")" -ge 1
check "... it verifies against the payload's trusted root (the device's view)" \
	"$OPENSSL" verify -CAfile <(jq -r .trustedRootCertificate "$tmp/payload/ch_user.json") \
	"$d/client.pem"
check "... 20500 in journald, for that device and user" wait_event "$txn_user" 20500 \
	"CRPVerifyMetric_Success (20500) 0x00000000 Success"
check "... with the device and user IDs" test -n "$(journal ndes-crpd NDES_EVENT_ID=20500 \
	NDES_TRANSACTION_ID="$txn_user" NDES_DEVICE_ID="$dev_phone" NDES_USER_ID="$user")"
# the depot file holding the certificate scepclient got
depot_file() {
	local f fp
	fp=$("$OPENSSL" x509 -in "$1" -noout -fingerprint -sha256)
	for f in "$depot"/*.pem; do
		[ "$("$OPENSSL" x509 -in "$f" -noout -fingerprint -sha256)" = "$fp" ] &&
			basename "$f" && return
	done
}
user_file=$(depot_file "$d/client.pem")
check "... the depot watcher notifies ndes-crpd of $user_file" wait_until 50 grep -qF \
	"notified ndes-crpd: $user_file issued" "$tmp/watch.err"
if [ -x "$connectord" ]; then
	check "... ndes-crpd records it and hands it to the connector: 20600" wait_event \
		"$txn_user" 20600 "CRPNotifyMetric_Success (20600) 0x00000000 Success"
	check "... the cloud receives the successNotification" wait_until 100 \
		eval 'sim_ show notifications | grep -q "\"transactionId\": \"$txn_user\""'
else
	skip "no ndes-connectord built: 20600 needs the connector's acknowledgement"
	skip "no ndes-connectord built"
fi

# ---- a good device challenge with variables ---------------------------------
mint ch_dev --device "$dev_a" --profile "E2E Workstation"
before=$(certs)
enroll dev_a "$ch_dev" "/C=US/O=Contoso/OU=Workstations/CN=WS-A-$tag" "DNS:$dev_a.contoso.com"
txn_dev=$txn
check_issued "good device challenge" "subject is the profile's, {{DeviceName}} filled in" \
	"CN=WS-A-$tag,OU=Workstations,O=Contoso,C=US" \
	"SAN is {{AzureADDeviceId}}.contoso.com" "DNS:$dev_a.contoso.com"
check "... 20500 in journald for device $dev_a" wait_until 50 eval \
	'journal ndes-crpd NDES_EVENT_ID=20500 NDES_TRANSACTION_ID="$txn_dev" NDES_DEVICE_ID="$dev_a" | grep -qF "CRPVerifyMetric_Success (20500) 0x00000000 Success"'
check "... notified from the depot" wait_until 50 eval \
	'grep -q "notified ndes-crpd: WS-A-$tag\.[0-9]*\.pem issued" "$tmp/watch.err"'

# ---- refusals ----------------------------------------------------------------
before=$(certs)
enroll none "" "/C=US/O=Contoso/OU=Workstations/CN=WS-A-$tag" "DNS:$dev_a.contoso.com"
refused "no challenge"
check "... 20502 0x0000100B in journald" wait_event "$txn" 20502 \
	"CRPVerifyMetric_Failure (20502) 0x0000100B NDES_Challenge_Missing"

enroll garbage "bm90IGEgY2hhbGxlbmdl" "/C=US/O=Contoso/OU=Workstations/CN=WS-A-$tag" \
	"DNS:$dev_a.contoso.com"
refused "a garbage challenge"
check "... 20502 0x00000410 in journald" wait_event "$txn" 20502 \
	"CRPVerifyMetric_Failure (20502) 0x00000410 CRPSCEPDeserialize_Failed"

mint ch_old --device "$dev_bob" --profile "E2E User" --user bob@contoso.com --expires-in -60
enroll expired "$ch_old" "$subj_bob" "email:bob.jones@contoso.com"
refused "an expired challenge"
check "... 20501 0x00000411 in journald" wait_event "$txn" 20501 \
	"CRPVerifyMetric_Warning (20501) 0x00000411 CRPSCEPChallenge_Expired"

mint ch_b --device "$dev_b" --profile "E2E Workstation"
enroll other "$ch_b" "/C=US/O=Contoso/OU=Workstations/CN=WS-A-$tag" "DNS:$dev_a.contoso.com"
refused "another device's challenge"
check "... 20501 0x00001003 (subject mismatch) in journald, for device B" wait_until 50 eval \
	'journal ndes-crpd NDES_EVENT_ID=20501 NDES_TRANSACTION_ID="$txn" NDES_DEVICE_ID="$dev_b" | grep -qF "CRPVerifyMetric_Warning (20501) 0x00001003 NDES_Subject_Mismatch"'

enroll replay "$ch_user" "$subj_user" \
	"email:alice.smith@contoso.com"
refused "the user challenge replayed with a new key after issuance"
check "... 20501 0x0000100A in journald" wait_event "$txn" 20501 \
	"CRPVerifyMetric_Warning (20501) 0x0000100A NDES_Challenge_Replayed"
enroll replay_same "$ch_user" "$subj_user" \
	"email:alice.smith@contoso.com" user
refused "the same challenge and key again after issuance"
check "... 20501 0x0000100A: ndes-crpd recorded the issuance" wait_event "$txn" 20501 \
	"CRPVerifyMetric_Warning (20501) 0x0000100A NDES_Challenge_Replayed: challenge already used (replay after issuance)"
check "ndes-policy-exec's refusal lines are in journald too" test -n "$(journal \
	ndes-policy-exec NDES_TRANSACTION_ID="$txn" NDES_DIAG_CODE=0x0000100A)"

# ---- ndes-crpd stopped, then frozen ------------------------------------------
kill "$crpd" && wait "$crpd" 2>/dev/null
mint ch_down --device "$dev_bob" --profile "E2E User" --user bob@contoso.com
enroll down "$ch_down" "$subj_bob" "email:bob.jones@contoso.com"
refused "ndes-crpd stopped"
check "... refused at once ($took ms)" test "$took" -lt 3000
check_eq "... ndes-policy-exec says why in journald" "$(journal ndes-policy-exec \
	NDES_TRANSACTION_ID="$txn")" \
	"refused: ndes-crpd unavailable: connect $run/crp.sock: No such file or directory"
check "... and scepserver keeps serving" kill -0 "$scep_pid"

start_crpd || bail "ndes-crpd did not start again"
kill -STOP "$crpd"
enroll frozen "$ch_down" "$subj_bob" "email:bob.jones@contoso.com"
refused "ndes-crpd not answering"
check "... refused after the 3 s timeout ($took ms)" test "$took" -ge 2900 -a "$took" -lt 8000
check_eq "... ndes-policy-exec says why in journald" "$(journal ndes-policy-exec \
	NDES_TRANSACTION_ID="$txn")" "refused: ndes-crpd did not answer within 3000 ms"
kill -CONT "$crpd"
check "... and scepserver keeps serving" kill -0 "$scep_pid"

# The client tries again with the same key and request: ndes-crpd is back.
before=$(certs)
scep_device_enroll "$tmp/payload/ch_down.json" "$d"
rc=$?
check_eq "ndes-crpd back: the same enrollment retried gets its certificate" \
	"$rc:$(test -s "$d/client.pem" && echo cert):$(certs)" "0:cert:$((before + 1))"
check "... 20500 for it" wait_event "$txn" 20500 \
	"CRPVerifyMetric_Success (20500) 0x00000000 Success"

# ---- re-enrollment: scepserver revokes the older certificate ---------------
mint ch_again --device "$dev_phone" --profile "E2E User" --user "$user"
before=$(certs)
enroll user2 "$ch_again" "$subj_user" "email:alice.smith@contoso.com"
check_eq "re-enrolling alice with a new challenge: a new certificate" \
	"$rc:$(certs)" "0:$((before + 1))"
check "... scepserver turns the older one's line to R; the watcher reports it" wait_until 50 \
	grep -qF "certificate serial 02 ($user_file, $subj_user/emailAddress=alice.smith@contoso.com) revoked by the SCEP server on re-enrollment at" \
	"$tmp/watch.err"
check "... the new one is notified too" wait_until 50 eval \
	'grep -c "notified ndes-crpd: alice@contoso\.com\." "$tmp/watch.err" | grep -qx 2'

# ---- the watcher after a restart -----------------------------------------
check "the watcher notified each certificate of the depot once ($(certs))" wait_until 50 \
	eval 'test "$(grep -c "notified ndes-crpd" "$tmp/watch.err")" = "$(certs)"'
kill "$watcher" && wait "$watcher"
check_eq "SIGTERM stops the watcher (exit 0)" "$?" 0
NDES_POLICY_CONFIG=$tmp/policy.yaml "$exe" watch-depot --once "$depot" 2>"$tmp/watch2.err"
check_eq "the watcher started again: nothing is notified twice" \
	"$?:$(grep -c "notified ndes-crpd" "$tmp/watch2.err")" "0:0"

# ---- scepserver is still the same process, and healthy -----------------------
mint ch_last --device "$dev_bob" --profile "E2E User" --user bob@contoso.com
enroll last "$ch_last" "$subj_bob" "email:bob.jones@contoso.com"
check_eq "a last enrollment works on the same scepserver" \
	"$rc:$(kill -0 "$scep_pid" && echo alive)" "0:alive"
check "no ndes-policy-exec process is left behind" test -z "$(pgrep -f "^$exe\$")"
[ "$tap_n" = "$PLAN" ] || echo "# planned $PLAN tests, ran $tap_n"
