# A device enrolling as its SCEP profile payload says (sourced by the demo and
# the end-to-end tests; docs/cloud-sim.md, "The profile payload"): micromdm's
# scepclient against the SCEP server URLs of the payload, in order.  The next
# URL is tried only after a connection failure (refused, unreachable, name
# not found, timed out) or a server error (HTTP 5xx); any SCEP answer, a
# certificate or a refusal, ends the enrollment there.  Needs jq.

# scep_device_unreachable LOG STATUS: the attempt whose scepclient output is
# LOG (exit STATUS) failed for the server, not for the request
scep_device_unreachable() {
	[ "$2" -eq 124 ] && return 0	# timeout(1): no answer in time
	grep -qE 'dial tcp|connection refused|no such host|i/o timeout|connection reset|status 5[0-9][0-9] ' "$1"
}

# scep_device_enroll PAYLOAD DIR [SECONDS]: in DIR (key.pem, and csr.pem when
# the request is made beforehand) enroll at the payload's URLs in order, each
# attempt at most SECONDS (default 60).  scepclient's output of every attempt
# is appended to DIR/scepclient.log.  Sets SCEP_DEVICE_URL to the URL that
# answered (empty when none did).  Returns scepclient's status (0: issued).
scep_device_enroll() {
	local payload=$1 dir=$2 secs=${3:-60} url rc=1 urls=()

	SCEP_DEVICE_URL=
	mapfile -t urls < <(jq -r '.scepServerUrls[]?' "$payload" 2>/dev/null)
	[ "${#urls[@]}" -gt 0 ] || { echo "$payload: no scepServerUrls" >>"$dir/scepclient.log"; return 1; }
	for url in "${urls[@]}"; do
		(cd "$dir" && timeout "$secs" scepclient -server-url "$url" -private-key key.pem \
			>scepclient.try.log 2>&1)
		rc=$?
		cat "$dir/scepclient.try.log" >>"$dir/scepclient.log"
		if [ "$rc" -eq 0 ] || ! scep_device_unreachable "$dir/scepclient.try.log" "$rc"; then
			SCEP_DEVICE_URL=$url
			break
		fi
	done
	rm -f "$dir/scepclient.try.log"
	return "$rc"
}
