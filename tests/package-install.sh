#!/bin/bash
# The Debian packages on this machine (docs/packaging.md): built by
# scripts/package.sh (or taken from NDES_DEBS=DIR), installed with dpkg -i,
# the installed paths checked, the demo's services started from the installed
# programs for one enrollment and its notification, then purged: nothing of
# ours may be left but the user and group "ndes" (Debian keeps system users).
# Root only (dpkg); skipped without dpkg-buildpackage unless NDES_DEBS is
# given.  The packages built are kept in $top_builddir/debs and used again
# while the source tree is unchanged.  TAP.  Not in `make check` (the package
# build takes minutes): `make check-package`.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}" "${top_builddir:=$top_srcdir}"
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

PKGS="ndes-common ndes-crpd ndes-connector ndes-policy ndes-policy-dev ndes-cloud-sim ndes-device-sim"
[ "$(id -u)" = 0 ] || skip_all "not root (dpkg -i needs root; CI runs as root)"
command -v dpkg >/dev/null || skip_all "no dpkg"
[ -n "${NDES_DEBS:-}" ] || command -v dpkg-buildpackage >/dev/null ||
	skip_all "dpkg-buildpackage missing (Debian: dpkg-dev debhelper; scripts/deps.sh) and no NDES_DEBS"
command -v flock >/dev/null || skip_all "no flock (Debian: util-linux)"
# The demo's libraries and their skips (scepserver, scepclient, jq, journald);
# their paths are set to the installed programs below.
. "$top_srcdir/tests/lib/demo-test.sh"
# One run at a time on a machine: the packages are system-wide.
exec 9>/run/lock/ndes-package-install.lock && flock -w 600 9 || skip_all "another run holds the lock"
for p in $PKGS; do
	case $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) in
	"" | un*) ;;
	*) skip_all "$p is installed here already: the test would purge it" ;;
	esac
done
for f in /usr/sbin/ndes-crpd /usr/sbin/ndes-connectord /usr/bin/ndes-connector /etc/ndes \
	/var/lib/ndes; do
	[ ! -e "$f" ] || skip_all "$f exists (a make install?): the test would remove it"
done
user_before=$(getent passwd ndes >/dev/null && echo yes || echo no)

# ---- the packages -----------------------------------------------------------
debs=${NDES_DEBS:-$top_builddir/debs}
# The source tree's state (a git checkout): the index, the changes to it and
# the untracked files git does not ignore
tree_key() {
	(cd "$top_srcdir" && git ls-files -s && git diff HEAD && git ls-files --others --exclude-standard |
		xargs -r sha256sum) 2>/dev/null | sha256sum | cut -c1-64
}
if [ -z "${NDES_DEBS:-}" ]; then
	key=$(tree_key)
	if [ "$(cat "$debs/.tree" 2>/dev/null)" != "$key" ] || ! ls "$debs"/*.deb >/dev/null 2>&1; then
		rm -rf "$debs" && mkdir -p "$debs"
		start=$SECONDS
		"$top_srcdir/scripts/package.sh" --no-lintian "$debs" >"$debs/build.log" 2>&1 ||
			{ tail -n 30 "$debs/build.log" | sed 's/^/# /'; echo "Bail out! package build failed"; exit 1; }
		echo "$key" >"$debs/.tree"
		echo "# packages built in $((SECONDS - start)) s ($debs/build.log)"
	else
		echo "# packages of this tree already built: $debs"
	fi
fi
# dpkg's output, also when NDES_DEBS is not ours to write in
logs=$top_builddir/debs
mkdir -p "$logs"
deb_of() { ls "$debs/$1"_*.deb 2>/dev/null | head -n 1; }
for p in $PKGS; do
	check "$p: built" test -n "$(deb_of "$p")"
done
[ "$tap_failed" = 0 ] || { echo "Bail out! packages missing in $debs"; exit 1; }

purged=0
purge_all() {
	[ $purged = 1 ] && return 0
	purged=1
	# shellcheck disable=SC2086
	dpkg --purge $PKGS >"$logs/purge.log" 2>&1
}
trap 'demo_test_cleanup; purge_all' EXIT
trap 'exit 1' INT TERM

files=$(mktemp)
# shellcheck disable=SC2046
if dpkg -i $(for p in $PKGS; do deb_of "$p"; done) >"$logs/install.log" 2>&1; then
	ok "dpkg -i of the 7 packages"
elif DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >>"$logs/install.log" 2>&1; then
	ok "dpkg -i of the 7 packages (with apt-get install -f for their dependencies)"
else
	not_ok "dpkg -i of the 7 packages"
	tail -n 20 "$logs/install.log" | sed 's/^/# /'
fi
for p in $PKGS; do dpkg -L "$p" 2>/dev/null; done | sort -u >"$files"

# ---- the installed paths ----------------------------------------------------
for f in /usr/sbin/ndes-crpd /usr/sbin/ndes-connectord /usr/bin/ndes-connector \
	/usr/bin/ndes-policy-exec /usr/bin/ndes-cloud-sim /usr/bin/ndes-device-sim \
	/usr/libexec/ndes-linux/ndes-policy-watch; do
	check "$f installed" test -x "$f"
done
module=$(pkg-config --variable=module ndes-policy 2>/dev/null)
check "ndes-policy.pc names the installed module ($module)" test -f "$module"
check "<ndes/policy.h> installed" test -f /usr/include/ndes/policy.h
conffiles=$(dpkg-query -W -f='${Conffiles}\n' $PKGS 2>/dev/null | awk 'NF { print $1 }' | sort)
check_eq "/etc/ndes/*.example.yaml are the conffiles" "$(echo $conffiles)" \
	"/etc/ndes/cloud-sim.example.yaml /etc/ndes/connector.example.yaml /etc/ndes/crpd.example.yaml /etc/ndes/policy.example.yaml"
for u in ndes-crpd ndes-connectord; do
	cfg=${u#ndes-}; cfg=${cfg%d}; [ "$cfg" = connector ] || cfg=crpd
	check "$u.service under /lib/systemd/system, ExecStart with the installed paths" \
		grep -qx "ExecStart=/usr/sbin/$u --config /etc/ndes/$cfg.yaml" "/lib/systemd/system/$u.service"
	check "$u.service starts once /etc/ndes/$cfg.yaml exists (ConditionPathExists=)" \
		grep -qx "ConditionPathExists=/etc/ndes/$cfg.yaml" "/lib/systemd/system/$u.service"
	check "$u.service enabled (multi-user.target.wants)" \
		test -L "/etc/systemd/system/multi-user.target.wants/$u.service"
done
check "sysusers: the user ndes" quiet getent passwd ndes
check_eq "tmpfiles: /var/lib/ndes and /run/ndes" \
	"$(stat -c '%U:%G %a' /var/lib/ndes /run/ndes 2>&1 | sort -u)" "ndes:ndes 750"
check "journal catalog files" test -f /usr/lib/systemd/catalog/ndes.catalog -a \
	-f /usr/lib/systemd/catalog/ndes.ja.catalog
catalog_id=$(sed -n 's/^-- \([0-9a-f]\{32\}\).*/\1/p' /usr/lib/systemd/catalog/ndes.catalog | head -n 1)
check "journalctl --update-catalog ran (journalctl --list-catalog has $catalog_id)" \
	eval "journalctl --list-catalog 2>/dev/null | grep -q '^$catalog_id'"
