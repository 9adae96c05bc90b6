#!/bin/bash
# The demo's flow (scripts/lib/demo-*.sh, as scripts/demo.sh runs it) as an
# end-to-end test on the built tree: the cloud emulator, the connector,
# ndes-crpd, micromdm's scepserver with ndes-policy-exec and the depot
# watcher, scepclient.  Asserts the cloud's records against the issued
# certificates (thumbprints, serials), the CA's index.txt and CRL, and every
# event in journald (ID, exact code, device).  Prints TAP; skipped when the
# scep package, jq or a journald is missing.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}" "${top_builddir:=$top_srcdir}"
: "${OPENSSL:=openssl}" "${JOURNALCTL:=journalctl}"

. "$top_srcdir/tests/lib/tap.sh"
quiet() { "$@" >/dev/null 2>&1; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

command -v scepserver >/dev/null 2>&1 && command -v scepclient >/dev/null 2>&1 ||
	skip_all "micromdm's scepserver/scepclient (Debian package scep) not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"

DEMO_SRCDIR=$top_srcdir DEMO_BUILDDIR=$top_builddir DEMO_PREFIX="# "
. "$top_srcdir/scripts/lib/demo-env.sh"
. "$top_srcdir/scripts/lib/demo-start.sh"
. "$top_srcdir/scripts/lib/demo-flow.sh"
. "$top_srcdir/scripts/lib/demo-report.sh"

demo_journald >/dev/null 2>&1 || skip_all "no journald"
cleanup() {
	demo_stop_all
	[ "$tap_failed" = 0 ] || [ -z "$DEMO_T" ] || demo_logs
	[ -z "$DEMO_T" ] || rm -rf "$DEMO_T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

demo_init || { echo "Bail out! demo_init failed"; exit 1; }
if ! demo_start; then
	echo "Bail out! the services did not start"
	exit 1
fi
ok "cloud emulator, connector, ndes-crpd, scepserver and the depot watcher started"
demo_remember_pids
demo_flow
demo_save_cloud_view
check_eq "every step of the flow did what it should" "$DEMO_FAILS" 0
check_eq "the counts" "$(demo_summary_line)" \
	"demo: enrolled=3 refused=2 pkcs=1 revoked=1 notified=3"

D=$DEMO_T/depot
# ---- the certificates scepserver issued ------------------------------------
# index_status SERIAL: V or R, from index.txt (serials compared without leading zeros)
index_status() {
	awk -F'\t' -v s="$1" '{ x = toupper($4); sub(/^0+/, "", x); if (x == s) print $1 }' \
		"$D/index.txt"
}
while IFS=$'\t' read -r kind name dev serial tp; do
	[ -n "$kind" ] || continue
	cert=$DEMO_T/enroll/$name/client.pem
	want=V
	[ "$serial" = "$DEMO_REVOKE_SERIAL" ] && want=R
	if [ "$kind" = scep ]; then
		check "$name: scepclient's certificate is in the depot" \
			test -n "$(grep -l "$(sed -n 2p "$cert")" "$D"/*.pem 2>/dev/null)"
		check "$name: issued by the depot's CA" quiet \
			"$OPENSSL" verify -CAfile "$D/ca.pem" -purpose sslclient "$cert"
		check_eq "$name: index.txt line of serial $serial" "$(index_status "$serial")" "$want"
		check_eq "$name: the cloud's successNotification has its thumbprint and serial" \
			"$(jq -r --arg t "$tp" '[.value[] | select(.kind == "success" and
				(.body.certificateThumbprint | ascii_upcase) == $t) |
				(.body.certificateSerialNumber | ascii_upcase | sub("^0+"; ""))] | join(",")' \
				"$DEMO_T/cloud-notifications.json")" "$serial"
		check_eq "$name: the notification carries the request of that certificate's key" \
			"$(jq -r --arg t "$tp" '.value[] | select((.body.certificateThumbprint |
				ascii_upcase) == $t) | .body.certificateRequest' \
				"$DEMO_T/cloud-notifications.json" | base64 -d |
				"$OPENSSL" req -inform DER -noout -pubkey 2>/dev/null)" \
			"$("$OPENSSL" x509 -in "$cert" -noout -pubkey)"
	else
		check_eq "$name: the cloud's PKCS record has the certificate's thumbprint and serial" \
			"$(jq -r --arg id "$DEMO_PKCS_ID" '.value[] | select(.requestId == $id) |
				"\(.status) \(.certificateThumbprint | ascii_upcase) \(.certificateSerialNumber |
				ascii_upcase | sub("^0+"; "")) \(.errorCode // 0)"' "$DEMO_T/cloud-pkcs.json")" \
			"issued $tp $serial 0"
		check_eq "$name: index.txt line of serial $serial (issued by the connector)" \
			"$(index_status "$serial")" "$want"
		check_eq "$name: the subject in index.txt is the profile's" \
			"$(awk -F'\t' -v s="$serial" 'toupper($4) ~ "^0*" s "$" { print $6 }' "$D/index.txt")" \
			"/emailAddress=bob.jones@contoso.com/CN=bob@contoso.com"
	fi
done <<<"$DEMO_ISSUED"
check_eq "four certificates issued (3 SCEP, 1 PKCS), serials distinct" \
	"$(cut -f4 <<<"$DEMO_ISSUED" | grep . | sort -u | wc -l)" 4

# ---- the revocation -----------------------------------------------------------
rs=$DEMO_REVOKE_SERIAL
check_eq "the cloud's revocation record: serial $rs revoked, error 0" \
	"$(jq -r --arg c "$DEMO_REVOKE_CTX" '.value[] | select(.requestContext == $c) |
		"\(.serialNumber | ascii_upcase | sub("^0+"; "")) \(.status) \(.errorCode // 0)"' \
		"$DEMO_T/cloud-revocations.json")" "$rs revoked 0"
check "crl.pem is signed by the CA" quiet "$OPENSSL" crl -in "$D/crl.pem" -CAfile "$D/ca.pem" -noout
check_eq "crl.pem lists exactly serial $rs" \
	"$("$OPENSSL" crl -in "$D/crl.pem" -noout -text 2>/dev/null | sed -n 's/^ *Serial Number: *//p' |
		while read -r s; do demo_norm_serial "$s"; done | tr '\n' ' ')" "$rs "
