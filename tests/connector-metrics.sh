#!/bin/bash
# ndes-connectord's metrics (docs/metrics.md) against the real cloud
# emulator: scraped with curl, validated by promtool, the values moving:
# notifications waiting while the cloud is down (outbox depth, the oldest
# item's age, failed uploads and downloads), then uploaded once it is back;
# the registration certificate's time left and the CRL's next update.
# The emulator's metrics too (challenges minted, active connectors).
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
ce_setup
command -v promtool >/dev/null ||
	ce_skip_all "promtool is absent (Debian package prometheus, scripts/deps.sh)"
echo "1..15"

start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
C=$T/ca
conn_config "metrics: {listen: '127.0.0.1:0'}" \
    "ca: {name: ca01, folder: $C, crl_days: 2, templates: [{name: ContosoSCEPSignature, validity: 30d}]}"
register || { echo "Bail out! cannot register"; exit 1; }
stop_cloud
start_daemon || { echo "Bail out! the daemon did not start"; exit 1; }
wait_for 10 grep -q "metrics: listening on 127.0.0.1:" "$T/daemon.log"
PORT=$(sed -n 's/.*metrics: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/daemon.log" | head -1)
scrape() { curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" > "$T/metrics.txt"; }
# value NAME{LABELS}: the sample's value in the last scrape
value() { awk -v n="$1" '$1 == n { print $2 }' "$T/metrics.txt"; }
promtool_ok() { scrape && promtool check metrics < "$T/metrics.txt" > "$T/promtool.out" 2>&1 && ! test -s "$T/promtool.out"; }

check "scraped, and promtool finds nothing to say" promtool_ok
feed 3 waiting
check "3 notifications taken while the cloud is down" grep -qx 'acked 3' "$T/feed.out"
sleep 2
scrape
check "ndes_connector_outbox_items 3" test "$(value ndes_connector_outbox_items)" = 3
check "the oldest item's age is counted (1 s or more)" \
    test "$(value ndes_connector_outbox_oldest_item_age_seconds)" -ge 1
check "uploads failed, counted by kind" wait_for 10 bash -c "
    curl -sS http://127.0.0.1:$PORT/metrics | grep -q '^ndes_connector_uploads_total{kind=\"notification\",result=\"failed\"} [1-9]'"
check "downloads failed, counted" wait_for 10 bash -c "
    curl -sS http://127.0.0.1:$PORT/metrics | grep -q '^ndes_connector_downloads_total{result=\"failed\"} [1-9]'"
exp=$(date -u -d "$("$OPENSSL" x509 -in "$T/state/registration/client.pem" -noout -enddate 2>/dev/null |
    cut -d= -f2)" +%s 2>/dev/null)
left=$(value ndes_connector_registration_certificate_expiry_seconds)
check "the registration certificate's seconds to expiry ($left)" \
    test -n "$exp" -a "$(( exp - $(date +%s) - ${left%.*} ))" -ge -5 -a "$(( exp - $(date +%s) - ${left%.*} ))" -le 5
nu=$(date -u -d "$("$OPENSSL" crl -in "$C/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s)
check_eq "the CRL's next update" "$(value ndes_connector_crl_next_update_timestamp_seconds)" "$nu"

: > "$T/cloud.log"
CLOUD_EXTRA="metrics: {listen: '127.0.0.1:0'}" start_cloud ||
	{ echo "Bail out! the emulator did not restart"; exit 1; }
check "once the cloud is back: 3 uploaded" wait_for 30 bash -c "
    curl -sS http://127.0.0.1:$PORT/metrics | grep -qx 'ndes_connector_uploads_total{kind=\"notification\",result=\"ok\"} 3'"
scrape
check "... the outbox empty, its oldest age 0" \
    test "$(value ndes_connector_outbox_items):$(value ndes_connector_outbox_oldest_item_age_seconds)" = 0:0
check "promtool again" promtool_ok
stop_daemon

# --- the emulator's own
wait_for 10 grep -q "metrics: listening on 127.0.0.1:" "$T/cloud.log"
CPORT=$(sed -n 's/.*metrics: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/cloud.log" | head -1)
PORT=$CPORT
check "the emulator: scraped, promtool finds nothing to say" promtool_ok
check_eq "... 1 active connector" "$(value ndes_cloudsim_connectors_active)" 1
cloud challenge --device 0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30 --profile 'Contoso Wi-Fi User (iOS)' \
    --user alice@contoso.com --raw > "$T/challenge.out" 2>&1 || diag "$T/challenge.out"
scrape
check_eq "... one challenge minted: ndes_cloudsim_challenges_total{result=\"ok\"} 1" \
    "$(value 'ndes_cloudsim_challenges_total{result="ok"}')" 1
check "... promtool again" promtool_ok
exit 0
