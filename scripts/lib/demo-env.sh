# The demo's shared state and small helpers (sourced by scripts/demo.sh and
# tests/e2e-demo.sh).  Everything the run makes lives in one temporary
# folder; every process it starts is remembered and stopped by demo_stop_all.
#
# Before sourcing: DEMO_SRCDIR (source tree) and DEMO_BUILDDIR (where the
# programs were built).  Optional: DEMO_PREFIX (prefix of every progress
# line, e.g. "# " under TAP), OPENSSL, JOURNALCTL.

: "${OPENSSL:=openssl}" "${JOURNALCTL:=journalctl}" "${DEMO_PREFIX:=}"

DEMO_SIM=$DEMO_BUILDDIR/cloudsim/ndes-cloud-sim
DEMO_CRPD=$DEMO_BUILDDIR/crp/ndes-crpd
DEMO_CONNECTOR=$DEMO_BUILDDIR/connector/ndes-connector
DEMO_CONNECTORD=$DEMO_BUILDDIR/connector/ndes-connectord
DEMO_POLICY_EXEC=$DEMO_BUILDDIR/policy/ndes-policy-exec
DEMO_DSIM=$DEMO_BUILDDIR/devicesim/ndes-device-sim
DEMO_EXAMPLE=$DEMO_SRCDIR/etc/cloud-sim.example.yaml

