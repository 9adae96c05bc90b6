#!/bin/bash
# ndes-device-sim fleet end to end (docs/devicesim.md, "Fleet"): a tenant
# of NDES_FLEET_DEVICES (default 1,000) generated Windows devices, all of
# them enrolled by one ndes-device-sim process through the whole stack (the
# emulator, micromdm's scepserver with ndes-policy-exec, ndes-crpd, the
# connector).  Every device enrolled or failed with a reason, one report per
# device in the emulator, nothing issued twice: at most one certificate per
# device in scepserver's depot, exactly the enrolled count, and one success
# notification per enrolled device in the cloud.  Prints TAP; skipped when
# the scep package, jq or a journald is missing.
set -u
N=${NDES_FLEET_DEVICES:-1000}
DEMO_HOOK_DIRECT=1	# ndes-policy-exec as scepserver's hook, no shell per request
PROFILE="Fleet (Windows 10)"
DEMO_EXTRA_PROFILES=$(cat <<-'EOF2'
	  - name: Fleet (Windows 10)
	    platform: windows_10
	    certificate_type: device
	    subject_name_format: custom
	    custom_subject: "CN={{DeviceName}},OU=Fleet,O=Contoso,C=US"
	    subject_alternative_names:
	      - {type: dns, value: "{{AzureADDeviceId}}.contoso.com"}
	    validity_days: 365
	    key_usage: [digitalSignature]
	    key_size: 1024
	    root_certificate: Contoso Root CA (Windows 10)
	    extended_key_usages: [clientAuth]
	    scep_server_urls: [http://localhost:8080/scep]
	    assignments: [Contoso Workstations]
EOF2
)
. "$(dirname "$0")/lib/demo-test.sh"
DSIM=$top_builddir/devicesim/ndes-device-sim
[ -x "$DSIM" ] || skip_all "ndes-device-sim is not built"

# fleet_id I: the ID of generated device I
fleet_id() { printf '00000000-0000-4000-8000-%012d' "$1"; }
# The example tenant with N devices more, all in "Contoso Workstations"
fleet_tenant() {
	local i ids
	ids=$(for ((i = 1; i <= N; i++)); do printf ', %s' "$(fleet_id "$i")"; done)
	awk -v n="$N" -v ids="$ids" '
		/^devices:/ { print; for (i = 1; i <= n; i++) {
			printf "  - {id: 00000000-0000-4000-8000-%012d, name: FLEET-%05d, platform: windows_10}\n", i, i }
			next }
		/^    members: \[9f3b6c81-2d5e-4a79-8b04-c1e2f3a4b5d6\]/ {
			sub(/\]$/, ids "]") }
		{ print }' "$top_srcdir/etc/cloud-sim.example.yaml"
}
demo_init || { echo "Bail out! demo_init failed"; exit 1; }
DEMO_EXAMPLE=$DEMO_T/fleet-tenant.yaml
fleet_tenant >"$DEMO_EXAMPLE"
demo_start || { echo "Bail out! the services did not start"; exit 1; }
ok "the stack started with a tenant of $N generated devices"
demo_remember_pids
ADMIN=http://127.0.0.1:$DEMO_ADMIN_PORT

t0=$SECONDS
"$DSIM" fleet --cloud "$ADMIN" --devices "$N" --concurrency 16 --profile "$PROFILE" --json \
	>"$DEMO_T/fleet.json" 2>"$DEMO_T/log/fleet.err"
rc=$? took=$((SECONDS - t0))
echo "# fleet of $N: $took s: $(cat "$DEMO_T/fleet.json")"
j() { jq -r "$1" "$DEMO_T/fleet.json"; }
enrolled=$(j .enrolled) failed=$(j .failed)
check_eq "every device enrolled or failed" "$((enrolled + failed))" "$N"
check_eq "the exit status says whether any failed" "$rc" "$([ "$failed" = 0 ] && echo 0 || echo 1)"
check_eq "the failures by reason add up" "$(j '[.failedByReason[]] | add // 0')" "$failed"
check "most devices enrolled (scepserver's depot race refuses some: 1-17% seen)" \
	test "$enrolled" -ge $((N * 70 / 100))
check "latencies: p50 <= p99, both > 0" quiet jq -e '.p50Ms > 0 and .p50Ms <= .p99Ms' "$DEMO_T/fleet.json"

demo_cloud show device-reports >"$DEMO_T/reports.json"
check_eq "one report per device" "$(jq '[.value[].deviceId] | unique | length' "$DEMO_T/reports.json")" "$N"
check_eq "... and no more" "$(jq '.value | length' "$DEMO_T/reports.json")" "$N"
check_eq "every failed report has a reason" \
	"$(jq '[.value[] | select(.state == "failed" and (.reason | length) == 0)] | length' \
		"$DEMO_T/reports.json")" 0
check_eq "the reports' states agree with the summary" \
	"$(jq '[.value[] | select(.state == "succeeded")] | length' "$DEMO_T/reports.json")" "$enrolled"

# ---- nothing issued twice ------------------------------------------------------
# scepserver 2.1.0 races on its depot's serial file under concurrent requests:
# it may sign and store a certificate and still answer FAILURE badRequest
# ("could not convert  to serial number"), or refuse before signing.  Such a
# device reports failed with that reason; it does not retry (a retry would
# make scepserver issue a second certificate and revoke the first).
depot=$(find "$DEMO_T/depot" -maxdepth 1 -name 'FLEET-*.pem' -printf '%f\n')
issued=$(grep -c . <<<"$depot")
echo "# scepserver's depot: $issued certificates for $enrolled enrolled devices;" \
	"$(grep -c 'failed to sign CSR' "$DEMO_T/log/scepserver.err") requests refused by scepserver"
check "scepserver's depot: a certificate for every enrolled device, none for more than asked" \
	test "$issued" -ge "$enrolled" -a "$issued" -le "$N"
check_eq "... none twice for one device" "$(sed 's/\.[0-9]*\.pem$//' <<<"$depot" | sort | uniq -d | wc -l)" 0
check_eq "every failure is scepserver's FAILURE (failInfo badRequest)" \
	"$(j '.failedByReason.badRequest // 0')" "$failed"
notified() { demo_cloud show notifications | jq '[.value[] | select(.kind == "success")] | length'; }
demo_wait 600 eval '[ "$(notified)" -ge "$issued" ]'
demo_cloud show notifications >"$DEMO_T/notifications.json"
check_eq "the cloud: one success notification per certificate issued" \
	"$(jq '[.value[] | select(.kind == "success") | .body.certificateThumbprint |
		ascii_upcase] | unique | length' "$DEMO_T/notifications.json")" "$issued"
check_eq "... and no more" \
	"$(jq '[.value[] | select(.kind == "success")] | length' "$DEMO_T/notifications.json")" "$issued"
check_eq "every certificate a device reported is one the depot watcher notified" \
	"$(jq -n --slurpfile r "$DEMO_T/reports.json" --slurpfile n "$DEMO_T/notifications.json" \
		'([$n[0].value[] | select(.kind == "success") | .body.certificateThumbprint |
		ascii_upcase]) as $seen | [$r[0].value[] | select(.state == "succeeded") |
		.thumbprint | select(. as $t | $seen | index([$t]) | not)] | length')" 0
echo "1..$tap_n"
