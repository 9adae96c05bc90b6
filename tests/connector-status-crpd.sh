#!/bin/bash
# ndes-connector status shows ndes-crpd's own current errors (STATUS_REPLY,
# docs/ipc.md; docs/crpd.md "Current errors"), with real processes: the
# cloud emulator, ndes-connectord, ndes-crpd with its challenge store in a
# real PostgreSQL (tests/lib/pg-cluster.sh) and ndes-policy-exec verifying
# requests made by openssl from the emulator's challenges.
#   - the database stopped: a verification is refused; status shows crpd's
#     `store` error with its since and last and exits 11; a second refusal
#     moves last, not since;
#   - the database started: a verification succeeds, status shows no error
#     and exits 0;
#   - ndes-connectord stopped: crpd's `link` error (exit 10, connectord
#     down), cleared once connectord is back.
. "${top_srcdir:-.}/tests/lib/connector-env.sh"
CRPD=$top_builddir/crp/ndes-crpd
EXEC=$top_builddir/policy/ndes-policy-exec
PGC="sh $top_srcdir/tests/lib/pg-cluster.sh"
[ -x "$CRPD" ] && [ -x "$EXEC" ] || ce_skip_all "ndes-crpd or ndes-policy-exec is not built"
command -v jq >/dev/null || ce_skip_all "jq is not installed"
why=$($PGC bindir 2>&1 >/dev/null) || ce_skip_all "$why"
ce_setup
PLAN=16
echo "1..$PLAN"
chmod 711 "$T"	# the server runs as nobody under root (pg-cluster.sh)
pg_down() { $PGC stop "$T" fast; }
trap 'pg_down >/dev/null 2>&1; ce_cleanup' EXIT

$PGC start "$T" >/dev/null || { echo "Bail out! PostgreSQL did not start"; exit 1; }
$PGC role "$T" crpd "status-test-password" || { echo "Bail out! no role"; exit 1; }
printf 'status-test-password\n' > "$T/crpd.password"
chmod 600 "$T/crpd.password"
start_cloud || { echo "Bail out! the emulator did not start"; exit 1; }
conn_config
register || { echo "Bail out! cannot register"; exit 1; }
start_daemon
wait_event 20400 0x00000000 'challenge-signing certificates'
tenant=$(jq -r .tenantId "$T/state/registration/registration.json")
cat > "$T/crpd.yaml" <<EOF2
tenant_id: $tenant
state_dir: $T/state
ipc: {socket: $T/crp.sock}
connector: {socket: $T/connector.sock, retry_interval: 1s}
events: {sink: file, path: $T/crpd-events.json}
store:
  backend: postgresql
  conninfo: "host=$T/pg port=5432 dbname=crpd user=crpd"
  password_file: $T/crpd.password
EOF2
"$CRPD" --config "$T/crpd.yaml" >>"$T/crpd.log" 2>&1 &
CRPD_PID=$!
wait_for 10 test -S "$T/crp.sock" || { echo "Bail out! crpd did not start"; exit 1; }
printf 'crp_socket: %s\ntimeout: 5s\nexec: {log_journal: false}\n' "$T/crp.sock" > "$T/policy.yaml"
st() { conn status --crpd-config "$T/crpd.yaml" "$@"; }
jqt() { jq -e "$@" >/dev/null; }

# verify N: a fresh challenge for Alice's iPhone, the request openssl makes
# from it, through ndes-policy-exec (its exit status)
verify() {
	cloud challenge --device 0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30 \
	    --profile 'Contoso Wi-Fi User (iOS)' --user alice@contoso.com --openssl-cnf \
	    > "$T/req$1.cnf" 2>>"$T/cli.log" || return 9
	"$OPENSSL" req -new -newkey rsa:2048 -nodes -keyout "$T/dev$1.key" -sha256 \
	    -config "$T/req$1.cnf" -outform DER -out "$T/req$1.der" 2>>"$T/cli.log" || return 9
	TRANSACTIONID=status-$1 NDES_POLICY_CONFIG=$T/policy.yaml "$EXEC" \
	    < "$T/req$1.der" >>"$T/exec.log" 2>&1
}

# --- 1. the store up: a verification succeeds, no error
verify 1; rc=$?
check_eq "the store up: verified (ndes-policy-exec exit 0)" "$rc" 0
wait_for 10 st
st --json > "$T/s.json"; rc=$?
check_eq "status: exit 0" "$rc" 0
check "... crpd says its errors: none" jqt '.daemons["ndes-crpd"].errors == {}' "$T/s.json"

# --- 2. the database stopped: refused, crpd's store error, exit 11
pg_down || { echo "Bail out! cannot stop PostgreSQL"; exit 1; }
verify 2; rc=$?
check "the store down: refused (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 9
check "... with 20502 + 0x00001020" grep -q '"NDES_EVENT_ID":"20502".*"NDES_DIAG_CODE":"0x00001020"' \
    "$T/crpd-events.json"
st --json > "$T/s.json"; rc=$?
check_eq "status: exit 11 (an error is current)" "$rc" 11
check "--json: daemons.ndes-crpd.errors.store with message, since and last" jqt '
    .daemons["ndes-crpd"].errors.store | (.message | test("^verify: .+")) and
    (.since | test("^20[0-9-]+T[0-9:]+Z$")) and .last >= .since' "$T/s.json"
check "... the message names no secret" not grep -q 'status-test-password' "$T/s.json"
since=$(jq -r '.daemons["ndes-crpd"].errors.store.since' "$T/s.json")
sleep 1.1
verify 3
st --json > "$T/s.json"
check "a second refusal: last moves, since stays" jqt --arg s "$since" \
    '.daemons["ndes-crpd"].errors.store | .since == $s and .last > $s' "$T/s.json"
st > "$T/out"
diag "$T/out"
check "text: the error line with crpd's name before the activity" \
    grep -Eq "^error: +ndes-crpd/store since $since \(last [^)]+\): verify: " "$T/out"
check "... and not \"errors: none\"" not grep -q '^errors: ' "$T/out"

# --- 3. the database back: a verification succeeds, the error is cleared
$PGC start "$T" >/dev/null || { echo "Bail out! PostgreSQL did not restart"; exit 1; }
n=4
until verify $n || [ $n -ge 14 ]; do n=$((n + 1)); sleep 0.5; done
check "the store back: verified again (after $((n - 3)) tries)" test "$n" -lt 14
st > "$T/out"; rc=$?
check_eq "status: exit 0" "$rc" 0
check "... errors: none" grep -Eq '^errors: +none$' "$T/out"

# --- 4. ndes-connectord stopped: crpd's link error, cleared when it is back
stop_daemon
wait_for 5 bash -c "\"$CONNECTOR\" -c \"$T/conn.yaml\" status --crpd-config \"$T/crpd.yaml\" --json |
    jq -e '.daemons[\"ndes-crpd\"].errors.link' >/dev/null"
st --json > "$T/s.json"
check "connectord stopped: crpd's link error (connector.sock)" jqt \
    '.daemons["ndes-crpd"].errors.link.message | test("connector")' "$T/s.json"
start_daemon
cleared() { st --json | jqt '.daemons["ndes-crpd"].errors == {}'; }
check "connectord back: the link error is cleared" wait_for 10 cleared
stop_daemon
kill "$CRPD_PID"; wait "$CRPD_PID" 2>/dev/null; CRPD_PID=
exit 0
