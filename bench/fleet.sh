#!/usr/bin/env bash
# Devices per second through the same scepserver (docs/devicesim.md,
# "Benchmark"): ndes-device-sim fleet against 4 scepclient processes at a
# time, alternated in rounds, on the demo's stack (the emulator, a
# connector, ndes-crpd, scepserver with ndes-policy-exec as its hook, the
# depot watcher).  Each side does a device's whole work on the client:
#   fleet       one process: challenge from the emulator, key, request,
#               SCEP, the check after issuance, the report
#   scepclient  per enrollment `openssl genrsa` and `openssl req` (scepclient
#               cannot put SANs, key usage or EKUs in its own request), then
#               scepclient; the challenges are minted before the round
# Client CPU per enrollment: user + system time of the client processes
# (/usr/bin/time on the round: the fleet, or the shell running the 4
# workers and everything they started), divided by the certificates
# received.  Run from the build folder:
#   bash ../bench/fleet.sh [--rounds 3] [--per-round 200] [--key-size 2048]
#                          [--concurrency 16]
# Last line: fleet <f>/s scepclient <s>/s cpu-ratio <fleet CPU per
# enrollment / scepclient CPU per enrollment> (medians of the rounds).
set -uo pipefail
rounds=3 per=200 bits=2048 conc=16
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--per-round) per=$2; shift 2 ;;
	--key-size) bits=$2; shift 2 ;;
	--concurrency) conc=$2; shift 2 ;;
	*) echo "usage: bench/fleet.sh [--rounds N] [--per-round N] [--key-size B] [--concurrency C]" >&2
		exit 2 ;;
	esac
done
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
DEMO_SRCDIR=$top_srcdir
DEMO_BUILDDIR=$(cd "$top_builddir" && pwd)
DEMO_PREFIX="# "
DEMO_HOOK_DIRECT=1
PROFILE="Fleet (Windows 10)"
. "$top_srcdir/scripts/lib/demo-env.sh"
. "$top_srcdir/scripts/lib/demo-start.sh"
. "$top_srcdir/scripts/lib/fleet-tenant.sh"
DEMO_EXTRA_PROFILES=$(fleet_profile "$PROFILE" "$bits")
N=$((rounds * per * 2))