rc_cert=$DEMO_T/enroll/device-ws042/client.pem
check "openssl verify -crl_check refuses the revoked certificate" eval \
	"! '$OPENSSL' verify -crl_check -CAfile '$D/ca.pem' -CRLfile '$D/crl.pem' '$rc_cert' 2>&1 | grep -q ': OK'"
check "openssl verify -crl_check accepts alice's certificate" quiet "$OPENSSL" verify -crl_check \
	-CAfile "$D/ca.pem" -CRLfile "$D/crl.pem" "$DEMO_T/enroll/user-iphone/client.pem"

# ---- refusals issued nothing ------------------------------------------------
for r in replay expired; do
	check "$r: scepclient got badRequest and no certificate" eval \
		"grep -q badRequest '$DEMO_T/enroll/$r/scepclient.log' && ! test -e '$DEMO_T/enroll/$r/client.pem'"
done

# ---- every event in journald --------------------------------------------------
# exactly as many as the flow caused; uploads and downloads at least once
while read -r count id code dev; do
	got=$(demo_count_events "$id" "$code" "$dev")
	case $id in
	20300 | 20400) check "journald: $id $code (got $got)" test "$got" -ge 1 ;;
	*) check_eq "journald: $id $code${dev:+ for device $dev}" "$got" "$count" ;;
	esac
done < <(grep . <<<"$DEMO_EXPECT" | sort | uniq -c | sed 's/^ *//')
demo_events_json
check_eq "journald: no failure or warning events but the two refusals" \
	"$(jq -r 'select(.PRIORITY | tonumber <= 4) | "\(.NDES_EVENT_ID) \(.NDES_DIAG_CODE)"' \
		"$DEMO_T/events.json" | sort | tr '\n' ' ')" "20501 0x00000411 20501 0x0000100A "
check_eq "journald: the revocation event names the serial" \
	"$(jq -r 'select(.NDES_EVENT_ID == "20200") | .NDES_SERIAL_NUMBER | ascii_upcase |
		sub("^0+"; "")' "$DEMO_T/events.json")" "$rs"
check_eq "journald: the PKCS event names the thumbprint" \
	"$(jq -r 'select(.NDES_EVENT_ID == "20100") | .NDES_THUMBPRINT | ascii_upcase' \
		"$DEMO_T/events.json")" "$(demo_issued_field pkcs-mac 5)"

# ---- stopping -----------------------------------------------------------------
DEMO_ALL_PIDS=("${DEMO_PIDS[@]}")
demo_stop connectord
check "the connector stops with 10020" demo_has_event 10020 0x00000000
demo_stop_all
all_gone() {
	local p
	for p in "${DEMO_ALL_PIDS[@]}"; do ! kill -0 "$p" 2>/dev/null || return 1; done
}
check "no process of this run is left (${#DEMO_ALL_PIDS[@]} started)" all_gone

echo "1..$tap_n"
exit 0
