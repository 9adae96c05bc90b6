#!/bin/bash
# ndes-policy-exec against the stand-in ndes-crpd (tests/policy_host_peer):
# verify mode (exit status, the exact refusal lines, the timeout, the
# configuration sources, journald) and watch-depot on a folder laid out
# like micromdm's depot (first start, new certificates, V->R lines, restart,
# ndes-crpd down and back).  The real scepserver and ndes-crpd are in
# tests/e2e_scep.sh.  Prints TAP.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${JOURNALCTL:=journalctl}"

exe=$top_builddir/policy/ndes-policy-exec
peer_bin=$top_builddir/tests/policy_host_peer
tmp=$(mktemp -d /tmp/ndes-policy-exec.XXXXXX) || exit 1
sock=$tmp/crp.sock
plog=$tmp/peer.log
peer=
watcher=

. "$top_srcdir/tests/lib/tap.sh"

cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null && wait "$watcher" 2>/dev/null
	[ -n "$peer" ] && kill "$peer" 2>/dev/null && wait "$peer" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

start_peer() {
	rm -f "$sock"
	"$peer_bin" "$sock" "$plog" &
	peer=$!
	for _ in $(seq 1 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
	return 1
}
stop_peer() {
	kill "$peer" && wait "$peer" 2>/dev/null
	peer=
}
# wait_for FILE TEXT [SECONDS]: until a line of FILE contains TEXT.
wait_for() {
	local i
	for i in $(seq 1 $((${3:-5} * 20))); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# A DER request with that challengePassword (the stand-in answers by it).
csr() {
	printf '[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n[dn]\nCN = dev1\n[attrs]\nchallengePassword = %s\n' \
		"$1" >"$tmp/req.cnf"
	"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$tmp/req.key" -config "$tmp/req.cnf" -outform DER -out "$tmp/$1.der" 2>/dev/null
}

echo "1..43"

for ch in ok subject expired slow busy nonsense; do csr "$ch"; done
cat >"$tmp/policy.yaml" <<EOF
crp_socket: $sock
timeout: 1s
exec:
  log_journal: true
  state_dir: $tmp/state
EOF
export NDES_POLICY_CONFIG=$tmp/policy.yaml
start_peer || { echo "Bail out! the stand-in ndes-crpd did not start"; exit 1; }

# ---- verify mode ---------------------------------------------------------
# run_exec NAME [ARGS...] < stdin: sets rc and err
run_exec() {
	"$exe" "$@" 2>"$tmp/err"
	rc=$?
	err=$(cat "$tmp/err")
}

TRANSACTIONID=tx-ok run_exec <"$tmp/ok.der"
check_eq "verified: exit 0, nothing on stderr" "$rc:$err" "0:"
check "the request and TRANSACTIONID reach ndes-crpd" grep -q "^VERIFY template= txn=tx-ok csr=" "$plog"
# Without TRANSACTIONID the request names none: ndes-crpd names the
# transaction by the key's SHA-256 and returns it (test_crpd_ipc); the hook
# itself decodes nothing (no OpenSSL on its path).
run_exec <"$tmp/ok.der"
check "without TRANSACTIONID the request names no transaction" \
	grep -q "^VERIFY template= txn= csr=" "$plog"

run_exec <"$tmp/subject.der"
check_eq "subject mismatch: exit 1 and the exact line" "$rc:$err" \
	"1:ndes-policy-exec: refused: 0x00001003 NDES_Subject_Mismatch: subject mismatch"
run_exec <"$tmp/expired.der"
check_eq "expired challenge: exit 1 and the exact line" "$rc:$err" \
	"1:ndes-policy-exec: refused: 0x00000411 CRPSCEPChallenge_Expired: challenge expired"
run_exec <"$tmp/nonsense.der"
check_eq "undecodable challenge: exit 1 and the exact line" "$rc:$err" \
	"1:ndes-policy-exec: refused: 0x00000410 CRPSCEPDeserialize_Failed: cannot deserialize"
run_exec <"$tmp/busy.der"
check_eq "ndes-crpd busy: refused" "$rc:$err" \
	"1:ndes-policy-exec: refused: ndes-crpd could not take the request: busy (IPC error 4)"

start=$(date +%s%N)
run_exec <"$tmp/slow.der"
took=$((($(date +%s%N) - start) / 1000000))
check_eq "silent ndes-crpd: refused with the timeout's line" "$rc:$err" \
	"1:ndes-policy-exec: refused: ndes-crpd did not answer within 1000 ms"
check "... within the 1 s timeout (took $took ms)" test "$took" -lt 2500

run_exec </dev/null
check_eq "empty stdin: refused" "$rc:$err" "1:ndes-policy-exec: refused: no request on stdin"
head -c 200000 /dev/zero >"$tmp/big"
run_exec <"$tmp/big"
check_eq "oversized request: refused" "$rc:$err" \
	"1:ndes-policy-exec: refused: request larger than 131072 bytes"

# stdin left open and silent: the read is bounded too
mkfifo "$tmp/fifo"
sleep 5 >"$tmp/fifo" &
writer=$!
start=$(date +%s%N)
run_exec <"$tmp/fifo"
took=$((($(date +%s%N) - start) / 1000000))
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
check_eq "stdin that never ends: refused" "$rc:$err" \
	"1:ndes-policy-exec: refused: timed out reading the request after 1000 ms"
check "... within the timeout (took $took ms; the writer stays 5 s)" test "$took" -lt 2500

printf 'crp_socket: %s\ntemplate_name: ok\nexec: {log_journal: false}\n' "$sock" >"$tmp/tmpl.yaml"
run_exec -c "$tmp/tmpl.yaml" <"$tmp/subject.der"
check_eq "-c wins over NDES_POLICY_CONFIG; template_name is sent" "$rc:$err" "0:"
check "... as the template name" grep -q "^VERIFY template=ok " "$plog"

printf 'bogus: 1\n' >"$tmp/bad.yaml"
NDES_POLICY_CONFIG=$tmp/bad.yaml run_exec <"$tmp/ok.der"
check_eq "a bad configuration refuses with exit 2" "$rc:$err" \
	"2:ndes-policy-exec: refused: configuration: $tmp/bad.yaml:1:1: unknown key \"bogus\" (expected one of: crp_socket, timeout, connections, template_name, exec)"
check_eq "--check-config" "$("$exe" --check-config "$tmp/policy.yaml" 2>&1; echo $?)" \
	"$tmp/policy.yaml: OK
0"
ex=$top_srcdir/etc/policy.example.yaml
check_eq "etc/policy.example.yaml loads" "$("$exe" --check-config "$ex" 2>&1; echo $?)" "$ex: OK
0"
run_exec watch-dept "$tmp"
check "an unknown command: usage, exit 2" test "$rc" = 2 -a "${err%%:*}" = usage

stop_peer
run_exec <"$tmp/ok.der"
check_eq "ndes-crpd stopped: refused at once" "$rc:$err" \
	"1:ndes-policy-exec: refused: ndes-crpd unavailable: connect $sock: No such file or directory"

# The refusal also goes to journald (scepserver throws our stderr away).
# journal_refusal WHAT TXN: the subject refusal is in journald under TXN
journal_refusal() {
	run_exec <"$tmp/subject.der"
	bash "$top_srcdir/tests/lib/journal.sh" sync
	check_eq "$1" "$("$JOURNALCTL" -o cat SYSLOG_IDENTIFIER=ndes-policy-exec \
		NDES_TRANSACTION_ID="$2" NDES_DIAG_CODE=0x00001003 2>/dev/null)" \
		"refused: 0x00001003 NDES_Subject_Mismatch: subject mismatch"
	stop_peer
}
if bash "$top_srcdir/tests/lib/journal.sh" ensure 2>/dev/null; then
	tx=policy-exec-$$-$(date +%s%N)
	start_peer
	TRANSACTIONID=$tx journal_refusal "the refusal is in journald with its code and transaction ID" "$tx"
	POLICY_PEER_TXN=$tx-named start_peer
	journal_refusal "without TRANSACTIONID: the transaction ID ndes-crpd returned" "$tx-named"
else
	echo "ok $((n += 1)) # SKIP no journald"
	echo "ok $((n += 1)) # SKIP no journald"
fi

# ---- watch-depot ---------------------------------------------------------
depot=$tmp/depot
mkdir -p "$depot"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ca.key" \
	-subj /CN=ca -days 30 -out "$depot/ca.pem" 2>/dev/null
# issue NAME SERIAL: $tmp/NAME.pem, and its public key's SHA-256 in $tmp/NAME.pk
issue() {
	"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/$1.key" \
		-subj "/C=US/O=Contoso/OU=MDM/CN=$1" -out "$tmp/$1.csr" 2>/dev/null
	"$OPENSSL" x509 -req -in "$tmp/$1.csr" -CA "$depot/ca.pem" -CAkey "$tmp/ca.key" \
		-set_serial "$2" -days 10 -out "$tmp/$1.pem" 2>/dev/null
	"$OPENSSL" pkey -in "$tmp/$1.key" -pubout -outform DER | sha256sum | cut -c1-64 |
		tr a-f A-F >"$tmp/$1.pk"
}
notified() { # notified NAME: the stand-in's exact line for that certificate
	printf 'NOTIFY challenge= txn= disposition=0 hresult=0x00000000 cert=%s pubkey=%s desc=depot certificate %s' \
		"$("$OPENSSL" x509 -in "$tmp/$1.pem" -outform DER | wc -c)" "$(cat "$tmp/$1.pk")" "$2"
}
start_watcher() {
	: >"$tmp/watch.err"
	"$exe" watch-depot --retry 1 "$depot" 2>"$tmp/watch.err" &
	watcher=$!
	wait_for "$tmp/watch.err" "ndes-policy-exec: watching $depot"
}
line() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }

issue dev0 2
cp "$tmp/dev0.pem" "$depot/dev0.2.pem"
line V 271129192004Z "" 02 dev0.2.pem /C=US/O=Contoso/OU=MDM/CN=dev0 >"$depot/index.txt"
start_peer
start_watcher
check "first start: the depot's contents are taken as handled" \
	grep -qx "ndes-policy-exec: first start on $depot: what the depot holds now is taken as already handled" \
	"$tmp/watch.err"

issue dev1 3
cp "$tmp/dev1.pem" "$depot/dev1.3.pem"	# written in place, like micromdm (IN_CLOSE_WRITE)
check "a new certificate is notified as Success with its DER (matched by public key)" \
	wait_for "$plog" "$(notified dev1 dev1.3.pem)"
issue dev2 4
cp "$tmp/dev2.pem" "$tmp/dev2.tmp" && mv "$tmp/dev2.tmp" "$depot/dev2.4.pem"	# IN_MOVED_TO
check "a certificate moved into the depot is notified" \
	wait_for "$plog" "$(notified dev2 dev2.4.pem)"
check "the first start did not notify what was there" test "$(grep -c dev0.2.pem "$plog")" = 0
check "the log names the certificate, its serial and subject" grep -qF \
	"notified ndes-crpd: dev1.3.pem issued (serial 03, subject CN=dev1,OU=MDM,O=Contoso,C=US, public key SHA-256 $(cat "$tmp/dev1.pk"))" \
	"$tmp/watch.err"

# micromdm re-enrolling dev0: the old line turns to R, the new V is appended
{
	line R 271129192004Z 261129192012Z 02 dev0.2.pem /C=US/O=Contoso/OU=MDM/CN=dev0
	line V 271129192004Z "" 03 dev1.3.pem /C=US/O=Contoso/OU=MDM/CN=dev1
	line V 271129192004Z "" 04 dev2.4.pem /C=US/O=Contoso/OU=MDM/CN=dev2
	line V 271129192004Z "" 09 unknown /C=US/O=Contoso/OU=MDM/CN=dev0
} >"$depot/index.txt.new"
cat "$depot/index.txt.new" >"$depot/index.txt"
check "a line flipped from V to R is reported" wait_for "$tmp/watch.err" \
	"ndes-policy-exec: certificate serial 02 (dev0.2.pem, /C=US/O=Contoso/OU=MDM/CN=dev0) revoked by the SCEP server on re-enrollment at 261129192012Z"
# the CA's operator (ndes-connectord, for the cloud) revoking dev2's only certificate
sed -i "s|^V\(\t271129192004Z\t\)\(\t04\t\)|R\1261129193000Z\2|" "$depot/index.txt.new"
cat "$depot/index.txt.new" >"$depot/index.txt"
check "a revocation that leaves the subject no valid certificate is not called a re-enrollment" \
	wait_for "$tmp/watch.err" \
	"ndes-policy-exec: certificate serial 04 (dev2.4.pem, /C=US/O=Contoso/OU=MDM/CN=dev2) revoked at 261129193000Z, not on a re-enrollment (no other valid certificate of this subject in the depot; e.g. by ndes-connectord on the cloud's request)"
# micromdm's own order: the new certificate file first, the old line to R, the new V line last
issue dev1 10
cp "$tmp/dev1.pem" "$depot/dev1.10.pem"
check "a re-enrolled certificate is notified" wait_for "$plog" "$(notified dev1 dev1.10.pem)"
sed -i "s|^V\(\t271129192004Z\t\)\(\t03\t\)|R\1261129192500Z\2|" "$depot/index.txt.new"
cat "$depot/index.txt.new" >"$depot/index.txt"
check "a line turned to R before the new line is written is still a re-enrollment (the new file is there)" \
	wait_for "$tmp/watch.err" \
	"ndes-policy-exec: certificate serial 03 (dev1.3.pem, /C=US/O=Contoso/OU=MDM/CN=dev1) revoked by the SCEP server on re-enrollment at 261129192500Z"

# a line of index.txt with a NUL byte: the file is refused, naming the
# place, and nothing read from it is reported (a cut line used to be used)
cp "$depot/index.txt" "$tmp/index.good"
{ cat "$tmp/index.good"; printf 'R\t271129192004Z\t261129194000Z\t05\tdev9.5.pem\t/CN=dev9\000/CN=x\n'; } \
	>"$depot/index.txt"
check "a depot index.txt line with a NUL byte is refused, naming its place" \
	wait_for "$tmp/watch.err" "ndes-policy-exec: $depot/index.txt:5: a NUL byte at column 53"
printf 'R\t271129192004Z\t261129194000Z\t05\tdev9.5.pem\t/CN=d\351v9\n' >>"$tmp/index.good"
cat "$tmp/index.good" >"$depot/index.txt"
check "... so is one that is not UTF-8" \
	wait_for "$tmp/watch.err" "ndes-policy-exec: $depot/index.txt:5: not UTF-8 (byte 0xE9 at column 50)"
check "... and no revocation was reported from either" test "$(grep -c 'serial 05' "$tmp/watch.err")" = 0
sed -i '$d' "$tmp/index.good"
cat "$tmp/index.good" >"$depot/index.txt"

kill "$watcher" && wait "$watcher"
check_eq "SIGTERM: the watcher exits 0" "$?" 0
watcher=
issue dev3 5
cp "$tmp/dev3.pem" "$depot/dev3.5.pem"	# issued while the watcher was stopped
start_watcher
check "after a restart, what was issued meanwhile is notified" \
	wait_for "$plog" "$(notified dev3 dev3.5.pem)"
sleep 0.3
check_eq "... and nothing is notified twice" \
	"$(grep -c '^NOTIFY' "$plog"):$(grep -c 'revoked' "$tmp/watch.err")" "4:0"

stop_peer
issue dev4 6
cp "$tmp/dev4.pem" "$depot/dev4.6.pem"
check "ndes-crpd down: the notification waits" wait_for "$tmp/watch.err" \
	"ndes-policy-exec: cannot notify ndes-crpd of dev4.6.pem yet (retrying every 1 s): ndes-crpd unavailable: connect $sock: No such file or directory"
start_peer
check "ndes-crpd back: it is sent" wait_for "$plog" "$(notified dev4 dev4.6.pem)"

kill "$watcher" && wait "$watcher"
watcher=
stop_peer
issue dev5 7
cp "$tmp/dev5.pem" "$depot/dev5.7.pem"
"$exe" watch-depot --once "$depot" 2>/dev/null
check_eq "--once with ndes-crpd down: exit 1 (still pending)" "$?" 1
start_peer
"$exe" watch-depot --once "$depot" 2>/dev/null
check_eq "--once with ndes-crpd up: exit 0, notified" "$?:$(grep -c 'dev5.7.pem' "$plog")" "0:1"

# the watcher's own state file with a NUL byte in a key: it does not start
state=$(ls "$tmp"/state/depot-*.state 2>/dev/null | head -n 1)
if [ -n "$state" ]; then
	cp "$state" "$tmp/state.good"
	printf 'cert dev5\000.7.pem\n' >>"$state"
	"$exe" watch-depot --once "$depot" 2>"$tmp/once.err"
	check_eq "a state file with a NUL byte: the watcher refuses to start (exit 2), naming the place" \
		"$?:$(grep -c "state: $state:[0-9]*: a NUL byte at column 10" "$tmp/once.err")" "2:1"
	cp "$tmp/state.good" "$state"
else
	not_ok "the watcher's state file is where the test looks for it"
fi

start_watcher
rm -rf "$depot"
wait "$watcher"
rc=$?
watcher=
check_eq "the depot removed: the watcher stops with exit 1" "$rc:$(tail -n 1 "$tmp/watch.err")" \
	"1:ndes-policy-exec: $depot: the depot was removed or moved"
