# Shared by the connector's shell tests (sourced): TAP output, a real cloud
# emulator (ndes-cloud-sim) on ephemeral ports, a real CA folder, the
# connector's configuration, the daemon, and its events read back from
# journald (or from a JSON-lines file when no journald can run).
#
# Environment: top_srcdir, top_builddir (from make check); NDES_CLOUD_SIM and
# NDES_CLOUD_SIM_EXAMPLE override where the emulator and its example
# configuration are found.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPENSSL:=openssl}"
: "${JOURNALCTL:=journalctl}"
CONNECTOR=$top_builddir/connector/ndes-connector
CONNECTORD=$top_builddir/connector/ndes-connectord
FEED=$top_builddir/tests/connector_feed
PROXY=$top_builddir/tests/lib/connect_proxy
CLOUD_SIM=${NDES_CLOUD_SIM:-$top_builddir/cloudsim/ndes-cloud-sim}
CLOUD_EXAMPLE=${NDES_CLOUD_SIM_EXAMPLE:-$top_srcdir/etc/cloud-sim.example.yaml}
export NDES_EVENTS_STRICT=1
# Journal queries start here: a daemon's PID alone is reused soon (pid_max 32768).
CE_SINCE=@$(date +%s.%N)

. "$top_srcdir/tests/lib/tap.sh"
not() { ! "$@"; }
diag() { sed 's/^/# /' "$@" >&2; }

ce_skip_all() { echo "1..0 # SKIP $*"; exit 0; }

ce_setup() {
	[ -x "$CLOUD_SIM" ] || ce_skip_all "ndes-cloud-sim is not built ($CLOUD_SIM)"
	[ -r "$CLOUD_EXAMPLE" ] || ce_skip_all "no emulator example configuration ($CLOUD_EXAMPLE)"
	T=$(mktemp -d "${TMPDIR:-/tmp}/ndes-conn-test.XXXXXX")
	chmod 700 "$T"
	trap ce_cleanup EXIT
	CE_EVENTS=file
	if [ "$(id -u)" -eq 0 ] && JOURNALCTL=$JOURNALCTL bash "$top_srcdir/tests/lib/journal.sh" ensure >/dev/null 2>&1; then
		CE_EVENTS=journal
	fi
	DAEMON_PIDS=""
}

ce_cleanup() {
	local p
	for p in ${DAEMON_PID:-} ${NODE_PIDS:-} ${CLOUD_PID:-} ${PROXY_PID:-} ${CRPD_PID:-}; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$tap_failed" -ne 0 ]; then
		for f in "$T"/*.log; do [ -f "$f" ] && { echo "# --- $f"; tail -30 "$f" | sed 's/^/# /'; }; done
	fi
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}

# wait_for SECONDS command...: poll until the command succeeds
wait_for() {
	local limit=$(( $1 * 10 )) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
}

# A CA folder: ca.pem (O=Contoso, CN=Contoso Issuing CA), ca.key, index.txt, serial
ce_make_ca() {
	local dir=$1
	mkdir -p "$dir"
	"$OPENSSL" genrsa -out "$dir/ca.key" 2048 2>/dev/null && chmod 600 "$dir/ca.key" &&
	"$OPENSSL" req -new -x509 -key "$dir/ca.key" -out "$dir/ca.pem" -days 3650 \
	    -subj '/O=Contoso/CN=Contoso Issuing CA' \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
	touch "$dir/index.txt" && echo 01 > "$dir/serial"
}

# start_cloud [serve options...]: the emulator with the example tenant (or
# the tenant file $CLOUD_TENANT, plus the YAML in $CLOUD_EXTRA), its issuing
# CA replaced by $T/ca.  Sets
# CLOUD_PORT, ADMIN, CLOUD_URL, CLOUD_CA.
start_cloud() {
	[ -d "$T/ca" ] || ce_make_ca "$T/ca"
	sed -e "s|^\(  *\)state_dir:.*|\1state_dir: $T/cloud|" -e "s|depot/ca.pem|$T/ca/ca.pem|" \
	    "${CLOUD_TENANT:-$CLOUD_EXAMPLE}" > "$T/cloud.yaml"
	[ -z "${CLOUD_EXTRA:-}" ] || printf '%s\n' "$CLOUD_EXTRA" >> "$T/cloud.yaml"
	rm -f "$T/cloud/ports.json"
	"$CLOUD_SIM" serve --config "$T/cloud.yaml" --listen-port "${CLOUD_PORT:-0}" \
	    --admin-port "${ADMIN_PORT:-0}" "$@" >>"$T/cloud.log" 2>&1 &
	CLOUD_PID=$!
	wait_for 20 test -s "$T/cloud/ports.json" || return 1
	CLOUD_PORT=$(sed 's/.*"listenPort": *\([0-9]*\).*/\1/' "$T/cloud/ports.json")
	ADMIN_PORT=$(sed 's/.*"adminPort": *\([0-9]*\).*/\1/' "$T/cloud/ports.json")
	ADMIN=http://127.0.0.1:$ADMIN_PORT
	CLOUD_URL=https://localhost:$CLOUD_PORT
	CLOUD_CA=$T/cloud/pki/ca.pem
}

