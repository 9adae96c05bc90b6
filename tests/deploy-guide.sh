#!/bin/bash
# docs/deploy.md, followed literally: every ```sh block after a
# "<!-- deploy-guide: run -->" marker is run, in order, in one bash (so the
# variables one block sets are there for the next), with set -e: the first
# command that fails stops the run and names its block.  Root only, on a
# machine where the Debian packages are installed and nothing of the guide is
# there yet; tests/package-install.sh runs it between its install and its
# purge (make check-package).  TAP.
#
# Without systemd as PID 1 (a container, CI), `systemctl` is a shell function
# here that starts a unit the way its file says: ExecStart= as User= with its
# Environment=, EnvironmentFile= and UMask=, when ConditionPathExists= holds.
# The guide's variables: WORK (a temporary folder), SCEP_PORT, CLOUD_PORT and
# ADMIN_PORT (free ports).  What the guide made is removed at the end.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/scripts/lib/ports.sh"
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

GUIDE=$top_srcdir/docs/deploy.md
[ "$(id -u)" = 0 ] || skip_all "not root"
for p in ndes-common ndes-crpd ndes-connector ndes-policy ndes-cloud-sim ndes-device-sim; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
		skip_all "the package $p is not installed (make check-package installs them)"
done
{ command -v scepserver && command -v jq; } >/dev/null || skip_all "no scepserver or jq"
. "$top_srcdir/tests/lib/journal.sh"
ndes_journal_ensure >/dev/null 2>&1 || skip_all "no journald"
MADE="/etc/ndes/connector.yaml /etc/ndes/crpd.yaml /etc/ndes/policy.yaml /etc/ndes/cloud-ca.pem
	/etc/default/ndes-scepserver /etc/systemd/system/ndes-scepserver.service
	/etc/systemd/system/ndes-policy-watch.service /var/lib/ndes/depot"
for f in $MADE; do
	[ ! -e "$f" ] || skip_all "$f exists: the guide would overwrite it"
done

# The guide's blocks: marker line, then the fenced block that follows it
extract() {
	awk '/^<!-- deploy-guide: run -->$/ { want = 1; next }
		want && /^```sh$/ { inblock = 1; want = 0; n++; printf "guide_block %d\n", n; next }
		inblock && /^```$/ { inblock = 0; next }
		inblock { print }' "$GUIDE"
}