finish() {
	local rc=$?
	trap - EXIT INT TERM
	demo_stop_all
	[ -z "$DEMO_T" ] || [ -n "${NDES_BENCH_KEEP:-}" ] || rm -rf "$DEMO_T"
	exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM

demo_init >&2 || exit 1
demo_journald stop-later || { echo "bench/fleet.sh: no journald" >&2; exit 1; }
DEMO_EXAMPLE=$DEMO_T/fleet-tenant.yaml
fleet_tenant "$N" "$top_srcdir/etc/cloud-sim.example.yaml" >"$DEMO_EXAMPLE"
demo_start >&2 || { demo_logs >&2; exit 1; }
ADMIN=http://127.0.0.1:$DEMO_ADMIN_PORT
next_dev=0	# devices of the tenant used so far (each enrolls once)

# cpu_of FILE: user + system seconds from /usr/bin/time -f '%e %U %S'
wall_of() { tail -n 1 "$1" | awk '{ print $1 }'; }
cpu_of() { tail -n 1 "$1" | awk '{ printf "%.3f", $2 + $3 }'; }

fleet_round() {
	local out=$DEMO_T/fleet-$1.json
	/usr/bin/time -f '%e %U %S' -o "$DEMO_T/time-fleet-$1" "$DEMO_DSIM" fleet --cloud "$ADMIN" \
		--devices "$per" --skip "$next_dev" --concurrency "$conc" --profile "$PROFILE" --json \
		>"$out" 2>"$DEMO_T/log/fleet-$1.err"
	next_dev=$((next_dev + per))
	ok_n=$(jq .enrolled "$out")
	keygen_ms=$(jq .prepareCpuMs "$out")
}

# scepclient_prepare R: per enrollment a folder with a fresh challenge and the
# request's openssl configuration made from its payload (not timed: that is
# reading the payload, which the fleet does in its own process too)
scepclient_prepare() {
	local i d id body j
	for ((i = 1; i <= per; i++)); do
		d=$DEMO_T/sc-$1/$i j=$DEMO_T/sc-$1/$i/payload.json
		mkdir -p "$d"
		id=$(printf '00000000-0000-4000-8000-%012d' $((next_dev + i)))
		body=$(jq -nc --arg d "$id" --arg p "$PROFILE" '{device: $d, profile: $p}')
		curl -sf -H 'Content-Type: application/json' -d "$body" "$ADMIN/admin/challenges" \
			>"$j" || return 1
		{
			printf '[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n'
			printf 'req_extensions = ext\nutf8 = yes\nstring_mask = utf8only\n[dn]\n'
			jq -r .subjectOpenssl "$j" | sed 's|^/||' | tr '/' '\n'
			printf '[attrs]\nchallengePassword = %s\n' "$(jq -r .challenge "$j")"
			printf '[ext]\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n'
			printf 'subjectAltName = DNS:%s\n' "$(jq -r '.sans[0].value' "$j")"
		} >"$d/req.cnf"
	done
	next_dev=$((next_dev + per))
}

# One enrollment in folder $1: the key (its CPU also in keygen.times), the
# request, scepclient.
scepclient_one() {
	local d=$1
	/usr/bin/time -f '%U %S' -a -o "$d/../keygen.times" \
		openssl genrsa -traditional -out "$d/key.pem" "$BENCH_BITS" 2>/dev/null &&
	openssl req -new -key "$d/key.pem" -config "$d/req.cnf" -out "$d/csr.pem" 2>/dev/null &&
		(cd "$d" && scepclient -server-url "http://localhost:$DEMO_SCEP_PORT/scep" \
			-private-key key.pem >scepclient.log 2>&1)
}
export -f scepclient_one
export DEMO_SCEP_PORT BENCH_BITS=$bits

scepclient_round() {
	scepclient_prepare "$1" || { echo "bench/fleet.sh: no challenge from the emulator" >&2; return 1; }
	# 4 workers (xargs -P 4), all under one /usr/bin/time
	/usr/bin/time -f '%e %U %S' -o "$DEMO_T/time-sc-$1" bash -c \
		"ls -d '$DEMO_T/sc-$1'/*/ | xargs -P 4 -I{} bash -c 'scepclient_one {}' >/dev/null 2>&1"
	ok_n=$(find "$DEMO_T/sc-$1" -name client.pem | wc -l)
	keygen_ms=$(awk '{ s += $1 + $2 } END { printf "%.1f", s * 1000 }' "$DEMO_T/sc-$1/keygen.times")
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
F_RATES="" S_RATES="" RATIOS="" RATIOS_NOKEY=""
for ((r = 1; r <= rounds; r++)); do
	# alternate which side goes first
	for side in $( ((r % 2)) && echo "fleet sc" || echo "sc fleet"); do
		if [ "$side" = fleet ]; then fleet_round "$r"; else scepclient_round "$r" || exit 1; fi
		t=$DEMO_T/time-$side-$r
		read -r wall user sys < <(tail -n 1 "$t")
		rate=$(awk -v n="$ok_n" -v w="$wall" 'BEGIN { printf "%.1f", (w > 0 ? n / w : 0) }')
		cpu_ms=$(awk -v n="$ok_n" -v u="$user" -v s="$sys" \
			'BEGIN { printf "%.2f", n ? (u + s) * 1000 / n : 0 }')
		nokey_ms=$(awk -v n="$ok_n" -v u="$user" -v s="$sys" -v k="$keygen_ms" \
			'BEGIN { printf "%.2f", n ? ((u + s) * 1000 - k) / n : 0 }')
		echo "round $r: ${side/sc/scepclient} $ok_n/$per enrolled in $wall s: $rate/s," \
			"client CPU $cpu_ms ms per enrollment ($nokey_ms ms without key generation)"
		eval "${side}_rate=\$rate ${side}_cpu=\$cpu_ms ${side}_nokey=\$nokey_ms"
	done
	F_RATES+="$fleet_rate"$'\n' S_RATES+="$sc_rate"$'\n'
	RATIOS+=$(awk -v f="$fleet_cpu" -v s="$sc_cpu" 'BEGIN { printf "%.3f", (s > 0 ? f / s : 0) }')$'\n'
	RATIOS_NOKEY+=$(awk -v f="$fleet_nokey" -v s="$sc_nokey" \
		'BEGIN { printf "%.3f", (s > 0 ? f / s : 0) }')$'\n'
done
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg), RSA $bits, fleet concurrency $conc, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu-ratio without key generation $(grep . <<<"$RATIOS_NOKEY" | median)"
echo "fleet $(grep . <<<"$F_RATES" | median)/s scepclient $(grep . <<<"$S_RATES" | median)/s cpu-ratio $(grep . <<<"$RATIOS" | median)"
