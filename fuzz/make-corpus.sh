#!/usr/bin/env bash
# Writes the generated seeds of fuzz/corpus/ (docs/fuzzing.md): those made
# from the example configurations and with the test keys of fuzz/keys/
# (CSRs, sealed challenges, certificates, CMS), and the crash-* files that
# need those keys.  The hand-written seeds and the crash-* files the fuzzers
# found are committed as they are and left alone.
#   fuzz/make-corpus.sh [TARGET...]     (default: every generated one)
# Needs openssl (3.0 or later) and jq.  Run it from anywhere; commit what
# changes.  Signatures and envelopes are randomised, so a rerun rewrites
# those files with other bytes of the same meaning.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
keys=$top/fuzz/keys
corpus=$top/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The claims instant of fuzz/fuzz.h (FUZZ_NOW): issued an hour before
# 2027-01-01T00:00:00Z, valid a year.
IAT=1798758000
EXP=1830294000
TENANT=8a1f2c3d-0000-4000-8000-00000000f022

# seed TARGET NAME: stdin to fuzz/corpus/TARGET/NAME
seed() {
	mkdir -p "$corpus/$1"
	cat >"$corpus/$1/$2"
}

# ---- config: the program letter, then the file -----------------------------
gen_config() {
	{ printf c; cat etc/crpd.example.yaml; } | seed config crpd-example.yaml
	{ printf n; cat etc/connector.example.yaml; } | seed config connector-example.yaml
	{ printf s; cat etc/cloud-sim.example.yaml; } | seed config cloud-sim-example.yaml
	# The policy example of docs/policy.md, section 2.
	{ printf p; sed -n '/^```yaml$/,/^```$/p' docs/policy.md | sed '1d;$d'; } |
		seed config policy-example.yaml
}

# ---- challenges and requests (csr, challenge, crp_http) ---------------------
# The claims of the seeds' valid request, compact JSON; jq filters vary them.
claims() {
	jq -cn --arg tenant "$TENANT" --argjson iat $IAT --argjson exp $EXP '{
		ver: 1, id: "5b0f6a57-8c4d-4f6e-9a51-0b8f3d2c7e11", tenant: $tenant,
		profile: "prof-wifi", deviceId: "d1e2f3a4-0000-4000-8000-000000000001",
		userId: "alice@contoso.com", certType: "user", iat: $iat, exp: $exp,
		subject: "CN=alice,O=Contoso",
		sans: [{type: "upn", value: "alice@contoso.com"},
		       {type: "dns", value: "alice-phone.contoso.com"}],
		keyType: "EC", minKeyBits: 256, keyUsage: ["digitalSignature"],
		eku: ["1.3.6.1.5.5.7.3.2"], hash: "sha256", validityDays: 365,
		template: "ContosoSCEPSignature" }' | jq -c "${1:-.}"
}

# signed_data CLAIMS_FILE [SIGNER] [openssl cms -sign options...]: DER on stdout
signed_data() {
	local in=$1 signer=${2:-signer}
	shift 2 || shift $#
	openssl cms -sign -binary -nodetach -outform DER -in "$in" -md sha256 \
		-signer "$keys/$signer.pem" -inkey "$keys/$signer.key" "${@:--noattr}" \
		${NOCERTS--nocerts}
}

# envelope DER_FILE [RECIPIENT]: the challenge text on stdout
envelope() {
	local to=${2:-crp} opts=()
	[ "$to" = crp-rsa ] && opts=(-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256
		-keyopt rsa_mgf1_md:sha256)
	openssl cms -encrypt -binary -aes-256-gcm -recip "$keys/$to.pem" "${opts[@]}" \
		-in "$1" -outform DER | base64 -w0
}

# seal JQ_FILTER [RECIPIENT]: claims varied by the filter, signed, sealed
seal() {
	claims "$1" >"$work/claims.json"
	signed_data "$work/claims.json" signer >"$work/sd.der"
	envelope "$work/sd.der" "${2:-crp}"
}