T=$(mktemp -d /tmp/ndes-guide.XXXXXX) || exit 1
chmod 0755 "$T"
cleanup() {
	local p
	[ ! -d /run/systemd/system ] || systemctl disable --now ndes-scepserver ndes-policy-watch \
		ndes-crpd ndes-connectord >/dev/null 2>&1
	# runuser and the unit's process under it (the stand-in), the emulator
	for p in $(cat "$T/pids" 2>/dev/null); do
		pkill -TERM -P "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in $(cat "$T/pids" 2>/dev/null); do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	# shellcheck disable=SC2086
	rm -rf $MADE /var/lib/ndes/registration /var/lib/ndes/signing /var/lib/ndes/crp \
		/var/lib/ndes/connector /var/lib/ndes/policy-exec /run/ndes/*.sock "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n_blocks=$(extract | grep -c '^guide_block ')
check "docs/deploy.md has marked shell blocks ($n_blocks)" test "$n_blocks" -ge 10

# What runs the guide: the systemctl stand-in, then the blocks
cat >"$T/run.sh" <<'EOF'
set -eEu -o pipefail
GUIDE_BLOCK=0
guide_block() { GUIDE_BLOCK=$1; echo "== block $1"; }
trap 'echo "FAILED in block $GUIDE_BLOCK: $BASH_COMMAND" >&2' ERR
unit_file() {
	local d
	for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
		[ -f "$d/$1.service" ] && { echo "$d/$1.service"; return; }
	done
	echo "systemctl: no unit $1" >&2
	return 1
}
unit_key() { sed -n "s/^$2=//p" "$1"; }
unit_start() {
	local f user umask cond exec env=() e ef
	f=$(unit_file "$1")
	cond=$(unit_key "$f" ConditionPathExists)
	[ -z "$cond" ] || [ -e "$cond" ] || { echo "$1: $cond missing, not started"; return 0; }
	user=$(unit_key "$f" User) umask=$(unit_key "$f" UMask) exec=$(unit_key "$f" ExecStart)
	while read -r e; do eval "env+=($e)"; done < <(unit_key "$f" Environment)
	ef=$(unit_key "$f" EnvironmentFile)
	case $ef in -*) ef=${ef#-}; [ -f "$ef" ] || ef="" ;; esac
	[ -z "$ef" ] || while read -r e; do [ -n "$e" ] && env+=("$e"); done <"$ef"
	runuser -u "${user:-root}" -- env "${env[@]}" bash -c "umask ${umask:-0022}; exec $exec" \
		>"$GUIDE_T/$1.out" 2>"$GUIDE_T/$1.err" &
	echo $! >>"$GUIDE_T/pids"
	echo "$1 $!" >>"$GUIDE_T/units"
}
systemctl() {
	case $1 in
	daemon-reload) return 0 ;;
	enable | start)
		local u
		shift
		[ "${1:-}" != --now ] || shift
		for u in "$@"; do unit_start "$u"; done ;;
	*) echo "systemctl stand-in: $1 not handled" >&2; return 1 ;;
	esac
}
# Background jobs of the guide (the emulator) are stopped at the end too
trap 'jobs -p >>"$GUIDE_T/pids"' EXIT
EOF
extract >>"$T/run.sh"

WORK=$T/work SCEP_PORT=$(free_port) CLOUD_PORT=$(free_port) ADMIN_PORT=$(free_port)
export WORK SCEP_PORT CLOUD_PORT ADMIN_PORT
start=$SECONDS
if [ -d /run/systemd/system ]; then
	# A real systemd: the guide's systemctl is the real one
	sed -i '/^systemctl() {/,/^}/d' "$T/run.sh"
fi
GUIDE_T=$T bash "$T/run.sh" >"$T/guide.log" 2>&1
rc=$?
last=$(sed -n 's/^== block //p' "$T/guide.log" | tail -n 1)
if [ "$rc" = 0 ]; then
	ok "docs/deploy.md: all $n_blocks blocks ran ($((SECONDS - start)) s)"
else
	not_ok "docs/deploy.md: block $last of $n_blocks failed (exit $rc)"
	tail -n 30 "$T/guide.log" | sed 's/^/# /'
	for f in "$T"/*.err "$WORK"/cloud/cloud.log; do
		[ -s "$f" ] && { echo "# --- $f"; tail -n 10 "$f" | sed 's/^/#   /'; }
	done
fi
check_eq "the last block that ran is the last one" "$last" "$n_blocks"
sed 's/^/# /' "$T/guide.log"
# The four units, still running at the end, as ndes (the stand-in: runuser's
# child; under systemd: MainPID)
for u in ndes-connectord ndes-crpd ndes-scepserver ndes-policy-watch; do
	if [ -d /run/systemd/system ]; then
		pid=$(systemctl show -p MainPID --value "$u" 2>/dev/null)
	else
		pid=$(awk -v u="$u" '$1 == u { print $2 }' "$T/units" 2>/dev/null)
		pid=$(pgrep -P "$pid" 2>/dev/null | head -n 1)
	fi
	check_eq "$u: running as ndes at the end" "$(stat -c %U "/proc/${pid:-0}" 2>/dev/null)" ndes
done
check_eq "the depot's index.txt is ndes's (scepserver wrote it)" \
	"$(stat -c %U /var/lib/ndes/depot/index.txt 2>/dev/null)" ndes
check_eq "ca.key is ndes's, 0600" "$(stat -c '%U %a' /var/lib/ndes/depot/ca.key 2>/dev/null)" "ndes 600"
check "index.txt has revoked certificates (scepserver's and the connector's)" test "$(grep -c "^R" /var/lib/ndes/depot/index.txt 2>/dev/null)" -ge 2
echo "1..$tap_n"
[ "$tap_failed" = 0 ]
