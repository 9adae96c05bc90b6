#!/bin/bash
# Forged challenges against the real ndes-crpd, made the way an attacker
# makes them: with the openssl command line (issue 14), signed by anything
# but the cloud's signing key and encrypted to the CRP's public certificate
# (registration/crp.pem is public by nature).  Each forgery goes through
# ndes-policy-exec (exit 1 and its exact refusal line) and through crpd's
# HTTP API (403 with the exact code), and ndes-crpd's event 20502 with the
# exact diagnostic code is read back from journald for both.  A challenge
# signed by the real signing key, made with the same commands, is verified
# through both (the control).  Prints TAP; skipped when no journald can run.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${JOURNALCTL:=journalctl}"

. "$top_srcdir/tests/lib/tap.sh"
PLAN=53
echo "1..$PLAN"
bash "$top_srcdir/tests/lib/journal.sh" ensure >/dev/null 2>&1 || skip_rest "no journald"

crpd_bin=$top_builddir/crp/ndes-crpd
exe=$top_builddir/policy/ndes-policy-exec
tmp=$(mktemp -d /tmp/ndes-forgery.XXXXXX) || exit 1
state=$tmp/state
crpd=
tag=forge-$$-$(date +%s)
since=@$(date +%s.%N)  # journal queries start here: PIDs are reused soon

cleanup() {
	[ -n "$crpd" ] && kill "$crpd" 2>/dev/null && wait "$crpd" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
bail() {
	echo "Bail out! $*"
	sed 's/^/# crpd: /' "$tmp/crpd.err" 2>/dev/null | tail -n 20
	exit 1
}
ossl() { "$OPENSSL" "$@" 2>>"$tmp/openssl.err" || bail "openssl $1 failed: $(tail -n 3 "$tmp/openssl.err")"; }
# selfsigned KEYOUT CERTOUT SUBJECT [openssl req options]
selfsigned() {
	local key=$1 cert=$2 subj=$3
	shift 3
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$key" \
		-out "$cert" -subj "$subj" -days 30 "$@"
}

# ---- the node (CRP pair) and the cloud's signing certificate -----------------
mkdir -p "$state/registration" "$state/signing" "$tmp/run" && chmod 0700 "$state"
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$state/registration/crp.key" \
	-out "$state/registration/crp.pem" -subj "/CN=crp node" -days 30
chmod 0600 "$state/registration/crp.key"
selfsigned "$tmp/sign.key" "$tmp/sign.pem" "/CN=challenge signing" \
	-addext "keyUsage=critical,digitalSignature"
cp "$tmp/sign.pem" "$state/signing/signing-certs.pem"
tenant=$(cat /proc/sys/kernel/random/uuid)
cat >"$tmp/crpd.yaml" <<EOF
tenant_id: $tenant
state_dir: $state
ipc: {socket: $tmp/run/crp.sock}
connector: {socket: $tmp/run/connector.sock, retry_interval: 60s}
http: {address: 127.0.0.1, port: 0}
events: {sink: journal}
EOF
"$crpd_bin" --config "$tmp/crpd.yaml" 2>"$tmp/crpd.err" &
crpd=$!
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*http: listening on .* port \([0-9]*\).*/\1/p' "$tmp/crpd.err")
	[ -S "$tmp/run/crp.sock" ] && [ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || bail "ndes-crpd did not start"
printf 'crp_socket: %s\ntimeout: 5s\nexec: {log_journal: false}\n' "$tmp/run/crp.sock" \
	>"$tmp/policy.yaml"

# ---- the request and its claims ----------------------------------------------
now=$(date +%s)
printf '{"ver":1,"id":"%s","tenant":"%s","profile":"forgery","deviceId":"dev-forge","certType":"device","iat":%s,"exp":%s,"subject":"CN=dev-forge","sans":[],"keyType":"EC","minKeyBits":256,"keyUsage":["digitalSignature"],"eku":["1.3.6.1.5.5.7.3.2"],"hash":"sha256","validityDays":30}' \
	"$(cat /proc/sys/kernel/random/uuid)" "$tenant" "$now" "$((now + 3600))" >"$tmp/claims.json"
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/dev.key"

# sign OUT [openssl cms -sign options]: a SignedData over the claims
sign() {
	local out=$1
	shift
	ossl cms -sign -binary -nodetach -outform DER -in "$tmp/claims.json" -out "$out" "$@"
}
real=(-signer "$tmp/sign.pem" -inkey "$tmp/sign.key")
# seal DER: the challenge text, encrypted to the node's CRP certificate
seal() {
	"$OPENSSL" cms -encrypt -binary -aes-256-gcm -recip "$state/registration/crp.pem" \
		-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256 \
		-in "$1" -outform DER | base64 -w0
}
# csr NAME CHALLENGE: $tmp/NAME.der, the device's request carrying CHALLENGE
# (openssl config syntax: \n, \r and "\ " are a line feed, CR and a space)
csr() {
	printf '[req]\nprompt = no\nstring_mask = utf8only\ndistinguished_name = dn\n%s\n' \
		'attributes = attrs' >"$tmp/$1.cnf"
	printf 'req_extensions = ext\n[dn]\nCN = dev-forge\n[attrs]\nchallengePassword = %s\n' \
		"$2" >>"$tmp/$1.cnf"
	printf '[ext]\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n' \
		>>"$tmp/$1.cnf"
	ossl req -new -key "$tmp/dev.key" -config "$tmp/$1.cnf" -outform DER -out "$tmp/$1.der"
}

# ---- the two ways in, and what journald holds ---------------------------------
# via_exec NAME: ndes-policy-exec with the request on stdin; "rc:stderr"
via_exec() {
	local err
	err=$(TRANSACTIONID=$tag-exec-$1 NDES_POLICY_CONFIG=$tmp/policy.yaml "$exe" \
		<"$tmp/$1.der" 2>&1 >/dev/null)
	echo "$?:$err"
}
# via_http NAME: POST VerifyRequest; "status eventId diagCode error-code"
via_http() {
	printf '{"transactionId":"%s","certificateRequest":"%s"}' "$tag-http-$1" \
		"$(base64 -w0 "$tmp/$1.der")" >"$tmp/$1.json"
	curl -s -o "$tmp/$1.answer" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "@$tmp/$1.json" \
		"http://127.0.0.1:$port/CertificateRegistrationSvc/Certificate/VerifyRequest"
	jq -r '" \(.eventId // .error.eventId) \(.diagCode // .error.diagCode) \(.error.code // "-")"' \
		"$tmp/$1.answer"
}
# events TXN: crpd's events for that transaction, "ID MESSAGE" per line
events() {
	bash "$top_srcdir/tests/lib/journal.sh" sync
	"$JOURNALCTL" -o json --since="$since" SYSLOG_IDENTIFIER=ndes-crpd _PID="$crpd" NDES_TRANSACTION_ID="$1" \
		2>/dev/null | jq -r '"\(.NDES_EVENT_ID) \(.MESSAGE)"'
}
# one_event TXN ID CODE NAME: exactly one event for TXN, that one
one_event() {
	local got i
	for i in $(seq 1 50); do
		got=$(events "$1")
		[ -n "$got" ] && break
		sleep 0.1
	done
	case $got in
	*$'\n'*) return 1 ;;
	"$2 "*"($2) $3 $4"*) return 0 ;;
	*) echo "#   journald: $got"; return 1 ;;
	esac
}

