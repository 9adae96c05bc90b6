#!/bin/bash
# The device emulator's SCEP client (devicesim/scep_client.h) against the
# real micromdm scepserver (Debian package scep, 2.1.0), through
# tests/scep_enroll_driver: an RSA request with SANs, key usage and EKU is
# issued on our key; an EC P-256 request is refused by scepserver 2.1.0
# (FAILURE badRequest: it signs with the request's signature algorithm,
# ECDSA, and its CA key is RSA); a RenewalReq signed with the issued
# certificate is issued; with a static -challenge a wrong challenge is
# refused (FAILURE badRequest) and the right one issued; a closed port is
# unreachable.  Prints TAP; skipped when scepserver is not installed.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"

. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/scripts/lib/ports.sh"
PLAN=22
echo "1..$PLAN"
command -v scepserver >/dev/null 2>&1 || skip_rest "micromdm's scepserver (Debian package scep) not installed"
driver=$top_builddir/tests/scep_enroll_driver
[ -x "$driver" ] || skip_rest "tests/scep_enroll_driver is not built"

tmp=$(mktemp -d /tmp/ndes-dsim-scep.XXXXXX) || exit 1
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
bail() { echo "Bail out! $*"; exit 1; }

wait_port() {
	local i
	for ((i = 0; i < 100; i++)); do port_open "$1" && return 0; sleep 0.1; done
	return 1
}
# start_server NAME [scepserver options...]: its port on stdout
start_server() {
	local name=$1 port
	shift
	port=$(free_port)
	scepserver -depot "$tmp/depot" -port "$port" -debug "$@" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
	wait_port "$port" || bail "scepserver $name did not start"
	echo "$port"
}

"$OPENSSL" version >/dev/null 2>&1 || bail "no openssl"
scepserver ca -init -depot "$tmp/depot" -keySize 2048 -years 2 -organization "Devicesim Test" \
	>/dev/null 2>&1 || bail "scepserver ca -init failed"
port=$(start_server open -allowrenew 0)
# -challenge is enforced on every request, so the challenge server has a
# depot of its own.
cp -r "$tmp/depot" "$tmp/depot2" && rm -f "$tmp/depot2/index.txt" && touch "$tmp/depot2/index.txt"
cport=$(free_port)
scepserver -depot "$tmp/depot2" -port "$cport" -debug -challenge s3cret >"$tmp/challenge.log" 2>&1 &
pids+=($!)
wait_port "$cport" || bail "scepserver with -challenge did not start"
url=http://127.0.0.1:$port/scep

# key NAME rsa|ec: $tmp/NAME.key (0600)
key() {
	if [ "$2" = ec ]; then
		"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/$1.key"
	else
		"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/$1.key"
	fi 2>/dev/null
	chmod 600 "$tmp/$1.key"
}
# csr NAME SUBJECT [openssl req options...]: $tmp/NAME.csr on $tmp/NAME.key
csr() {
	local name=$1 subj=$2
	shift 2
	"$OPENSSL" req -new -key "$tmp/$name.key" -subj "$subj" -out "$tmp/$name.csr" "$@"
}
# csr_challenge NAME CN CHALLENGE: $tmp/NAME.csr with a challengePassword
csr_challenge() {
	"$OPENSSL" req -new -key "$tmp/$1.key" -out "$tmp/$1.csr" -config <(printf \
		'[req]\ndistinguished_name=dn\nattributes=a\nprompt=no\n[dn]\nCN=%s\n[a]\nchallengePassword=%s\n' \
		"$2" "$3")
}
# enroll NAME URL [RENEW-CERT RENEW-KEY]: the driver's two lines in $tmp/NAME.out
enroll() {
	local name=$1 u=$2
	shift 2
	"$driver" "$u" "$tmp/$name.key" "$tmp/$name.csr" "$tmp/$name.pem" "$@" >"$tmp/$name.out" 2>&1
}
field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$tmp/$1.out" | head -n1; }
reason() { sed -n 's/^reason=//p' "$tmp/$1.out"; }
pubkey() { "$OPENSSL" pkey -in "$1" -pubout 2>/dev/null || "$OPENSSL" x509 -in "$1" -noout -pubkey; }
ext() { "$OPENSSL" x509 -in "$tmp/$1.pem" -noout -ext "$2" 2>/dev/null | sed 1d | tr -d ' '; }

