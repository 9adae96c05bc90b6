#!/bin/sh
# The man pages: each formats without a warning (groff -ww, man --warnings),
# and every option a program's --help prints is documented in its page.  TAP.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
# page  program (built, relative to builddir; "-" for none)
pages="ndes-crpd.8:crp/ndes-crpd
ndes-connectord.8:connector/ndes-connectord
ndes-connector.8:connector/ndes-connector
ndes-cloud-sim.1:cloudsim/ndes-cloud-sim
ndes-device-sim.1:devicesim/ndes-device-sim
ndes-policy-exec.8:policy/ndes-policy-exec
ndes_policy.3:-"

echo "1..25"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }
have_groff=0; command -v groff >/dev/null 2>&1 && have_groff=1
have_man=0; command -v man >/dev/null 2>&1 && have_man=1

for entry in $pages; do
	page=${entry%%:*}
	prog=${entry#*:}
	f="$builddir/man/$page"
	# groff: every warning category, no output.
	if [ $have_groff = 1 ]; then
		out=$(groff -man -ww -z "$f" 2>&1)
		[ -n "$out" ] && echo "$out" | sed 's/^/# /'
		[ -z "$out" ]
		check $? "$page: groff -man -ww has no warning"
	else
		ok "$page # skip no groff (Debian: groff-base)"
	fi
	# man-db: the page as a reader gets it.
	if [ $have_man = 1 ]; then
		out=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		[ -n "$out" ] && echo "$out" | sed 's/^/# /'
		[ -z "$out" ] && grep -q '^\.SH NAME' "$f"
		check $? "$page: man --warnings -l has no warning"
	else
		ok "$page # skip no man (Debian: man-db)"
	fi
	# every --option of --help is in the page (its source, \- read as -).
	[ "$prog" = - ] && continue
	if [ ! -x "$builddir/$prog" ]; then
		ok "$page: options # skip $prog not built"
		continue
	fi
	opts=$("$builddir/$prog" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
	text=$(sed 's/\\-/-/g' "$f")
	missing=
	for o in $opts; do
		printf '%s\n' "$text" | grep -q -e "$o\\([^a-z-]\\|\$\\)" || missing="$missing $o"
	done
	[ -n "$opts" ] && [ -z "$missing" ]
	check $? "$page: documents $(echo $opts | wc -w) options of $prog --help${missing:+ (missing:$missing)}"
done

# The page the unit and the README point to exist for every program installed.
for p in ndes-crpd ndes-connectord ndes-connector ndes-policy-exec; do
	[ -f "$builddir/man/$p.8" ] || echo "# no man/$p.8"
done
[ -f "$builddir/man/ndes-crpd.8" ] && [ -f "$builddir/man/ndes-connectord.8" ] &&
    [ -f "$builddir/man/ndes-connector.8" ] && [ -f "$builddir/man/ndes-policy-exec.8" ] &&
    [ -f "$builddir/man/ndes-cloud-sim.1" ] && [ -f "$builddir/man/ndes_policy.3" ] &&
    [ -f "$builddir/man/ndes-device-sim.1" ]
check $? "a page for every installed program and the module"

# The default configuration a program's --help names (the configured
# sysconfdir) is the one its page names: both are made at build time.
for entry in ndes-crpd.8:crp/ndes-crpd ndes-connectord.8:connector/ndes-connectord \
	ndes-connector.8:connector/ndes-connector ndes-policy-exec.8:policy/ndes-policy-exec; do
	page=${entry%%:*}
	prog=${entry#*:}
	if [ ! -x "$builddir/$prog" ]; then
		ok "$page: default configuration # skip $prog not built"
		continue
	fi
	conf=$("$builddir/$prog" --help 2>&1 | grep -o '/[^ ]*/ndes/[a-z-]*\.yaml' | head -n 1)
	[ -n "$conf" ] && sed 's/\\-/-/g' "$builddir/man/$page" | grep -qF "$conf"
	check $? "$page: names the default configuration of $prog --help (${conf:-none})"
done
