#!/bin/sh
# One command-line convention for every program (issue 19, item 8):
# -v/--verbose is repeatable (-v -v, -vv, --verbose --verbose) and a debug
# line appears with -vv and not without; --check-config FILE exits 0 on the
# example file and, on a YAML syntax error and on an unknown key, exits 1
# with one "FILE:LINE:COLUMN: ..." line on stderr; an unknown option exits
# 2 with the usage on stderr; --help names -v/--verbose and --check-config.
# ndes-device-sim reads no configuration file: its --check-config checks a
# saved profile payload (JSON), so its two broken files are bad JSON and a
# payload that lacks a field.  cli-version.sh checks --help and --version.
# TAP.
set -u
builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
OPENSSL=${OPENSSL:-openssl}
T=$(mktemp -d "${TMPDIR:-/tmp}/ndes-cliconv.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

echo "1..63"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/#   /' "$T/err" 2>/dev/null | head -5; }
check() { what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
has() { grep -Eq -- "$2" "$1"; }
lacks() { ! grep -Eq -- "$2" "$1"; }

# ---- the files each program checks --------------------------------------
mkdir -p "$T/cloud/depot"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Test CA" \
	-days 30 -keyout "$T/ca.key" -out "$T/cloud/depot/ca.pem" 2>/dev/null
cp "$srcdir/etc/cloud-sim.example.yaml" "$T/cloud/cloud-sim.yaml"
root=$(awk '{ printf "%s\\n", $0 }' "$T/cloud/depot/ca.pem")
cat >"$T/payload.json" <<EOF
{"challenge": "c-1", "challengeId": "1", "deviceId": "d-1", "profile": "p",
 "certificateType": "device", "subject": "CN=ws1", "subjectOpenssl": "/CN=ws1",
 "keyType": "EC", "keySize": 256, "hash": "sha256", "validityDays": 30,
 "sans": [{"type": "dns", "value": "ws1.contoso.com"}], "keyUsage": ["digitalSignature"],
 "extendedKeyUsages": ["1.3.6.1.5.5.7.3.2"], "renewalThresholdPercent": 20,
 "scepServerUrls": ["http://127.0.0.1:1/scep"], "trustedRootCertificate": "$root"}
EOF
printf 'a: [\n  b\n' >"$T/syntax.yaml"
printf '{"challenge": "c-1",\n  "keyType" "EC"}\n' >"$T/syntax.json"
sed 's/"keySize": 256, //' "$T/payload.json" >"$T/lacks.json"

# program  good file  file with an unknown key (made from the good one)
programs="crp/ndes-crpd:$srcdir/etc/crpd.example.yaml
connector/ndes-connectord:$srcdir/etc/connector.example.yaml
connector/ndes-connector:$srcdir/etc/connector.example.yaml
cloudsim/ndes-cloud-sim:$T/cloud/cloud-sim.yaml
policy/ndes-policy-exec:$srcdir/etc/policy.example.yaml
policy/ndes-policy-watch:$srcdir/etc/policy.example.yaml
devicesim/ndes-device-sim:$T/payload.json"

for entry in $programs; do
	p=$builddir/${entry%%:*}
	name=${p##*/}
	good=${entry#*:}
	# --help names the convention's options
	"$p" --help >"$T/err" 2>&1
	check "$name --help names -v, --verbose and --check-config" \
		has "$T/err" "-v, --verbose|-v\]" && has "$T/err" "--check-config"
	# a good file: exit 0, "FILE: OK", nothing on stderr without -v
	"$p" --check-config "$good" >"$T/out" 2>"$T/err"
	rc=$?
	check "$name --check-config on the example: exit 0, \"FILE: OK\", stderr empty" \
		test "$rc:$(cat "$T/out")" = "0:$good: OK" -a ! -s "$T/err"
	# -vv in three spellings: accepted, and a debug line appears
	for vv in "-v -v" "-vv" "--verbose --verbose"; do
		# shellcheck disable=SC2086 # the spelling splits on purpose
		"$p" --check-config "$good" $vv >"$T/out" 2>"$T/err"
		rc=$?
		case $name in
		ndes-device-sim) line="^$name: $good: 1 SCEP URL\(s\)" ;;
		*) line="^$good: sets [a-z_]+, " ;;
		esac
		check "$name --check-config FILE $vv: exit 0 and the debug line" \
			test "$rc" = 0 -a "$(grep -Ec "$line" "$T/err")" = 1
	done
	# broken files: exit 1, one FILE:LINE:COLUMN: line
	case $name in
	ndes-device-sim) syntax=$T/syntax.json ;;
	*) syntax=$T/syntax.yaml ;;
	esac
	"$p" --check-config "$syntax" >"$T/out" 2>"$T/err"
	rc=$?
	check "$name --check-config on a syntax error: exit 1, FILE:LINE:COLUMN:" \
		test "$rc" = 1 -a "$(wc -l <"$T/err")" = 1 -a ! -s "$T/out" -a \
		"$(grep -Ec "^$syntax:[0-9]+:[0-9]+: " "$T/err")" = 1
	if [ "$name" = ndes-device-sim ]; then
		"$p" --check-config "$T/lacks.json" >"$T/out" 2>"$T/err"
		rc=$?
		check "$name --check-config on a payload without keySize: exit 1, the field named" \
			test "$rc" = 1 -a "$(wc -l <"$T/err")" = 1 -a \
			"$(grep -Ec "^$T/lacks.json: profile payload: \"challengeId\": .*keySize" \
			"$T/err")" = 1
	else
		{ cat "$good"; printf '\nno_such_key: 1\n'; } >"$T/cloud/unknown.yaml"
		line=$(($(wc -l <"$T/cloud/unknown.yaml")))
		"$p" --check-config "$T/cloud/unknown.yaml" >"$T/out" 2>"$T/err"
		rc=$?
		check "$name --check-config on an unknown key: exit 1, FILE:LINE:1: unknown key" \
			test "$rc" = 1 -a "$(wc -l <"$T/err")" = 1 -a \
			"$(grep -Ec "^$T/cloud/unknown.yaml:$line:1: unknown key \"no_such_key\"" \
			"$T/err")" = 1
	fi
	# an unknown option: exit 2, the usage on stderr
	"$p" --no-such-option >"$T/out" 2>"$T/err"
	rc=$?
	check "$name --no-such-option: exit 2 and the usage on stderr" \
		test "$rc" = 2 -a ! -s "$T/out" && has "$T/err" "usage: "