stop_cloud() {
	kill "$CLOUD_PID" 2>/dev/null
	wait "$CLOUD_PID" 2>/dev/null
	CLOUD_PID=
}

cloud() { "$CLOUD_SIM" "$@" --admin "$ADMIN"; }

# conn_config [extra YAML...]: $T/conn.yaml with the state in $T/state
conn_config() {
	mkdir -p -m 700 "$T/state"
	{
		echo "state_dir: $T/state"
		echo "ipc: {socket: $T/connector.sock}"
		echo "crp_socket: $T/crp.sock"
		if [ "$CE_EVENTS" = journal ]; then
			echo "events: {sink: journal}"
		else
			echo "events: {sink: file, path: $T/events.json}"
		fi
		echo "downloads: {interval: ${DL_INTERVAL:-1s}, max_requests: 100}"
		echo "outbox: {backoff_initial: 1s, backoff_max: 2s, batch_size: 50, max_items: ${MAX_ITEMS:-100000}}"
		printf '%s\n' "$@"
	} > "$T/conn.yaml"
}

conn() { "$CONNECTOR" -c "$T/conn.yaml" "$@"; }

register() {
	local tok
	tok=$(cloud token --raw) || return 1
	conn register --cloud "$CLOUD_URL" --token "$tok" --ca-cert "$CLOUD_CA" --name "node-$$" \
	    >>"$T/cli.log" 2>&1
}

start_daemon() {	# [more options: -v]
	"$CONNECTORD" -c "$T/conn.yaml" "$@" >>"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	wait_for 10 test -S "$T/connector.sock"
}

stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# has_event ID CODE [text]: the daemon(s) of this test emitted it
has_event() {
	local id=$1 code=$2 text=${3:-} m p
	if [ "$CE_EVENTS" = journal ]; then
		"$JOURNALCTL" --sync >/dev/null 2>&1
		m=""
		for p in $DAEMON_PIDS; do m="$m _PID=$p"; done
		[ -n "$m" ] || return 1
		"$JOURNALCTL" --no-pager -o cat --since="$CE_SINCE" --output-fields=MESSAGE $m NDES_EVENT_ID="$id" \
		    NDES_DIAG_CODE="$code" 2>/dev/null | grep -q -- "$text"
	else
		grep "\"NDES_EVENT_ID\":\"$id\"" "$T/events.json" 2>/dev/null |
		    grep "\"NDES_DIAG_CODE\":\"$code\"" | grep -q -- "$text"
	fi
}

wait_event() { wait_for "${EV_WAIT:-20}" has_event "$@"; }