# ---- RSA with SANs, key usage and EKU -----------------------------------
key rsa rsa
csr rsa "/O=Devicesim/CN=device-rsa" -addext "subjectAltName=DNS:device-rsa.example.com,IP:192.0.2.7,URI:urn:device:rsa" \
	-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=clientAuth"
start=$(date +%s%N)
enroll rsa "$url"
check_eq "RSA 2048: issued" "$(field rsa outcome)" issued
check_eq "... with no reason" "$(reason rsa)" ""
check_eq "... on our key" "$(pubkey "$tmp/rsa.pem")" "$(pubkey "$tmp/rsa.key")"
verify() { "$OPENSSL" verify -CAfile "$tmp/depot/ca.pem" "$1" >/dev/null 2>&1; }
check "... signed by scepserver's CA" verify "$tmp/rsa.pem"
check_eq "... with the request's SANs" "$(ext rsa subjectAltName)" \
	"DNS:device-rsa.example.com,IPAddress:192.0.2.7,URI:urn:device:rsa"
check_eq "... key usage" "$(ext rsa keyUsage)" "DigitalSignature"
check_eq "... and EKU" "$(ext rsa extendedKeyUsage)" "TLSWebClientAuthentication"
check "... sent as PKCSReq by POST" grep -q 'scep_message_type="PKCSReq (19)"' "$tmp/open.log"
echo "# RSA enrollment took $((($(date +%s%N) - start) / 1000000)) ms"

# ---- EC P-256 --------------------------------------------------------------
key ec ec
csr ec "/O=Devicesim/CN=device-ec" -addext "keyUsage=critical,digitalSignature"
enroll ec "$url"
check_eq "EC P-256: scepserver 2.1.0 refuses it" "$(field ec outcome)" refused
check_eq "... with failInfo badRequest" "$(field ec fail_info)" 2
check_eq "... reason" "$(reason ec)" "CertRep FAILURE: failInfo badRequest (2)"
check "... because it signs with ECDSA under an RSA CA key" \
	grep -q 'requested SignatureAlgorithm does not match private key type' "$tmp/open.log"

# ---- RenewalReq signed with the certificate issued above --------------------
key renew rsa
csr renew "/O=Devicesim/CN=device-rsa"
enroll renew "$url" "$tmp/rsa.pem" "$tmp/rsa.key"
check_eq "RenewalReq signed with the old certificate: issued" "$(field renew outcome)" issued
check_eq "... on the new key" "$(pubkey "$tmp/renew.pem")" "$(pubkey "$tmp/renew.key")"
check "... sent as RenewalReq" grep -q 'scep_message_type="RenewalReq (17)"' "$tmp/open.log"
check "... the old certificate still verifies" verify "$tmp/rsa.pem"

# ---- a static challenge ---------------------------------------------------
key wrong rsa
csr_challenge wrong device-wrong not-it
enroll wrong "http://127.0.0.1:$cport/scep"
check_eq "wrong challenge: refused" "$(field wrong outcome)" refused
check_eq "... failInfo badRequest, as scepserver sends it" "$(field wrong fail_info)" 2
check "... for the challenge" grep -q 'err="invalid challenge"' "$tmp/challenge.log"
key right rsa
csr_challenge right device-right s3cret
enroll right "http://127.0.0.1:$cport/scep"
check_eq "right challenge: issued" "$(field right outcome)" issued

# ---- nothing listening -----------------------------------------------------
dead=$(free_port)
enroll rsa "http://127.0.0.1:$dead/scep"
check_eq "closed port: unreachable (the device's next URL)" "$(field rsa outcome)" unreachable
check_eq "... no HTTP answer" "$(field rsa http)" 0
[ "$tap_failed" = 0 ] || for f in "$tmp"/*.out; do sed "s|^|# ${f##*/}: |" "$f"; done
exit 0
