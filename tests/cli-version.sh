#!/bin/sh
# Part of one command-line convention for every program (issue 19, item 8):
# each answers --version with "NAME VERSION" on stdout and exit 0, and
# --help with its usage on stdout, naming --version, and exit 0.  TAP.
set -u
builddir=${top_builddir:-.}
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$builddir/config.h")
programs="crp/ndes-crpd connector/ndes-connectord connector/ndes-connector
cloudsim/ndes-cloud-sim policy/ndes-policy-exec policy/ndes-policy-watch
devicesim/ndes-device-sim"
echo "1..14"
n=0
check() {
	n=$((n + 1))
	if [ "$1" = "$2" ]; then echo "ok $n - $3"; else
		echo "not ok $n - $3"; echo "#   got: $1"; echo "#   expected: $2"; fi
}
for p in $programs; do
	name=${p#*/}
	out=$("$builddir/$p" --version 2>&1); rc=$?
	check "$rc:$out" "0:$name $version" "$name --version"
	out=$("$builddir/$p" --help 2>/dev/null); rc=$?
	case $out in *usage:*--version*) has=yes ;; *) has=no ;; esac
	check "$rc:$has" "0:yes" "$name --help: usage on stdout, naming --version"
done