# request CHALLENGE [options]: a DER PKCS#10 of the device key on stdout.
#   -dn LINES (of an openssl req [dn] section)  -san TEXT  -ku TEXT  -eku TEXT
#   -md NAME (defaults: what the claims of `claims` ask for)
request() {
	local challenge=$1 dn=$'O = Contoso\nCN = alice' md=sha256
	local san="otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@contoso.com,DNS:alice-phone.contoso.com"
	local ku="critical,digitalSignature" eku=clientAuth
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		-dn) dn=$2 ;; -san) san=$2 ;; -ku) ku=$2 ;; -eku) eku=$2 ;; -md) md=$2 ;;
		esac
		shift 2
	done
	{
		printf '[req]\nprompt = no\ndistinguished_name = dn\nstring_mask = utf8only\n'
		[ -n "$challenge" ] && printf 'attributes = attrs\n'
		printf 'req_extensions = ext\n[dn]\n%s\n[attrs]\nchallengePassword = %s\n[ext]\n' \
			"$dn" "$challenge"
		[ -n "$san" ] && printf 'subjectAltName = %s\n' "$san"
		[ -n "$ku" ] && printf 'keyUsage = %s\n' "$ku"
		[ -n "$eku" ] && printf 'extendedKeyUsage = %s\n' "$eku"
		printf 'basicConstraints = CA:FALSE\n'
	} >"$work/req.cnf"
	openssl req -new -key "$keys/device.key" -config "$work/req.cnf" -utf8 -"$md" \
		-outform DER
}

# The requests of the csr and crp_http seeds: name, challenge, request options.
make_requests() {
	local valid
	valid=$(seal .)
	mkdir -p "$work/req"
	request "$valid" >"$work/req/valid.der"
	request "$(seal . crp-rsa)" >"$work/req/valid-rsa-recipient.der"
	request "$valid" -dn $'O = Contoso\nCN = mallory' >"$work/req/subject-mismatch.der"
	request "$valid" -san "DNS:alice-phone.contoso.com" >"$work/req/san-mismatch.der"
	request "$valid" -ku "critical,digitalSignature,keyEncipherment" >"$work/req/ku-mismatch.der"
	request "$valid" -eku "clientAuth,serverAuth" >"$work/req/eku-mismatch.der"
	request "$valid" -md sha384 >"$work/req/hash-mismatch.der"
	request "$(seal '.minKeyBits = 384')" >"$work/req/key-too-small.der"
	request "$(seal '.keyType = "RSA"')" >"$work/req/key-type-mismatch.der"
	request "$(seal ".exp = $IAT + 60")" >"$work/req/expired.der"
	request "$(seal '.tenant = "another-tenant"')" >"$work/req/wrong-tenant.der"
	request "" >"$work/req/no-challenge.der"
	request "bm90IGEgY2hhbGxlbmdl" >"$work/req/not-a-challenge.der"
	request "$(seal . device)" >"$work/req/other-recipient.der"
	claims >"$work/claims.json"
	signed_data "$work/claims.json" client >"$work/sd.der"
	request "$(envelope "$work/sd.der")" >"$work/req/other-signer.der"
	# A subject whose 80th byte is inside a character (the reason quotes 80).
	request "$valid" -dn "CN = $(printf 'é%.0s' {1..50})" \
		>"$work/req/crash-reason-cut-mid-character.der"
	request "$(seal '.subject = "UID=a1+CN=alice,O=Contoso" | .sans = []')" \
		-dn $'O = Contoso\nCN = alice\n+UID = a1' -san "" >"$work/req/multi-valued-rdn.der"
}