# refused NAME WHAT CODE NAME: 4 results, both ways in, both events
refused() {
	local name=$1 what=$2 code=$3 diag=$4
	check_eq "$what: ndes-policy-exec refuses with $code" "$(via_exec "$name" | cut -d: -f1-4)" \
		"1:ndes-policy-exec: refused: $code $diag"
	check "... 20502 $code in journald" one_event "$tag-exec-$name" 20502 "$code" "$diag"
	check_eq "... the HTTP API answers 403 with 20502 $code" "$(via_http "$name")" \
		"403 20502 $code $diag"
	check "... 20502 $code in journald for the HTTP request" one_event "$tag-http-$name" \
		20502 "$code" "$diag"
}
# forged NAME WHAT CODE DIAG DER: the SignedData DER sealed into a request
forged() {
	csr "$1" "$(seal "$5")"
	refused "$1" "$2" "$3" "$4"
}

# ---- the control: the real signing key, the same commands --------------------
sign "$tmp/good.p7" "${real[@]}" -nocerts -noattr -md sha256
good=$(seal "$tmp/good.p7")
csr good "$good"
check_eq "the real signer's challenge: ndes-policy-exec allows it (exit 0)" "$(via_exec good)" "0:"
check "... 20500 in journald" one_event "$tag-exec-good" 20500 0x00000000 Success
check_eq "... the HTTP API answers 201 with 20500" "$(via_http good)" "201 20500 0x00000000 -"
check "... 20500 in journald for the HTTP request" one_event "$tag-http-good" 20500 0x00000000 \
	Success

# ---- forgeries -----------------------------------------------------------------
# (a) the issue's reproduction: a self-made key, its certificate embedded
selfsigned "$tmp/evil.key" "$tmp/evil.pem" /CN=evil
sign "$tmp/a.p7" -signer "$tmp/evil.pem" -inkey "$tmp/evil.key" -noattr -md sha256
forged a "a self-signed signer embedded" 0x0000100E NDES_ChallengeCertificates_Embedded \
	"$tmp/a.p7"

