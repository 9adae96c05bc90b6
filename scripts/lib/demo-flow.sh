# The demo's flow (sourced after demo-env.sh and demo-start.sh): enrollments
# with ndes-device-sim, refused challenges, a PKCS certificate, a
# revocation, the notifications reaching the cloud.  Devices enroll at the
# SCEP server URLs their profile payload gives.

# hex serial without leading zeros, upper case
demo_norm_serial() { local s=${1^^}; s=${s#SERIAL=}; s=$(sed 's/^0*//' <<<"$s"); echo "${s:-0}"; }
demo_cert_serial() { demo_norm_serial "$("$OPENSSL" x509 -in "$1" -noout -serial)"; }
demo_cert_sha1() {
	"$OPENSSL" x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr a-f A-F
}

# demo_count_events ID CODE [DEVICE]: how many of this run's daemons' events
# in journald have that ID, code (and device)
demo_count_events() {
	local m="" p
	for p in ${DEMO_EVENT_PIDS:-$(demo_pid crpd) $(demo_pid connectord)}; do m+=" _PID=$p"; done
	[ -n "$m" ] || { echo 0; return; }
	[ "$(id -u)" -ne 0 ] || "$JOURNALCTL" --sync >/dev/null 2>&1
	# shellcheck disable=SC2086
	"$JOURNALCTL" --no-pager -o cat --since="$DEMO_SINCE" $m NDES_EVENT_ID="$1" \
		NDES_DIAG_CODE="$2" \
		${3:+NDES_DEVICE_ID="$3"} 2>/dev/null | grep -c .
}
demo_has_event() { [ "$(demo_count_events "$@")" -gt 0 ]; }
# demo_wait_event ID CODE [DEVICE]: until journald has as many of them as expected
demo_wait_event() {
	local want
	want=$(grep -c -x -F "$1	$2	${3:-}" <<<"$DEMO_EXPECT")
	[ "$want" -gt 0 ] || want=1
	demo_wait 100 demo_enough_events "$want" "$@"
}
demo_enough_events() { local w=$1; shift; [ "$(demo_count_events "$@")" -ge "$w" ]; }

# demo_mint NAME ARGS...: a challenge from the emulator, its answer in enroll/NAME.json
demo_mint() {
	local name=$1
	shift
	demo_cloud challenge "$@" >"$DEMO_T/enroll/$name.json" 2>"$DEMO_T/log/mint-$name.err"
}

# demo_enroll NAME CHALLENGE-NAME: ndes-device-sim enrolls in enroll/NAME with
# the profile payload minted as CHALLENGE-NAME: its key and request as the
# payload says (subject, SANs, key usage, EKUs, hash, the challenge), at the
# payload's SCEP server URLs in order; it checks the certificate against the
# profile and reports the profile state to the emulator.  Its output in
# enroll/NAME/device.log, the certificate it keeps copied to client.pem.
demo_enroll() {
	local name=$1 j=$DEMO_T/enroll/$2.json d=$DEMO_T/enroll/$1 cert
	mkdir -p "$d"
	"$DEMO_DSIM" enroll --payload "$j" --device "$(jq -r .deviceId "$j")" \
		--profile "$(jq -r .profile "$j")" --cloud "http://127.0.0.1:$DEMO_ADMIN_PORT" \
		--state "$d/state" >"$d/device.log" 2>&1
	cert=$(find "$d/state" -name cert.pem 2>/dev/null | head -n 1)
	[ -n "$cert" ] && cp "$cert" "$d/client.pem"
	test -s "$d/client.pem"
}

# demo_issued KIND NAME DEVICE CERT: remember an issued certificate
demo_issued() {
	DEMO_ISSUED+="$1	$2	$3	$(demo_cert_serial "$4")	$(demo_cert_sha1 "$4")"$'\n'
}
demo_issued_field() { # NAME FIELD(4 serial, 5 thumbprint)
	awk -F'\t' -v n="$1" -v f="$2" '$2 == n { print $f }' <<<"$DEMO_ISSUED"
}

# demo_good NAME DEVICE PROFILE [USER]: a challenge, an enrollment, 20500
demo_good() {
	local name=$1 dev=$2 prof=$3 user=${4:-} subj
	demo_mint "$name" --device "$dev" --profile "$prof" ${user:+--user "$user"} ||
		{ demo_fail "$name: the cloud mints no challenge: $(cat "$DEMO_T/log/mint-$name.err")"; return 1; }
	subj=$(jq -r .subject "$DEMO_T/enroll/$name.json")
	if ! demo_enroll "$name" "$name"; then
		demo_fail "$name: the device got no certificate for $subj: $(tail -n 1 \
			"$DEMO_T/enroll/$name/device.log")"
		return 1
	fi
	DEMO_ENROLLED=$((DEMO_ENROLLED + 1))
	demo_issued scep "$name" "$dev" "$DEMO_T/enroll/$name/client.pem"
	demo_ok "$name: enrolled $subj (serial $(demo_issued_field "$name" 4))"
	demo_expect 20500 0x00000000 "$dev"
	demo_expect 20600 0x00000000 "$dev"
	demo_step "$name: ndes-crpd verified it (20500)" demo_wait_event 20500 0x00000000 "$dev"
}

# demo_refused NAME CHALLENGE-NAME DEVICE CODE WHY: the device must fail,
# nothing issued, ndes-crpd logs 20501 with CODE
demo_refused() {
	local name=$1 ch=$2 dev=$3 code=$4 why=$5 before
	before=$(ls "$DEMO_T/depot" | wc -l)
	if demo_enroll "$name" "$ch"; then
		demo_fail "$name: $why was not refused"
		return 1
	fi
	if [ "$(ls "$DEMO_T/depot" | wc -l)" != "$before" ] || ! grep -q "failInfo badRequest" \
		"$DEMO_T/enroll/$name/device.log"; then
		demo_fail "$name: $why: the device failed but not with badRequest, or a certificate appeared"
		return 1
	fi
	demo_expect 20501 "$code" "$dev"
	if demo_wait_event 20501 "$code" "$dev"; then
		DEMO_REFUSED=$((DEMO_REFUSED + 1))
		demo_ok "$name: $why refused (20501 $code)"
	else
		demo_fail "$name: $why refused, but no 20501 $code in journald"
	fi
}

# demo_profile_state CHALLENGE-ID: "<state> <codes> <revocation>" as the
# cloud shows the certificate issued for that challenge (show profiles)
demo_profile_state() {
	demo_cloud show profiles | jq -r --arg id "$1" '.value[] | select(.challengeId == $id) |
		"\(.state) \([.differences[].code] | join(",")) \(.revocation // "-")"'
}
demo_state_is() { [ "$(demo_profile_state "$1")" = "$2" ]; }

# demo_differs NAME DEVICE PROFILE USER CODE...: a profile asking for what
# scepserver does not issue: enrolled all the same, one 20601 per CODE, the
# cloud's profile state "differs" with exactly those codes; with
# conformance: revoke the connector revokes it at once (20200, R in
# index.txt, listed in crl.pem, the cloud's revocation "revoked")
demo_differs() {
	local name=$1 dev=$2 prof=$3 user=$4 id code rev=- want serial
	shift 4
	demo_good "$name" "$dev" "$prof" "$user" || return 1
	id=$(jq -r .challengeId "$DEMO_T/enroll/$name.json")
	for code in "$@"; do
		demo_expect 20601 "$code" "$dev"
		demo_step "$name: ndes-crpd found it differs from its profile (20601 $code)" \
			demo_wait_event 20601 "$code" "$dev"
	done
	[ "$DEMO_CONFORMANCE" = revoke ] && rev=revoked
	want="differs $(IFS=,; echo "$*") $rev"
	if ! demo_wait 300 demo_state_is "$id" "$want"; then
		demo_fail "$name: the cloud shows \"$(demo_profile_state "$id")\", not \"$want\""
		return 1
	fi
	DEMO_DIFFERS=$((DEMO_DIFFERS + 1))
	demo_ok "$name: the cloud shows it issued and differing: $want"
	[ "$DEMO_CONFORMANCE" = revoke ] || return 0
	serial=$(demo_issued_field "$name" 4)
	demo_expect 20200 0x00000000
	if demo_index_revoked "$serial" && demo_crl_lists "$serial"; then
		DEMO_REVOKED=$((DEMO_REVOKED + 1))
		demo_ok "$name: serial $serial revoked at once by the connector (conformance: revoke)"
	else
		demo_fail "$name: serial $serial is not revoked in index.txt and crl.pem"
	fi
}

# The demo's one profile that asks for more than scepserver issues (E=, a UPN
# SAN, keyEncipherment, 730 days): caught after issuance
demo_mismatch() {
	demo_say "== a profile micromdm's scepserver cannot honour ($DEMO_CONFORMANCE)"
	demo_differs wifi-nps "$DEMO_IPHONE" "$DEMO_PROFILE_MISMATCH" "$DEMO_ALICE" \
		0x00001501 0x00001503 0x00001504 0x00001508
}

demo_enrollments() {
	demo_say "== enrollments with ndes-device-sim"
	demo_good user-iphone "$DEMO_IPHONE" "$DEMO_PROFILE_USER" "$DEMO_ALICE"
	demo_good device-iphone "$DEMO_IPHONE" "$DEMO_PROFILE_IOSDEV"
	demo_good device-ws042 "$DEMO_WS" "$DEMO_PROFILE_WS"
}

demo_refusals() {
	demo_say "== refused challenges"
	demo_refused replay user-iphone "$DEMO_IPHONE" 0x0000100A \
		"alice's used challenge replayed with a new key"
	if demo_mint expired --device "$DEMO_WS" --profile "$DEMO_PROFILE_WS" --expires-in -60; then
		demo_refused expired expired "$DEMO_WS" 0x00000411 "an expired challenge"
	else
		demo_fail "the cloud mints no expired challenge"
	fi
}

# the cloud's status of a PKCS request / a revocation request
demo_pkcs_status() {
	demo_cloud show pkcs | jq -r --arg id "$1" '.value[] | select(.requestId == $id) | .status'
}
demo_revocation_status() {
	demo_cloud show revocations |
		jq -r --arg c "$1" '.value[] | select(.requestContext == $c) | .status'
}
demo_status_is() { [ "$("$1" "$2")" = "$3" ]; }

# demo_pkcs: the cloud queues a PKCS certificate for bob's Mac; the connector
# issues it on the CA, envelopes it to the device key and uploads it
demo_pkcs() {
	local id st out=$DEMO_T/enroll/pkcs-open.json
	demo_say "== PKCS certificate"
	id=$(demo_cloud pkcs-request --device "$DEMO_MAC" --profile "$DEMO_PROFILE_VPN" \
		--user "$DEMO_BOB" --ca-configuration "$DEMO_CA_NAME" --raw 2>"$DEMO_T/log/pkcs.err") ||
		{ demo_fail "the cloud does not queue the PKCS request: $(cat "$DEMO_T/log/pkcs.err")"; return 1; }
	DEMO_PKCS_ID=$id
	demo_expect 20100 0x00000000 "$DEMO_MAC"
	demo_wait 300 demo_status_is demo_pkcs_status "$id" issued ||
		{ demo_fail "PKCS request $id: status \"$(demo_pkcs_status "$id")\", not issued"; return 1; }
	demo_cloud pkcs-open --request-id "$id" >"$out" 2>"$DEMO_T/log/pkcs-open.err" ||
		{ demo_fail "pkcs-open $id: $(cat "$DEMO_T/log/pkcs-open.err")"; return 1; }
	if [ "$(jq -r '.hasPrivateKey and .keyMatches' "$out")" != true ]; then
		demo_fail "PKCS $id: the device cannot open its envelope: $(jq -c . "$out")"
		return 1
	fi
	DEMO_ISSUED+="pkcs	pkcs-mac	$DEMO_MAC	$(demo_norm_serial "$(jq -r .serialNumber "$out")")	$(jq -r '.thumbprint | ascii_upcase' "$out")"$'\n'
	DEMO_PKCS=$((DEMO_PKCS + 1))
	demo_ok "PKCS certificate for bob's Mac issued by the connector and opened by the device: $(jq -r .subject "$out") (serial $(demo_issued_field pkcs-mac 4))"
	demo_step "... 20100 in journald" demo_wait_event 20100 0x00000000 "$DEMO_MAC"
}

# demo_revoke NAME: the cloud queues the revocation of that enrollment's certificate
demo_revoke() {
	local name=$1 serial ctx
	demo_say "== revocation"
	serial=$(demo_issued_field "$name" 4)
	ctx=$(demo_cloud revoke --serial "$serial" --raw 2>"$DEMO_T/log/revoke.err") ||
		{ demo_fail "the cloud does not queue the revocation: $(cat "$DEMO_T/log/revoke.err")"; return 1; }
	DEMO_REVOKE_SERIAL=$serial DEMO_REVOKE_CTX=$ctx
	demo_expect 20200 0x00000000
	demo_wait 300 demo_status_is demo_revocation_status "$ctx" revoked ||
		{ demo_fail "revocation of $serial: status \"$(demo_revocation_status "$ctx")\", not revoked"; return 1; }
	if demo_index_revoked "$serial" && demo_crl_lists "$serial"; then
		DEMO_REVOKED=$((DEMO_REVOKED + 1))
		demo_ok "serial $serial ($name) revoked: R in index.txt, listed in crl.pem, result uploaded"
	else
		demo_fail "serial $serial: the cloud says revoked but index.txt or crl.pem disagree"
	fi
	demo_step "... 20200 in journald" demo_wait_event 20200 0x00000000
}
demo_index_revoked() {
	awk -F'\t' -v s="$1" '$1 == "R" { x = toupper($4); sub(/^0+/, "", x); if (x == s) f = 1 }
		END { exit !f }' "$DEMO_T/depot/index.txt"
}
# (grep reads to the end: with -q it would stop at the first match and, under
# demo.sh's pipefail, the loop's SIGPIPE would fail a CRL listing more serials)
demo_crl_lists() {
	"$OPENSSL" crl -in "$DEMO_T/depot/crl.pem" -noout -text 2>/dev/null |
		sed -n 's/^ *Serial Number: *//p' | while read -r s; do demo_norm_serial "$s"; done |
		grep -x "$1" >/dev/null
}

# demo_notified: every SCEP certificate's success notification reached the cloud
# (thumbprint and serial as issued)
demo_notified_one() {
	demo_cloud show notifications | jq -e --arg t "$1" --arg s "$2" '.value[] |
		select(.kind == "success") | .body | select((.certificateThumbprint | ascii_upcase) == $t
		and ((.certificateSerialNumber | ascii_upcase | sub("^0+"; "")) == $s))' >/dev/null
}
demo_notifications() {
	local kind name dev serial tp
	demo_say "== notifications in the cloud"
	while IFS=$'\t' read -r kind name dev serial tp; do
		[ "$kind" = scep ] || continue
		if demo_wait 300 demo_notified_one "$tp" "$serial"; then
			DEMO_NOTIFIED=$((DEMO_NOTIFIED + 1))
			demo_ok "$name: successNotification with thumbprint $tp, serial $serial"
		else
			demo_fail "$name: no successNotification with thumbprint $tp, serial $serial"
		fi
	done <<<"$DEMO_ISSUED"
	demo_expect 20300 0x00000000
}

# What an administrator runs first: every check of the installation OK.
demo_diagnose_all_ok() {
	local out rc
	out=$("$DEMO_CONNECTOR" --config "$DEMO_T/connector.yaml" diagnose \
		--crpd-config "$DEMO_T/crpd.yaml" --scep-user "$(id -un)" 2>&1)
	rc=$?
	demo_say "$out"
	[ "$rc" = 0 ] && ! grep -q '^FAIL' <<<"$out"
}

demo_flow() {
	demo_say "== ndes-connector diagnose"
	demo_step "ndes-connector diagnose: no check failed" demo_diagnose_all_ok
	demo_enrollments
	demo_mismatch
	demo_refusals
	demo_pkcs
	demo_revoke device-ws042
	demo_notifications
}