# feed N PREFIX [KIND]: N notifications PREFIX-1... handed to the daemon on
# connector.sock by tests/connector_feed, as crpd would; its output in
# $T/feed.out, its exit status returned.
feed() { "$FEED" "$T/connector.sock" "$@" > "$T/feed.out" 2>&1; }
# feed_refused STATUS ACKED TEXT: that feed exited 3 (UNAVAILABLE) after
# ACKED acknowledgements, saying TEXT.
feed_refused() {
	[ "$1" -eq 3 ] && grep -qx "acked $2" "$T/feed.out" && grep -q -- "$3" "$T/feed.out"
}

# count_field ADMIN_WHAT JQ-less: number of entries the emulator shows
cloud_count() {
	cloud show "$1" | grep -c "\"$2\""
}

# --- several connectors on one tenant (connector-shared-queue.sh, connector-lease.sh)

# node_config NAME: $T/NAME.yaml for a connector of its own, its state in
# $T/NAME, events in $T/NAME/events.json, issuing from the CA folder $T/ca
node_config() {
	mkdir -p -m 700 "$T/$1/state"
	cat > "$T/$1.yaml" <<YAML
state_dir: $T/$1/state
ipc: {socket: $T/$1/connector.sock}
crp_socket: $T/$1/crp.sock
events: {sink: file, path: $T/$1/events.json}
downloads: {interval: 1s, max_requests: 20}
outbox: {backoff_initial: 1s, backoff_max: 2s, batch_size: 50}
ca: {name: ca01, folder: $T/ca, issuer_name: 'CN=Contoso Issuing CA,O=Contoso'}
YAML
}

# start_node NAME: register connector NAME (its own token) and start its
# daemon; NODE_PID_<NAME> gets its PID (stopped by ce_cleanup)
start_node() {
	local tok
	[ -f "$T/$1.yaml" ] || node_config "$1"
	if [ ! -f "$T/$1/state/registration/registration.json" ]; then
		tok=$(cloud token --raw) &&
		"$CONNECTOR" -c "$T/$1.yaml" register --cloud "$CLOUD_URL" --token "$tok" \
		    --ca-cert "$CLOUD_CA" --name "$1" >>"$T/cli.log" 2>&1 || return 1
	fi
	"$CONNECTORD" -c "$T/$1.yaml" >>"$T/$1.log" 2>&1 &
	eval "NODE_PID_$1=$!"
	NODE_PIDS="${NODE_PIDS:-} $!"
	wait_for 10 test -S "$T/$1/connector.sock"
}

# node_events NAME ID: how many ID events connector NAME emitted
node_events() { grep -c "\"NDES_EVENT_ID\":\"$2\"" "$T/$1/events.json" 2>/dev/null; }

# node_id NAME: connector NAME's ID at the cloud
node_id() { "$CONNECTOR" -c "$T/$1.yaml" status --json | jq -r .connectorId; }

# queue_pkcs N: N PKCS requests for one device (the Wi-Fi profile)
queue_pkcs() {
	local i
	for i in $(seq 1 "$1"); do
		cloud pkcs-request --device 0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30 \
		    --profile 'Contoso Wi-Fi User (iOS)' --user alice@contoso.com --raw >/dev/null ||
		    return 1
	done
}

# ec_tenant: $T/tenant.yaml, the example with P-256 keys for the Wi-Fi profile
# (the connector makes a key per PKCS request), used by start_cloud
ec_tenant() {
	sed -e '0,/key_size: 2048/s//key_type: EC\n    key_size: 256/' "$CLOUD_EXAMPLE" > "$T/tenant.yaml"
	CLOUD_TENANT=$T/tenant.yaml
}

# serials_norm: hex serials on stdin as digits without leading zero octets
# (DER puts one before 80-FF), upper case, sorted
serials_norm() { tr a-f A-F | sed 's/^\(00\)*//' | sort; }