# (b) the real signer's certificate embedded, the signature made by another key
# under its name (same subject, issuer and serial number); and without it
serial=$("$OPENSSL" x509 -in "$tmp/sign.pem" -noout -serial | cut -d= -f2)
ossl req -x509 -key "$tmp/evil.key" -out "$tmp/impostor.pem" -subj "/CN=challenge signing" \
	-set_serial "0x$serial" -days 30
sign "$tmp/b.p7" -signer "$tmp/impostor.pem" -inkey "$tmp/evil.key" -nocerts \
	-certfile "$tmp/sign.pem" -noattr -md sha256
forged b "the real signer's certificate embedded, another key signed" 0x0000100E \
	NDES_ChallengeCertificates_Embedded "$tmp/b.p7"
sign "$tmp/b2.p7" -signer "$tmp/impostor.pem" -inkey "$tmp/evil.key" -nocerts -noattr -md sha256
forged b2 "the real signer named, another key signed" 0x0000100C \
	NDES_ChallengeSignature_Invalid "$tmp/b2.p7"

# (c) a second SignerInfo next to the real, valid one
sign "$tmp/c.p7" "${real[@]}" -signer "$tmp/evil.pem" -inkey "$tmp/evil.key" -nocerts -noattr \
	-md sha256
forged c "a second signer next to the real one" 0x00001011 NDES_ChallengeSigners_NotOne \
	"$tmp/c.p7"

# (d) a signer whose certificate another CA issued (same subject as the real one)
selfsigned "$tmp/ca2.key" "$tmp/ca2.pem" "/CN=another CA"
ossl req -new -key "$tmp/evil.key" -subj "/CN=challenge signing" -out "$tmp/d.csr"
ossl x509 -req -in "$tmp/d.csr" -CA "$tmp/ca2.pem" -CAkey "$tmp/ca2.key" -set_serial 77 \
	-days 30 -out "$tmp/d.pem"
sign "$tmp/d.p7" -signer "$tmp/d.pem" -inkey "$tmp/evil.key" -nocerts -noattr -md sha256
forged d "a signer of another CA" 0x00001015 NDES_ChallengeSigner_Unknown "$tmp/d.p7"

# (e) a weak digest, by the real key
sign "$tmp/e.p7" "${real[@]}" -nocerts -noattr -md sha1
forged e "SHA-1 as the digest" 0x00001013 NDES_ChallengeDigest_NotAllowed "$tmp/e.p7"

# a CRL carried in the SignedData (openssl crl2pkcs7 makes one with nothing else)
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\n%s\n' \
	"$tmp/index.txt" "$tmp/crlnumber" 'default_crl_days = 1' >"$tmp/ca.cnf"
: >"$tmp/index.txt"
echo 01 >"$tmp/crlnumber"
ossl ca -gencrl -config "$tmp/ca.cnf" -keyfile "$tmp/evil.key" -cert "$tmp/evil.pem" \
	-out "$tmp/crl.pem"
ossl crl2pkcs7 -in "$tmp/crl.pem" -outform DER -out "$tmp/crl.p7"
forged crl "a SignedData carrying a CRL" 0x0000100F NDES_ChallengeCrls_Embedded "$tmp/crl.p7"

# another content type than id-data, by the real key
sign "$tmp/ct.p7" "${real[@]}" -nocerts -noattr -md sha256 \
	-econtent_type 1.2.840.113549.1.9.16.1.4
forged ct "signed content of another type (id-ct-TSTInfo)" 0x00001010 \
	NDES_ChallengeContent_Invalid "$tmp/ct.p7"

# signed attributes (openssl's default), by the real key
sign "$tmp/attrs.p7" "${real[@]}" -nocerts -md sha256
forged attrs "signed attributes" 0x00001012 NDES_ChallengeAttributes_Present "$tmp/attrs.p7"

# ---- the good challenge's text, changed -----------------------------------------
wrapped=$(printf '%s' "$good" | fold -w 64 | sed 's/$/\\n/' | tr -d '\n')
csr wrap "$wrapped"
refused wrap "the real challenge with a line break every 64 characters" 0x00001017 \
	NDES_ChallengeText_NotBase64
csr crlf "${good:0:76}\\r\\n${good:76}"
refused crlf "the real challenge with a CRLF after 76 characters" 0x00001017 \
	NDES_ChallengeText_NotBase64
csr lead "\\ $good"
refused lead "the real challenge after a leading space" 0x00001017 NDES_ChallengeText_NotBase64

check "ndes-crpd is still running" kill -0 "$crpd"
[ "$tap_n" = "$PLAN" ] || echo "# planned $PLAN tests, ran $tap_n"
