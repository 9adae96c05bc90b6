#!/bin/sh
# ndes-cloud-sim from the command line (TAP): serve on ephemeral ports, the
# admin subcommands and their exit codes, a connector registered with curl
# over mutual TLS, a challenge opened with `openssl cms` (not our code).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
SIM="$top_builddir/cloudsim/ndes-cloud-sim"
if ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP curl is not installed"
	exit 0
fi
dir=$(mktemp -d /tmp/cloudsim-cli-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
n=0
fails=0
check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fails=$((fails + 1)); fi
}
# JSON member "name" of a one-line answer (base64 and IDs need no unescaping).
member() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }

echo 1..26
cp "$top_srcdir/tests/data/cloudsim/service.yaml" "$dir/service.yaml"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=CLI CA" \
	-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 2>/dev/null
C="--config $dir/service.yaml"

check "--check-config says OK" test "$("$SIM" --check-config "$dir/service.yaml")" = \
	"$dir/service.yaml: OK"

"$SIM" serve $C --listen-port 0 --admin-port 0 >"$dir/serve.out" 2>"$dir/serve.err" &
pid=$!
i=0
while [ ! -s "$dir/state/ports.json" ] && [ $i -lt 1500 ]; do sleep 0.01; i=$((i + 1)); done
port=$(sed -n 's/.*"listenPort": *\([0-9]*\).*/\1/p' "$dir/state/ports.json")
check "serve prints its ports" grep -q "connectors on https://127.0.0.1:$port" "$dir/serve.out"