done

# ---- crpd: --debug is -vv ------------------------------------------------
crpd=$builddir/crp/ndes-crpd
"$crpd" --debug --check-config "$srcdir/etc/crpd.example.yaml" >"$T/out" 2>"$T/err"
check "ndes-crpd --debug: accepted, the debug line as with -vv" \
	has "$T/err" "^$srcdir/etc/crpd.example.yaml: sets tenant_id, "

# ---- a quick command with -vv and without ---------------------------------
conn=$builddir/connector/ndes-connector
"$conn" --config "$srcdir/etc/connector.example.yaml" --state-dir "$T/state" status \
	>"$T/out" 2>"$T/err"
check "ndes-connector status: no debug line without -v" lacks "$T/err" "configuration: |state folder: "
"$conn" -vv --config "$srcdir/etc/connector.example.yaml" --state-dir "$T/state" status \
	>"$T/out" 2>"$T/err"
check "ndes-connector -vv status: which configuration and state folder (debug)" \
	has "$T/err" "^ndes-connector: configuration: $srcdir/etc/connector.example.yaml$" &&
	has "$T/err" "^ndes-connector: state folder: $T/state$"
"$conn" -v --config "$srcdir/etc/connector.example.yaml" --state-dir "$T/state" status \
	>"$T/out" 2>"$T/err"
check "ndes-connector -v status: info, not debug (warn -> info)" lacks "$T/err" "state folder: "

sim=$builddir/cloudsim/ndes-cloud-sim
"$sim" show devices --admin http://127.0.0.1:1 >"$T/out" 2>"$T/err"
rc=$?
check "ndes-cloud-sim show devices (nothing listening): exit 3, no debug line" \
	test "$rc" = 3 && lacks "$T/err" "GET http"
"$sim" -vv show devices --admin http://127.0.0.1:1 >"$T/out" 2>"$T/err"
check "ndes-cloud-sim -vv show devices: the request (debug)" \
	has "$T/err" "^ndes-cloud-sim: GET http://127.0.0.1:1/admin/devices$"
"$sim" show devices --admin http://127.0.0.1:1 --verbose --verbose >"$T/out" 2>"$T/err"
check "ndes-cloud-sim show devices --verbose --verbose: the same after the subcommand" \
	has "$T/err" "^ndes-cloud-sim: GET http://127.0.0.1:1/admin/devices$"
