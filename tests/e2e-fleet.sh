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
. "$(cd "$(dirname "$0")/.." && pwd)/scripts/lib/fleet-tenant.sh"
DEMO_EXTRA_PROFILES=$(fleet_profile "$PROFILE" 1024)	# 1024: key generation is most of the fleet's CPU
. "$(dirname "$0")/lib/demo-test.sh"
DSIM=$top_builddir/devicesim/ndes-device-sim
[ -x "$DSIM" ] || skip_all "ndes-device-sim is not built"

demo_init || { echo "Bail out! demo_init failed"; exit 1; }
DEMO_EXAMPLE=$DEMO_T/fleet-tenant.yaml
fleet_tenant "$N" "$top_srcdir/etc/cloud-sim.example.yaml" >"$DEMO_EXAMPLE"
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

# ---- --duration: the fleet goes round again, renewing --------------------------
"$DSIM" fleet --cloud "$ADMIN" --devices 4 --concurrency 4 --duration 3 --profile "$PROFILE" \
	--json >"$DEMO_T/rounds.json" 2>"$DEMO_T/log/rounds.err"
echo "# 4 devices for 3 s: $(cat "$DEMO_T/rounds.json")"
check "for 3 s: the 4 devices enrolled, then renewed with RenewalReq" \
	quiet jq -e '.renewed > 0 and .enrolled + .failed >= 4' "$DEMO_T/rounds.json"

# ---- --keys: keys made before the run (docs/devicesim.md) ----------------------
# Concurrency 1: scepserver's serial race must not fail a device here.  The
# concurrent phases above may have set depot/serial back below certificates
# already issued (scepserver 2.1.0's race, docs/bench.md); a device enrolled
# again under a serial it had would then be refused ("NAME.SERIAL.pem: file
# exists").  So serial is first put above every issued certificate, as
# ndes-bench enroll repairs it.
repair_serial() {
	local depot=$DEMO_T/depot max=0 n f cur
	for f in "$depot"/*.pem; do
		n=${f%.pem}; n=${n##*.}
		[[ $n =~ ^[0-9]+$ ]] && ((10#$n > max)) && max=$((10#$n))
	done
	cur=$(tr -dc '0-9a-fA-F' <"$depot/serial")
	cur=$((16#${cur:-0}))
	((cur > max)) && return 0
	echo "# depot/serial at $cur, below issued serial $max: set to $((max + 1))"
	printf '%02x\n' $((max + 1)) >"$depot/.serial.test"
	chown --reference="$depot/serial" "$depot/.serial.test"
	chmod --reference="$depot/serial" "$depot/.serial.test"
	mv -f "$depot/.serial.test" "$depot/serial"
}
repair_serial
K=$DEMO_T/keys
"$DSIM" keygen --count 3 --profile-key rsa:1024 --out "$K" >/dev/null
chmod 0644 "$K/key-00000002.pem"
"$DSIM" fleet --cloud "$ADMIN" --devices 5 --skip $((N - 5)) --concurrency 1 --profile "$PROFILE" \
	--keys "$K" --json >"$DEMO_T/keys0.json" 2>"$DEMO_T/log/keys0.err"
check_eq "--keys: a key file looser than 0600 refuses the folder (exit 2)" "$?" 2
check "... before anything starts, saying which file and why" eval '[ ! -s "$DEMO_T/keys0.json" ] &&
	grep -q "key-00000002.pem: private key file is readable by group or others (mode 0644); chmod 600 it" \
	"$DEMO_T/log/keys0.err"'
chmod 0600 "$K/key-00000002.pem"
"$DSIM" fleet --cloud "$ADMIN" --devices 5 --skip $((N - 5)) --concurrency 1 --profile "$PROFILE" \
	--keys "$K" --json >"$DEMO_T/keys.json" 2>"$DEMO_T/log/keys.err"
echo "# 5 devices, 3 keys: $(cat "$DEMO_T/keys.json")"
check "--keys: 3 keys taken from the folder, the 2 more made (5 enrolled)" \
	quiet jq -e '.enrolled == 5 and .keysFromFolder == 3 and .keysGenerated == 2' "$DEMO_T/keys.json"
check "... saying the folder ran out" grep -q "ran out after 3 keys; the rest are made" \
	"$DEMO_T/log/keys.err"
check_eq "... each key used marked used, none left" "$(ls "$K" | tr '\n' ' ')" \
	"key-00000001.pem.used key-00000002.pem.used key-00000003.pem.used "
certs=$(for ((i = N - 4; i <= N; i++)); do ls "$DEMO_T/depot/$(printf 'FLEET-%05d' $i)".*.pem; done)
keyed=$(for f in "$K"/*.used; do openssl pkey -in "$f" -pubout | sha256sum; done)
issued_keys=$(for f in $certs; do openssl x509 -in "$f" -pubkey -noout | sha256sum; done)
check_eq "... each in exactly one issued certificate" \
	"$(grep -cxFf <(echo "$keyed") <<<"$issued_keys")" 3
K2=$DEMO_T/keys-ec
"$DSIM" keygen --count 2 --profile-key ec:p256 --out "$K2" >/dev/null
"$DSIM" fleet --cloud "$ADMIN" --devices 2 --concurrency 1 --profile "$PROFILE" --keys "$K2" \
	--json >"$DEMO_T/keys-ec.json" 2>"$DEMO_T/log/keys-ec.err"
check_eq "--keys: a key of another type than the profile's is refused (exit 2)" "$?" 2
check "... with the file and both kinds named" grep -q \
	"key-00000001.pem: the key is EC P-256, the profile asks for RSA 1024; no device starts after it" \
	"$DEMO_T/log/keys-ec.err"
check "... no device after it, the key not marked used" eval 'test -f "$K2/key-00000001.pem" &&
	quiet jq -e ".started == 1 and .keysFromFolder == 0" "$DEMO_T/keys-ec.json"'

# ---- on a terminal: the progress line, then the summary line --------------------
script -qec "'$DSIM' fleet --cloud '$ADMIN' --devices 3 --concurrency 2 --profile '$PROFILE'" \
	/dev/null >"$DEMO_T/tty.out" 2>&1
check "on a terminal: a progress line (3/3 done: ...)" grep -q $'\r3/3 done: enrolled ' "$DEMO_T/tty.out"
check "... and the summary line" grep -qE '^fleet: enrolled=[0-9]+ renewed=0 failed=[0-9]+.* p50=[0-9]+ms p99=[0-9]+ms' \
	<(tr -d '\r' <"$DEMO_T/tty.out")
check "without a terminal: no progress line" test -z "$(grep -l 'done: enrolled' "$DEMO_T/log/rounds.err")"
echo "1..$tap_n"