token=$("$SIM" token $C --raw)
check "token --raw prints a token" test ${#token} -eq 43

"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=c \
	-keyout "$dir/client.key" -outform DER -out "$dir/client.csr" 2>/dev/null
"$OPENSSL" req -new -newkey rsa:2048 -nodes -subj /CN=r \
	-keyout "$dir/crp.key" -outform DER -out "$dir/crp.csr" 2>/dev/null
printf '{"token":"%s","name":"cli","clientCsr":"%s","crpCsr":"%s"}' "$token" \
	"$("$OPENSSL" base64 -A -in "$dir/client.csr")" \
	"$("$OPENSSL" base64 -A -in "$dir/crp.csr")" >"$dir/register.json"
CURL="curl -s --cacert $dir/state/pki/ca.pem -H api-version:5019-05-05"
code=$($CURL -o "$dir/reg.out" -w '%{http_code}' -d @"$dir/register.json" \
	"https://localhost:$port/connectors/register")
check "register with a token answers 201" test "$code" = 201
for f in clientCertificate crpCertificate; do
	member $f <"$dir/reg.out" | "$OPENSSL" base64 -d -A |
		"$OPENSSL" x509 -inform DER -out "$dir/$f.pem"
done
connector=$(member connectorId <"$dir/reg.out")

code=$($CURL -o /dev/null -w '%{http_code}' "https://localhost:$port/certificates/signing")
check "no client certificate answers 401" test "$code" = 401
$CURL --cert "$dir/clientCertificate.pem" --key "$dir/client.key" -o "$dir/signing.out" \
	"https://localhost:$port/certificates/signing"
sed -n 's/.*"value": *\["\([^"]*\)".*/\1/p' "$dir/signing.out" | "$OPENSSL" base64 -d -A |
	"$OPENSSL" x509 -inform DER -out "$dir/signing.pem"
check "the client certificate downloads the signing certificate" test -s "$dir/signing.pem"

"$SIM" challenge $C --device dev-win-1 --profile workstation --raw >"$dir/challenge.txt"
"$OPENSSL" base64 -d -A -in "$dir/challenge.txt" -out "$dir/challenge.der"
"$OPENSSL" cms -decrypt -binary -inform DER -in "$dir/challenge.der" \
	-recip "$dir/crpCertificate.pem" -inkey "$dir/crp.key" -out "$dir/signed.der" 2>/dev/null
"$OPENSSL" cms -verify -binary -inform DER -in "$dir/signed.der" -certfile "$dir/signing.pem" \
	-noverify -out "$dir/claims.json" 2>/dev/null
check "openssl cms opens the challenge and verifies its signature" \
	grep -q '"deviceId":"dev-win-1"' "$dir/claims.json"

# the profile payload a device gets with its challenge (docs/cloud-sim.md)
"$SIM" challenge $C --device dev-win-1 --profile workstation >"$dir/payload.json"
check "challenge prints the profile payload: renewal threshold, SCEP server URLs" \
	test "$(jq -c '[.renewalThresholdPercent, .scepServerUrls, .keyUsage, .validityDays]' \
	"$dir/payload.json")" = '[20,["http://localhost:8080/scep"],["digitalSignature","keyEncipherment"],365]'
jq -r .trustedRootCertificate "$dir/payload.json" >"$dir/payload-root.pem"
check "... and the trusted root: the configured certificate itself" \
	test "$("$OPENSSL" x509 -in "$dir/payload-root.pem" -noout -fingerprint -sha256)" = \
	"$("$OPENSSL" x509 -in "$dir/ca.pem" -noout -fingerprint -sha256)"

# the CSR recipe: an openssl req configuration with all the profile asks for
"$SIM" challenge $C --device dev-ios-1 --profile wifi-user --user alice@contoso.com \
	--openssl-cnf >"$dir/req.cnf"
"$OPENSSL" req -new -newkey rsa:2048 -nodes -keyout "$dir/dev.key" -config "$dir/req.cnf" \
	-out "$dir/dev.csr" 2>"$dir/err"
check "challenge --openssl-cnf: openssl req -new -config takes it" test $? -eq 0
"$OPENSSL" req -in "$dir/dev.csr" -noout -text -nameopt RFC2253 >"$dir/csr.txt"
check "... the CSR has the profile's subject" \
	grep -qx ' *Subject: CN=alice@contoso.com,O=Contoso,C=US' "$dir/csr.txt"
check "... its SANs: the email and the UPN as an otherName" \
	grep -qx ' *email:alice.smith@contoso.com, othername: UPN::alice@contoso.com' "$dir/csr.txt"
check "... its key usage, critical" bash -c "grep -A1 'X509v3 Key Usage: critical' '$dir/csr.txt' |
	grep -qx ' *Digital Signature, Key Encipherment'"
check "... its EKU" bash -c "grep -A1 'X509v3 Extended Key Usage:' '$dir/csr.txt' |
	grep -qx ' *TLS Web Client Authentication'"
sed -n 's/^ *challengePassword *://p' "$dir/csr.txt" | "$OPENSSL" base64 -d -A -out "$dir/pw.der"
"$OPENSSL" cms -decrypt -binary -inform DER -in "$dir/pw.der" -recip "$dir/crpCertificate.pem" \
	-inkey "$dir/crp.key" 2>/dev/null | "$OPENSSL" cms -verify -binary -inform DER \
	-certfile "$dir/signing.pem" -noverify -out "$dir/pw-claims.json" 2>/dev/null
check "... its challengePassword: the challenge minted for it" bash -c "
	grep -q '\"deviceId\":\"dev-ios-1\"' '$dir/pw-claims.json' &&
	grep -q '\"profile\":\"wifi-user\"' '$dir/pw-claims.json'" 
"$OPENSSL" req -new -key "$dir/dev.key" -config "$dir/req.cnf" -subj /CN=alice@contoso.com \
	-out "$dir/subj.csr" 2>/dev/null
check "-subj drops the challengePassword (the docs warn)" bash -c "
	! '$OPENSSL' req -in '$dir/subj.csr' -noout -text | grep -q challengePassword"

"$SIM" challenge $C --device dev-win-1 --profile nope >/dev/null 2>"$dir/err"
rc=$?
check "a refused challenge exits 1" test $rc -eq 1
check "with the model's message on stderr" grep -q '^ndes-cloud-sim: profile_refused: ' "$dir/err"

"$SIM" challenge $C --device dev-win-1 >/dev/null 2>&1
check "a usage error exits 2" test $? -eq 2
"$SIM" show connectors --admin http://127.0.0.1:1 >/dev/null 2>&1
check "an unreachable service exits 3" test $? -eq 3

check "show connectors lists the connector" grep -q "\"connectorId\": \"$connector\"" \
	<<EOF
$("$SIM" show connectors $C)
EOF
ctx=$("$SIM" revoke $C --serial 0A1B --issuer "CN=CLI CA" --raw)
check "revoke --raw prints the request context" test ${#ctx} -eq 36
"$SIM" pkcs-open $C --request-id no-such-request >/dev/null 2>&1
check "pkcs-open of an unknown request exits 1" test $? -eq 1

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM stops serve with exit 0" test $rc -eq 0
check "and removes ports.json" test ! -e "$dir/state/ports.json"

sed 's/^  admin_address: 127.0.0.1$/  admin_address: 0.0.0.0/' "$dir/service.yaml" >"$dir/open.yaml"
"$SIM" serve --config "$dir/open.yaml" --listen-port 0 --admin-port 0 >/dev/null 2>"$dir/err"
check "a non-loopback admin address is refused" grep -q "loopback" "$dir/err"
exit $((fails > 0))