# The example tenant's people and devices (etc/cloud-sim.example.yaml).
DEMO_ALICE=alice@contoso.com
DEMO_BOB=bob@contoso.com
DEMO_IPHONE=0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30	# ALICE-IPHONE
DEMO_MAC=5e9a1d27-3c84-4f0b-b2e6-7a1c9d4f8e12		# BOB-MACBOOK
DEMO_WS=9f3b6c81-2d5e-4a79-8b04-c1e2f3a4b5d6		# CONTOSO-WS042
DEMO_PROFILE_USER="Contoso Wi-Fi User (iOS)"
DEMO_PROFILE_WS="Contoso Workstation (Windows 10)"
DEMO_PROFILE_IOSDEV="Contoso Device (iOS)"
DEMO_PROFILE_VPN="Contoso VPN User (macOS)"
DEMO_CA_NAME='ca01.contoso.com\Contoso Issuing CA'
# What ndes-crpd does with a certificate that differs from its profile
# (crpd.yaml conformance: warn | revoke)
: "${DEMO_CONFORMANCE:=warn}"
# The demo's one profile that asks for what micromdm's scepserver does not
# issue (docs/policy.md): E=, a UPN SAN, keyEncipherment, and on iOS the
# 730 days of its template.  Added to the example tenant's profiles; a test
# may set DEMO_EXTRA_PROFILES to others (YAML items of scep_profiles).
DEMO_PROFILE_MISMATCH="Demo Wi-Fi NPS (iOS)"
demo_mismatch_profile() {
	cat <<-'EOF'
	  # Deliberately more than micromdm's scepserver issues (docs/demo.md).
	  - name: Demo Wi-Fi NPS (iOS)
	    platform: ios
	    certificate_type: user
	    subject_name_format: custom
	    custom_subject: "CN={{UserName}},E={{EmailAddress}},OU=NPS,O=Contoso,C=US"
	    subject_alternative_names:
	      - {type: email, value: "{{EmailAddress}}"}
	      - {type: upn, value: "{{UserName}}"}
	    key_usage: [digitalSignature, keyEncipherment]
	    key_size: 2048
	    root_certificate: Contoso Root CA (iOS)
	    extended_key_usages: [clientAuth]
	    scep_server_urls: [http://localhost:8080/scep]
	    assignments: [Contoso Mobile Users]
	EOF
}
[ -n "${DEMO_EXTRA_PROFILES+set}" ] || DEMO_EXTRA_PROFILES=$(demo_mismatch_profile)

DEMO_T=""		# the temporary folder
DEMO_T0=$SECONDS	# when the run started
DEMO_PIDS=()		# processes started, in order
DEMO_NAMES=()		# their names
DEMO_FAILS=0		# steps that did not do what they should
DEMO_ENROLLED=0 DEMO_REFUSED=0 DEMO_PKCS=0 DEMO_REVOKED=0 DEMO_NOTIFIED=0 DEMO_DIFFERS=0
DEMO_JOURNALD_PID=""	# a journald this run started (demo.sh stops it)
DEMO_EVENT_PIDS=""	# ndes-crpd and ndes-connectord: their events are this run's
# ... from now on: a PID alone is soon reused (pid_max 32768), and the journal
# keeps the events of earlier runs' daemons that had it
DEMO_SINCE=@$(date +%s.%N)
DEMO_PKCS_ID="" DEMO_REVOKE_SERIAL="" DEMO_REVOKE_CTX=""	# the cloud's request IDs
# Issued certificates, one line each: kind<TAB>name<TAB>device<TAB>serial<TAB>thumbprint
# (kind scep or pkcs, serial upper-case hex without leading zeros, SHA-1 upper-case hex)
DEMO_ISSUED=""
# Events this run must have produced, one line each: id<TAB>code<TAB>device ("" for none)
DEMO_EXPECT=""

demo_say() { printf '%s%s\n' "$DEMO_PREFIX" "$*"; }
demo_elapsed() { printf '%3d s' "$((SECONDS - DEMO_T0))"; }
demo_ok() { demo_say "$(demo_elapsed)  ok    $*"; }
demo_fail() {
	DEMO_FAILS=$((DEMO_FAILS + 1))
	demo_say "$(demo_elapsed)  FAIL  $*"
}
# demo_step "what" command...: ok when the command succeeds
demo_step() {
	local what=$1
	shift
	if "$@"; then demo_ok "$what"; return 0; fi
	demo_fail "$what"
	return 1
}
# demo_wait TENTHS command...: poll until the command succeeds, at most TENTHS/10 s
demo_wait() {
	local t=$1 i
	shift
	for ((i = 0; i < t; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
. "$DEMO_SRCDIR/scripts/lib/ports.sh"
demo_port_open() { port_open "$@"; }
demo_free_port() { free_port; }
demo_expect() { DEMO_EXPECT+="$1	$2	${3:-}"$'\n'; }

# demo_init: the temporary folder and its layout
demo_init() {
	local b
	for b in "$DEMO_SIM" "$DEMO_CRPD" "$DEMO_CONNECTOR" "$DEMO_CONNECTORD" "$DEMO_POLICY_EXEC" \
		"$DEMO_DSIM"; do
		[ -x "$b" ] || { demo_say "demo: $b is not built"; return 1; }
	done
	command -v scepserver >/dev/null && command -v scepclient >/dev/null ||
		{ demo_say "demo: scepserver/scepclient (Debian package scep) not installed"; return 1; }
	command -v jq >/dev/null || { demo_say "demo: jq is not installed"; return 1; }
	DEMO_T=$(mktemp -d "${TMPDIR:-/tmp}/ndes-demo.XXXXXX") || return 1
	chmod 0755 "$DEMO_T"
	mkdir -p "$DEMO_T/run" "$DEMO_T/enroll" "$DEMO_T/log" && mkdir -m 0750 "$DEMO_T/ndes"
}

# demo_spawn NAME command...: start a process in the background, logs in log/NAME.*
demo_spawn() {
	local name=$1
	shift
	"$@" >"$DEMO_T/log/$name.out" 2>"$DEMO_T/log/$name.err" &
	DEMO_PIDS+=($!)
	DEMO_NAMES+=("$name")
}
demo_pid() {
	local i
	for i in "${!DEMO_NAMES[@]}"; do
		[ "${DEMO_NAMES[$i]}" = "$1" ] && echo "${DEMO_PIDS[$i]}"
	done
	return 0
}

# demo_stop NAME: SIGTERM, up to 10 s, then SIGKILL
demo_stop() {
	local i p
	for i in "${!DEMO_NAMES[@]}"; do
		[ "${DEMO_NAMES[$i]}" = "$1" ] || continue
		p=${DEMO_PIDS[$i]}
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null &&
			{ demo_wait 100 eval "! kill -0 $p" || kill -KILL "$p" 2>/dev/null; }
		wait "$p" 2>/dev/null
		DEMO_PIDS[i]=""
	done
}

# demo_stop_all: every process started, the last first
demo_stop_all() {
	local i
	for ((i = ${#DEMO_NAMES[@]} - 1; i >= 0; i--)); do
		[ -n "${DEMO_PIDS[$i]}" ] && demo_stop "${DEMO_NAMES[$i]}"
	done
	if [ -n "$DEMO_JOURNALD_PID" ]; then
		kill -TERM "$DEMO_JOURNALD_PID" 2>/dev/null
		DEMO_JOURNALD_PID=""
	fi
	return 0
}

# demo_logs: the tail of every log, for a failed run
demo_logs() {
	local f
	for f in "$DEMO_T"/log/*; do
		[ -s "$f" ] || continue
		demo_say "--- ${f#"$DEMO_T"/}"
		tail -n 15 "$f" | while IFS= read -r l; do demo_say "    $l"; done
	done
}

# demo_journald [stop-later]: a journald must answer; with stop-later, one
# this run starts is remembered in DEMO_JOURNALD_PID
demo_journald() {
	local before after p
	# shellcheck source=/dev/null
	. "$DEMO_SRCDIR/tests/lib/journal.sh"
	ndes_journal_alive && return 0
	before=$(pgrep -x systemd-journal | sort)
	ndes_journal_ensure || return 1
	[ "${1:-}" = stop-later ] || return 0
	after=$(pgrep -x systemd-journal | sort)
	for p in $after; do
		grep -qx "$p" <<<"$before" || DEMO_JOURNALD_PID=$p
	done
	return 0
}
