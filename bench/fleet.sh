#!/usr/bin/env bash
# Devices per second through the same scepserver (docs/devicesim.md,
# "Benchmark"): ndes-device-sim fleet against 4 scepclient processes at a
# time, alternated in rounds, on the demo's stack (the emulator, a
# connector, ndes-crpd, scepserver with ndes-policy-exec as its hook, the
# depot watcher).  Each side does a device's work on the client:
#   fleet       one process: challenge from the emulator, request, SCEP,
#               the check after issuance, the report
#   scepclient  per enrollment `openssl req` (scepclient cannot put SANs,
#               key usage or EKUs in its own request), then scepclient; the
#               challenges are minted before the round
# and the key, measured both ways in every round:
#   keys made before timing  the fleet takes them from a folder made by
#               `ndes-device-sim keygen` (--keys), each scepclient
#               enrollment has its own key made by `openssl genrsa`
#               (-private-key), as ndes-bench enroll does for scepclient
#   fresh keys  the fleet makes a key per enrollment, each scepclient
#               enrollment runs `openssl genrsa` first: key generation timed
# Client CPU per enrollment: user + system time of the client processes
# (/usr/bin/time on the run: the fleet, or the shell running the 4 workers
# and everything they started), divided by the certificates received.  Run
# from the build folder:
#   bash ../bench/fleet.sh [--rounds 3] [--per-round 200] [--key-size 2048]
#                          [--concurrency 16]
# The last two lines (medians of the rounds):
#   fresh keys: fleet <f>/s scepclient <s>/s cpu-ratio <r>
#   fleet <f>/s scepclient <s>/s cpu-ratio <r>     (keys made before timing)
# cpu-ratio: fleet CPU per enrollment / scepclient CPU per enrollment.
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
N=$((rounds * per * 4))

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

# fleet_round R MODE (pre: keys made before timing; fresh)
fleet_round() {
	local out=$DEMO_T/fleet-$1-$2.json keys=()
	if [ "$2" = pre ]; then
		"$DEMO_DSIM" keygen --count "$per" --profile-key "rsa:$bits" --out "$DEMO_T/keys-$1" \
			>/dev/null || return 1
		keys=(--keys "$DEMO_T/keys-$1")
	fi
	/usr/bin/time -f '%e %U %S' -o "$DEMO_T/time-fleet-$1-$2" "$DEMO_DSIM" fleet --cloud "$ADMIN" \
		--devices "$per" --skip "$next_dev" --concurrency "$conc" --profile "$PROFILE" \
		"${keys[@]}" --json >"$out" 2>"$DEMO_T/log/fleet-$1-$2.err"
	next_dev=$((next_dev + per))
	ok_n=$(jq .enrolled "$out")
	if [ "$2" = pre ] && [ "$(jq .keysGenerated "$out")" != 0 ]; then
		echo "bench/fleet.sh: the fleet made keys with --keys" >&2
		return 1
	fi
}

# scepclient_prepare DIR MODE: per enrollment a folder with a fresh challenge
# and the request's openssl configuration made from its payload (not timed:
# that is reading the payload, which the fleet does in its own process too);
# MODE pre: its key too (openssl genrsa, two at a time)
scepclient_prepare() {
	local i d id body j
	for ((i = 1; i <= per; i++)); do
		d=$1/$i j=$1/$i/payload.json
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
	[ "$2" = fresh ] || ls -d "$1"/*/ | xargs -P 2 -I{} openssl genrsa -traditional \
		-out {}key.pem "$bits" 2>/dev/null
}

# One enrollment in folder $1: the key unless made before, the request,
# scepclient.
scepclient_one() {
	local d=$1
	{ [ -f "$d/key.pem" ] || openssl genrsa -traditional -out "$d/key.pem" "$BENCH_BITS" \
		2>/dev/null; } &&
	openssl req -new -key "$d/key.pem" -config "$d/req.cnf" -out "$d/csr.pem" 2>/dev/null &&
		(cd "$d" && scepclient -server-url "http://localhost:$DEMO_SCEP_PORT/scep" \
			-private-key key.pem >scepclient.log 2>&1)
}
export -f scepclient_one
export DEMO_SCEP_PORT BENCH_BITS=$bits

# scepclient_round R MODE
scepclient_round() {
	local dir=$DEMO_T/sc-$1-$2
	scepclient_prepare "$dir" "$2" ||
		{ echo "bench/fleet.sh: no challenge from the emulator" >&2; return 1; }
	# 4 workers (xargs -P 4), all under one /usr/bin/time
	/usr/bin/time -f '%e %U %S' -o "$DEMO_T/time-sc-$1-$2" bash -c \
		"ls -d '$dir'/*/ | xargs -P 4 -I{} bash -c 'scepclient_one {}' >/dev/null 2>&1"
	ok_n=$(find "$dir" -name client.pem | wc -l)
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A RATES CPU
for ((r = 1; r <= rounds; r++)); do
	# alternate which side goes first
	for mode in pre fresh; do
		for side in $( ((r % 2)) && echo "fleet sc" || echo "sc fleet"); do
			if [ "$side" = fleet ]; then fleet_round "$r" "$mode" || exit 1
			else scepclient_round "$r" "$mode" || exit 1; fi
			read -r wall user sys < <(tail -n 1 "$DEMO_T/time-$side-$r-$mode")
			rate=$(awk -v n="$ok_n" -v w="$wall" 'BEGIN { printf "%.1f", (w > 0 ? n / w : 0) }')
			cpu_ms=$(awk -v n="$ok_n" -v u="$user" -v s="$sys" \
				'BEGIN { printf "%.2f", n ? (u + s) * 1000 / n : 0 }')
			echo "round $r: ${side/sc/scepclient} ($([ $mode = pre ] && echo "keys made before" ||
				echo "fresh keys")): $ok_n/$per enrolled in $wall s: $rate/s," \
				"client CPU $cpu_ms ms per enrollment"
			RATES[$side-$mode]+="$rate"$'\n' CPU[$side-$mode-$r]=$cpu_ms
		done
		RATES[ratio-$mode]+=$(awk -v f="${CPU[fleet-$mode-$r]}" -v s="${CPU[sc-$mode-$r]}" \
			'BEGIN { printf "%.3f", (s > 0 ? f / s : 0) }')$'\n'
	done
done
# summary MODE: fleet <f>/s scepclient <s>/s cpu-ratio <r>
summary() {
	echo "fleet $(grep . <<<"${RATES[fleet-$1]}" | median)/s" \
		"scepclient $(grep . <<<"${RATES[sc-$1]}" | median)/s" \
		"cpu-ratio $(grep . <<<"${RATES[ratio-$1]}" | median)"
}
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg), RSA $bits, fleet concurrency $conc, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "fresh keys: $(summary fresh)"
summary pre