for m in ndes-crpd.8 ndes-connectord.8 ndes-connector.8 ndes-policy-exec.8 ndes-cloud-sim.1 \
	ndes-device-sim.1 ndes_policy.3; do
	check "man page $m" test -f "/usr/share/man/man${m##*.}/$m.gz"
done
check "ndes-crpd --help names /etc/ndes/crpd.yaml" \
	eval "/usr/sbin/ndes-crpd --help 2>&1 | grep -q /etc/ndes/crpd.yaml"
check "ndes-crpd(8) names /etc/ndes/crpd.yaml" \
	eval "zcat /usr/share/man/man8/ndes-crpd.8.gz | grep -q '/etc/ndes/crpd.yaml'"

# ---- one enrollment with the installed programs -----------------------------
DEMO_SIM=/usr/bin/ndes-cloud-sim DEMO_CRPD=/usr/sbin/ndes-crpd
DEMO_CONNECTOR=/usr/bin/ndes-connector DEMO_CONNECTORD=/usr/sbin/ndes-connectord
DEMO_POLICY_EXEC=/usr/bin/ndes-policy-exec DEMO_DSIM=/usr/bin/ndes-device-sim
DEMO_EXAMPLE=/etc/ndes/cloud-sim.example.yaml DEMO_EXTRA_PROFILES=""
demo_test_start
demo_good user-iphone "$DEMO_IPHONE" "$DEMO_PROFILE_USER" "$DEMO_ALICE"
demo_notifications
check_eq "the installed programs: enrolled and notified" \
	"$DEMO_FAILS $DEMO_ENROLLED $DEMO_NOTIFIED" "0 1 1"
check "the watcher the installed ndes-policy-exec ran is the installed one" \
	test "$(readlink "/proc/$(demo_pid watcher)/exe")" = /usr/libexec/ndes-linux/ndes-policy-watch
demo_stop_all

# ---- docs/deploy.md on the installed packages ------------------------------
guide_out=$(top_srcdir=$top_srcdir bash "$top_srcdir/tests/deploy-guide.sh" 2>&1)
guide_rc=$?
sed 's/^/# deploy-guide: /' <<<"$guide_out"
grep -q '^1\.\.0 # SKIP' <<<"$guide_out" && guide_rc=skipped
check_eq "docs/deploy.md followed literally on the installed packages (tests/deploy-guide.sh)" \
	"$guide_rc" 0

# ---- purge ------------------------------------------------------------------
purge_all
check_eq "dpkg --purge: no package of ours known to dpkg" "$(dpkg-query -W \
	-f='${db:Status-Abbrev} ${Package}\n' $PKGS 2>/dev/null | grep -v '^un ')" ""
# Every path the packages had is gone, but folders of the system (/., /lib
# as usrmerge's link) and those another package owns (/usr/bin, ...)
left=""
while IFS= read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ "$f" = /. ] && continue
	[ -d "$f" ] && { [ -L "$f" ] || dpkg -S "$f" >/dev/null 2>&1; } && continue
	left+="$f "
done <"$files"
check_eq "no file or folder of the packages left" "$left" ""
check_eq "nothing install made is left" "$(ls -d /etc/ndes /var/lib/ndes /run/ndes \
	/etc/systemd/system/*.wants/ndes-* /var/lib/systemd/deb-systemd-helper-enabled/ndes-* \
	/var/lib/systemd/deb-systemd-helper-enabled/*.wants/ndes-* /var/lib/systemd/deb-systemd-helper-masked/ndes-* \
	2>/dev/null)" ""
check "the journal catalog no longer has $catalog_id" \
	eval "! journalctl --list-catalog 2>/dev/null | grep -q '^$catalog_id'"
# Debian keeps system users on purge: files elsewhere may still be theirs.
check "the user ndes stays (it existed before: $user_before)" quiet getent passwd ndes
rm -f "$files"
echo "1..$tap_n"
[ "$tap_failed" = 0 ]
