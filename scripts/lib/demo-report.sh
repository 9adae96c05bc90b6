# What an administrator looks at (sourced after demo-env.sh and demo-start.sh):
# the journald events of this run and the cloud's view.

# demo_events_json: this run's events (ndes-crpd's and ndes-connectord's,
# by _PID), one JSON object a line, oldest first, in $DEMO_T/events.json
demo_events_json() {
	local m="" p
	for p in $DEMO_EVENT_PIDS; do m+=" _PID=$p"; done
	[ -n "$m" ] || return 1
	[ "$(id -u)" -ne 0 ] || "$JOURNALCTL" --sync >/dev/null 2>&1
	# shellcheck disable=SC2086
	"$JOURNALCTL" --no-pager -o json --since="$DEMO_SINCE" $m 2>/dev/null |
		jq -c 'select(.NDES_EVENT_ID != null)' >"$DEMO_T/events.json"
}

# demo_remember_pids: the daemons whose events belong to this run (kept after they stop)
demo_remember_pids() { DEMO_EVENT_PIDS="$(demo_pid crpd) $(demo_pid connectord)"; }

demo_event_table() {
	demo_say "== journald events of this run (journalctl -o json --since=<start> _PID=<ndes-crpd> _PID=<ndes-connectord>)"
	demo_events_json || return 1
	jq -r '[(.__REALTIME_TIMESTAMP | tonumber / 1000000 | strftime("%H:%M:%S")),
		.NDES_EVENT_ID, .NDES_EVENT_NAME, .NDES_DIAG_CODE,
		(.NDES_DEVICE_ID // (if .NDES_SERIAL_NUMBER then "serial " + .NDES_SERIAL_NUMBER
			else "-" end))] | @tsv' "$DEMO_T/events.json" |
		awk -F'\t' 'BEGIN { printf "%-8s  %-5s  %-27s  %-10s  %s\n", "TIME", "EVENT",
			"NAME", "CODE", "DEVICE" }
			{ printf "%-8s  %-5s  %-27s  %-10s  %s\n", $1, $2, $3, $4, $5 }' |
		while IFS= read -r l; do demo_say "$l"; done
}

# demo_cloud_view: saved while the cloud runs, printed by demo_print_cloud_view
demo_save_cloud_view() {
	local w
	for w in connectors notifications revocations pkcs profiles; do
		demo_cloud show "$w" >"$DEMO_T/cloud-$w.json" 2>/dev/null || echo '{"value":[]}' \
			>"$DEMO_T/cloud-$w.json"
	done
}
demo_print_cloud_view() {
	demo_say "== the cloud's view (ndes-cloud-sim show ...)"
	demo_say "connectors:"
	jq -r '.value[] | "  \(.name)  \(.status)  client \(.clientThumbprint)"' \
		"$DEMO_T/cloud-connectors.json" | while IFS= read -r l; do demo_say "$l"; done
	demo_say "notifications:"
	jq -r '.value[] | "  \(.kind)  \(.receivedAt)  thumbprint \(.body.certificateThumbprint // "-")  serial \(.body.certificateSerialNumber // "-")  \(.body.callerInfo // "")"' \
		"$DEMO_T/cloud-notifications.json" | while IFS= read -r l; do demo_say "$l"; done
	demo_say "revocations:"
	jq -r '.value[] | "  serial \(.serialNumber)  \(.status)  errorCode \(.errorCode // 0)  at \(.resultAt // "-")"' \
		"$DEMO_T/cloud-revocations.json" | while IFS= read -r l; do demo_say "$l"; done
	demo_say "profile states:"
	jq -r '.value[] | "  \(.deviceId)  \(.profile)  serial \(.serialNumber)  \(.state)\(if .revocation then "  revocation " + .revocation else "" end)\([.differences[] | "\n    " + .code + " " + .name + ": " + .detail] | join(""))"' \
		"$DEMO_T/cloud-profiles.json" | while IFS= read -r l; do demo_say "$l"; done
	demo_say "PKCS requests:"
	jq -r '.value[] | "  \(.deviceId)  \(.profile)  \(.status)  thumbprint \(.certificateThumbprint // "-")  serial \(.certificateSerialNumber // "-")"' \
		"$DEMO_T/cloud-pkcs.json" | while IFS= read -r l; do demo_say "$l"; done
}

demo_summary_line() {
	echo "demo: enrolled=$DEMO_ENROLLED refused=$DEMO_REFUSED pkcs=$DEMO_PKCS revoked=$DEMO_REVOKED notified=$DEMO_NOTIFIED differs=$DEMO_DIFFERS"
}
