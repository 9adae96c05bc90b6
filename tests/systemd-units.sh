#!/bin/sh
# The systemd units, sysusers.d and tmpfiles.d files (docs/systemd.md):
# systemd-analyze verify without a warning, systemd-analyze security below a
# bound, and the folders the daemons expect made with the right owner/mode.
# TAP.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
# The exposure bound, in systemd-analyze's tenths (25 = 2.5).
bound=25
units="ndes-crpd ndes-connectord"
daemon_ndes_crpd=crp/ndes-crpd
daemon_ndes_connectord=connector/ndes-connectord

echo "1..14"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do echo "ok $i # skip no systemd-analyze"; done
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sbin" "$tmp/bin" "$tmp/units" "$tmp/man/man8" "$tmp/root/etc"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }

# Test copies of the units, made with the same substitution as etc/Makefile.inc
# but pointing at the built daemons (verify wants ExecStart= to exist), and the
# man pages their Documentation= names.
for u in $units; do
	eval "bin=\$daemon_$(echo "$u" | tr - _)"
	ln -s "$builddir/$bin" "$tmp/sbin/$u"
	sed -e "s|@sbindir[@]|$tmp/sbin|g" -e "s|@sysconfdir[@]|/etc|g" \
	    "$srcdir/etc/systemd/$u.service.in" >"$tmp/units/$u.service"
done
for m in "$builddir"/man/*.8; do ln -s "$m" "$tmp/man/man8/"; done

# 1-2: the units make built name the configured paths, nothing left over.
for u in $units; do
	f="$builddir/etc/systemd/$u.service"
	exp="ExecStart=${sbindir:-/usr/local/sbin}/$u --config ${sysconfdir:-/usr/local/etc}/ndes/"
	if [ -f "$f" ] && ! grep -q '@[a-z]*@' "$f" && grep -q "^$exp" "$f"; then
		ok "$u.service: built with $exp..."
	else
		not_ok "$u.service: built with $exp..."
		sed 's/^/# /' "$f" 2>&1
	fi
done

# verify UNIT LABEL: systemd-analyze verify of $tmp/units/UNIT.service, no output at all
verify() {
	out=$(cd "$tmp/units" && MANPATH="$tmp/man" systemd-analyze verify "./$1.service" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
	[ $rc = 0 ] && [ -z "$out" ]
	check $? "$2: systemd-analyze verify has no warning"
}
# 3-4: systemd-analyze verify, no output at all.
for u in $units; do
	verify "$u" "$u.service"
done

# 5-8: systemd-analyze security: the score is printed and under the bound.
for u in $units; do
	out=$(cd "$tmp/units" && systemd-analyze security --offline=true --no-pager \
	    --threshold=$bound "./$u.service" 2>&1)
	rc=$?
	score=$(echo "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	echo "$out" | grep '^✗' | sed 's/^/# /'
	echo "# $u.service: overall exposure level $score (bound $bound/10)"
	[ -n "$score" ]
	check $? "$u.service: systemd-analyze security gives a score ($score)"
	[ $rc = 0 ] && awk -v s="$score" -v b="$bound" 'BEGIN { exit !(s * 10 <= b) }'
	check $? "$u.service: exposure $score <= $bound/10"
done

# 9: the units share their folders and keep /run/ndes when one stops.
ok_dirs=0
for u in $units; do
	for line in "StateDirectory=ndes" "RuntimeDirectory=ndes" "RuntimeDirectoryPreserve=yes" \
	    "StateDirectoryMode=0750" "RuntimeDirectoryMode=0750" "User=ndes" "Type=notify" \
	    "WatchdogSec=30s" "UMask=0077" "LimitNOFILE=65536"; do
		grep -qx "$line" "$tmp/units/$u.service" || { echo "# $u: no $line"; ok_dirs=1; }
	done
done
check $ok_dirs "both units: same user, folders, Type=notify, watchdog, LimitNOFILE"

# 10: sysusers.d makes user and group ndes.
systemd-sysusers --root="$tmp/root" "$srcdir/etc/sysusers.d/ndes.conf" >/dev/null 2>&1 &&
    grep -q '^ndes:x:[0-9]*:[0-9]*:.*:/var/lib/ndes:' "$tmp/root/etc/passwd" &&
    grep -q '^ndes:x:[0-9]*:' "$tmp/root/etc/group"
check $? "sysusers.d/ndes.conf makes user and group ndes"

# 11-12: tmpfiles.d makes /run/ndes and /var/lib/ndes 0750 ndes:ndes.
if [ "$(id -u)" != 0 ]; then
	ok "/run/ndes # skip not root (chown)"
	ok "/var/lib/ndes # skip not root (chown)"
	exit 0
fi
uid=$(sed -n 's/^ndes:x:\([0-9]*\):.*/\1/p' "$tmp/root/etc/passwd")
gid=$(sed -n 's/^ndes:x:\([0-9]*\):.*/\1/p' "$tmp/root/etc/group")
systemd-tmpfiles --root="$tmp/root" --create "$srcdir/etc/tmpfiles.d/ndes.conf" >/dev/null 2>&1
for d in /run/ndes /var/lib/ndes; do
	got=$(stat -c '%a %u %g' "$tmp/root$d" 2>&1)
	[ "$got" = "750 $uid $gid" ]
	check $? "tmpfiles.d/ndes.conf makes $d 0750 ndes:ndes ($got)"
done

# 13-14: the example units for micromdm's scepserver and the depot watcher
# (docs/deploy.md): systemd-analyze verify, no output at all (it wants
# scepserver installed: Debian package scep).
ln -s "$builddir/policy/ndes-policy-exec" "$tmp/bin/ndes-policy-exec"
for u in ndes-scepserver ndes-policy-watch; do
	if [ "$u" = ndes-scepserver ] && [ ! -x /usr/bin/scepserver ]; then
		n=$((n + 1)); echo "ok $n # skip $u.service: no /usr/bin/scepserver"; continue
	fi
	sed -e "s|@bindir[@]|$tmp/bin|g" -e "s|@sysconfdir[@]|/etc|g" \
	    "$srcdir/etc/systemd/$u.service.in" >"$tmp/units/$u.service"
	verify "$u" "$u.service (example)"
done