gen_csr() {
	local f
	make_requests
	for f in "$work"/req/*.der; do
		seed csr "$(basename "$f")" <"$f"
	done
	openssl req -inform DER -in "$work/req/valid.der" | seed csr valid.pem
	# 'C': the claims (length-prefixed) and a request to seal them into.
	for f in valid subject-mismatch no-challenge; do
		claims >"$work/claims.json"
		{
			printf 'C'
			printf "\\x$(printf %02x $(($(wc -c <"$work/claims.json") >> 8)))"
			printf "\\x$(printf %02x $(($(wc -c <"$work/claims.json") & 255)))"
			cat "$work/claims.json" "$work/req/$f.der"
		} | seed csr "claims-$f.bin"
	done
}

gen_challenge() {
	local text
	text=$(seal .)
	printf 'T%s' "$text" | seed challenge text-valid.txt
	printf 'T%s' "$(seal . crp-rsa)" | seed challenge text-rsa-recipient.txt
	printf 'T%s' "$(seal . device)" | seed challenge text-other-recipient.txt
	{ printf T; base64 -d <<<"$text" | base64 -w 64; } | seed challenge text-wrapped.txt
	printf 'T%s' "${text%??}" | seed challenge text-truncated.txt
	claims | tee "$work/claims.json" | { printf J; cat; } | seed challenge claims-valid.json
	claims '.extra = 1' | { printf J; cat; } | seed challenge claims-unknown-field.json
	claims 'del(.deviceId)' | { printf J; cat; } | seed challenge claims-missing-field.json
	claims '.sans = [range(33) | {type: "dns", value: "x"}]' | { printf J; cat; } |
		seed challenge claims-too-many-sans.json
	claims '.keyUsage = ["digitalSignature", "bogus"]' | { printf J; cat; } |
		seed challenge claims-unknown-usage.json
	{ printf S; signed_data "$work/claims.json" signer; } | seed challenge signed-valid.der
	{ printf S; signed_data "$work/claims.json" client; } | seed challenge signed-other-key.der
	{ printf S; NOCERTS= signed_data "$work/claims.json" signer; } |
		seed challenge signed-with-certificate.der
	{ printf S; signed_data "$work/claims.json" signer -md sha1 -noattr; } |
		seed challenge signed-sha1.der
	{ printf S; signed_data "$work/claims.json" signer -nosmimecap; } |
		seed challenge signed-attributes.der
}

gen_crp_http() {
	local csr cert
	make_requests
	csr=$(base64 -w0 <"$work/req/valid.der")
	cert=$(openssl x509 -in "$keys/device.pem" -outform DER | base64 -w0)
	{ printf V; jq -cn --arg csr "$csr" '{transactionId: "txn-0001", templateName:
		"ContosoSCEPSignature", certificateRequest: $csr}'; } | seed crp_http verify-valid.json
	{ printf V; jq -cn --arg csr "$(base64 -w0 <"$work/req/subject-mismatch.der")" \
		'{transactionId: "txn-0002", certificateRequest: $csr}'; } |
		seed crp_http verify-subject-mismatch.json
	{ printf V; jq -cn --arg csr "$csr" '{certificateRequest: $csr}'; } |
		seed crp_http verify-no-transaction.json
	printf 'V{"transactionId":"t","certificateRequest":"not base64!"}' |
		seed crp_http verify-not-base64.json
	printf 'V[1,2,3]' | seed crp_http verify-array.json
	printf 'V{"transactionId":"t",' | seed crp_http verify-truncated.json
	printf 'V' | seed crp_http verify-empty.json
	{ printf N; jq -cn --arg ch "$(seal .)" --arg cert "$cert" '{transactionId: "txn-0001",
		challenge: $ch, disposition: 0, hResult: 0, issuedCertificate: $cert}'; } |
		seed crp_http notify-success.json
	printf 'N{"transactionId":"txn-0003","disposition":2,"hResult":-2146893811,"description":"%s"}' \
		"The request was denied by the policy module: \u00e9t\u00e9 \ud83d\ude00" |
		seed crp_http notify-failure.json
	printf 'N{"transactionId":"t","disposition":5}' | seed crp_http notify-bad-disposition.json
	printf 'N{"disposition":0,"hResult":4294967296}' | seed crp_http notify-hresult-range.json
}

# ---- cloudsim_api: "METHOD PATH[ anonymous]", then the body ---------------
# csr_b64 KEY CN: a base64 DER CSR of a test key
csr_b64() {
	openssl req -new -key "$keys/$1.key" -subj "/CN=$2" -outform DER | base64 -w0
}

gen_cloudsim_api() {
	local client crp env
	client=$(csr_b64 client "conn-2")
	crp=$(csr_b64 crp "conn-2 CRP")
	{ echo "POST /connectors/register anonymous"; jq -cn --arg c "$client" --arg r "$crp" \
		'{token: "fuzz-token", name: "conn-2", clientCsr: $c, crpCsr: $r}'; } |
		seed cloudsim_api register.txt
	{ echo "POST /connectors/register anonymous"; jq -cn --arg c "$client" \
		'{token: "no-such-token", name: "conn-3", clientCsr: $c, crpCsr: $c}'; } |
		seed cloudsim_api register-unknown-token.txt
	{ echo "POST /connectors/renew"; jq -cn --arg c "$client" '{clientCsr: $c}'; } |
		seed cloudsim_api renew.txt
	{ echo "POST /connectors/renew"; jq -cn --arg c "$client" --arg r "$crp" \
		'{clientCsr: $c, crpCsr: $r}'; } | seed cloudsim_api renew-crp.txt
	printf 'POST /connectors/unregister\n' | seed cloudsim_api unregister.txt
	printf 'GET /certificates/signing\n' | seed cloudsim_api signing.txt
	printf 'GET /certificates/signing anonymous\n' | seed cloudsim_api signing-anonymous.txt
	printf 'GET /no/such/path\n' | seed cloudsim_api not-found.txt
	printf 'GET /connectors/register\n' | seed cloudsim_api wrong-method.txt
	{ echo "POST /ScepActions/successNotification"; jq -cn --arg c "$client" \
		'{notification: {transactionId: "txn-1", certificateRequest: $c,
		certificateThumbprint: "A1B2C3", certificateSerialNumber: "0F",
		certificateExpirationDateUtc: "2027-12-31T00:00:00Z",
		issuingCertificateAuthority: "CN=Contoso CA", callerInfo: "ndes-crpd/0.1.0",
		caConfiguration: "ca\\Contoso CA", certificateAuthority: "Contoso CA"}}'; } |
		seed cloudsim_api success-notification.txt
	{ echo "POST /ScepActions/failureNotification"; jq -cn --arg c "$client" \
		'{transactionId: "txn-2", certificateRequest: $c, hResult: -2146893811,
		errorDescription: "denied", callerInfo: "ndes-crpd/0.1.0"}'; } |
		seed cloudsim_api failure-notification.txt
	printf '%s\n%s' "POST /CertificateAuthorityRequests/downloadRevocationRequests" \
		'{"downloadParameters":{"maxRequests":10,"issuerName":"CN=Contoso CA"}}' |
		seed cloudsim_api download-revocations.txt
	printf '%s\n%s' "POST /CertificateAuthorityRequests/uploadRevocationResults" \
		'{"results":[{"requestContext":"rev-1","succeeded":true,"errorCode":0},{"requestContext":"rev-9","succeeded":false,"errorCode":4101,"errorMessage":"busy"}]}' |
		seed cloudsim_api upload-revocation-results.txt
	printf '%s\n%s' "POST /PkcsRequests/download" '{"maxRequests":500}' |
		seed cloudsim_api download-pkcs.txt
	env=$(printf 'not a real PKCS#12' | openssl cms -encrypt -binary -aes-256-cbc \
		-recip "$keys/device.pem" -outform DER | base64 -w0)
	{ echo "POST /PkcsRequests/uploadResults"; jq -cn --arg e "$env" '{results: [
		{requestId: "pkcs-1", succeeded: true, pkcs12Envelope: $e,
		certificateThumbprint: "A1B2", certificateSerialNumber: "1F",
		certificateExpirationDateUtc: "2027-12-31T00:00:00Z"},
		{requestId: "pkcs-2", succeeded: false, errorCode: 4001,
		errorMessage: "bad request"}]}'; } | seed cloudsim_api upload-pkcs-results.txt
	printf 'POST /PkcsRequests/download\n{"maxRequests":0}' | seed cloudsim_api bad-max.txt
	printf 'POST /PkcsRequests/download\n{"maxRequests":' | seed cloudsim_api bad-json.txt
}

# ---- pkcs_request: one element of the PKCS download's "value" ---------------
gen_pkcs_request() {
	local pub
	pub=$(openssl pkey -in "$keys/device.key" -pubout -outform DER | base64 -w0)
	pkcs() { jq -cn --arg pub "$pub" '{requestId: "pkcs-0001", deviceId: "dev-ios-1",
		userId: "alice@contoso.com", profile: "prof-wifi", templateName: "SvcGeneral",
		subject: "CN=alice,OU=MDM,O=Contoso,C=US",
		sans: [{type: "upn", value: "alice@contoso.com"}, {type: "email",
		value: "alice.smith@contoso.com"}, {type: "dns", value: "alice.contoso.com"},
		{type: "uri", value: "https://contoso.com/u/alice"}, {type: "ip",
		value: "192.0.2.7"}], keyType: "RSA", keySize: 2048,
		keyUsage: ["digitalSignature", "keyEncipherment"],
		extendedKeyUsages: ["1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2"],
		hash: "sha256", validityDays: 365, devicePublicKey: $pub,
		caConfiguration: "ca.contoso.com\\Contoso CA"}' | jq -c "${1:-.}"; }
	pkcs | seed pkcs_request valid.json
	pkcs '.keyType = "EC" | .keySize = 384 | .subject = "CN=ws042.corp.contoso.com" |
		.sans = [{type: "ip", value: "2001:db8::7"}]' | seed pkcs_request ec-device.json
	pkcs '.subject = "CN=Smith\\, Alice+UID=as1,O=#0C07436F6E746F736F,2.5.4.11=MDM"' |
		seed pkcs_request escaped-subject.json
	pkcs 'del(.requestId)' | seed pkcs_request no-request-id.json
	pkcs '.sans = [{type: "dns"}]' | seed pkcs_request san-without-value.json
	pkcs '.keyUsage = ["digitalSignature", 7]' | seed pkcs_request usage-not-string.json
	pkcs '.keyUsage = ["fly"] | .extendedKeyUsages = ["not.an.oid"]' |
		seed pkcs_request unknown-usage.json
	pkcs '.hash = "md4" | .validityDays = -1' | seed pkcs_request bad-hash.json
	pkcs '.subject = "CN=a,XX=b"' | seed pkcs_request unknown-attribute.json
	pkcs 'del(.subject) | .sans = []' | seed pkcs_request no-subject.json
	pkcs '.devicePublicKey = "AAAA"' | seed pkcs_request bad-device-key.json
	pkcs '.sans = [{type: "ip", value: "999.1.1.1"}]' | seed pkcs_request bad-ip.json
}

# ---- cloud_json: a kind byte, then the cloud's answer -----------------------
gen_cloud_json() {
	local client crp signer pub
	client=$(openssl x509 -in "$keys/client.pem" -outform DER | base64 -w0)
	crp=$(openssl x509 -in "$keys/crp.pem" -outform DER | base64 -w0)
	signer=$(openssl x509 -in "$keys/signer.pem" -outform DER | base64 -w0)
	printf 'E{"error":{"code":"token_unknown","message":"the registration token is not known"}}' |
		seed cloud_json error.json
	printf 'E<html><body>502 Bad Gateway</body></html>' | seed cloud_json error-html.txt
	printf 'E{"error":{"code":"x","message":"line one\\nline two"}}' |
		seed cloud_json crash-error-message-two-lines.json
	{ printf R; jq -cn --arg cl "$client" --arg crp "$crp" --arg s "$signer" '{
		connectorId: "7734c80a-99bd-421f-bde7-bf9a9f427e48",
		tenantId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", clientCertificate: $cl,
		crpCertificate: $crp, caChain: [$s], signingCertificates: [$s]}'; } |
		seed cloud_json register.json
	{ printf R; jq -cn --arg cl "$client" --arg s "$signer" '{connectorId: "x",
		clientCertificate: $cl, crpCertificate: $cl, caChain: [], signingCertificates:
		[$s]}'; } | seed cloud_json register-wrong-key.json
	{ printf S; jq -cn --arg s "$signer" '{value: [$s, "not base64", 7, $s]}'; } |
		seed cloud_json signing.json
	printf 'S{"value":{}}' | seed cloud_json signing-not-array.json
	pub=$(openssl pkey -in "$keys/device.key" -pubout -outform DER | base64 -w0)
	{ printf P; jq -cn --arg pub "$pub" '{value: [{requestId: "pkcs-1", subject: "CN=a",
		devicePublicKey: $pub, keyType: "EC", keySize: 256, sans: [], keyUsage:
		["digitalSignature"], extendedKeyUsages: []}, {requestId: "pkcs-\u00e9"},
		{subject: "no id"}]}'; } | seed cloud_json pkcs-download.json
	printf 'V{"value":[{"requestContext":"rev-1","serialNumber":"1A2B","issuerName":"CN=Contoso CA","caConfiguration":"ca\\\\Contoso CA"},{"requestContext":7}]}' |
		seed cloud_json revocation-download.json
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config csr challenge crp_http cloudsim_api pkcs_request cloud_json)
for t in "${targets[@]}"; do
	"gen_$t"
	echo "make-corpus: $t: $(ls "$corpus/$t" | wc -l) files"
done
