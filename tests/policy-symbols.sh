#!/bin/sh
# What ndes_policy.so shows a host that loads it: exactly one exported
# symbol, no dependency but libyaml and libc, no reference to stdout or to
# anything that ends or signals a process; and the pkg-config file that
# tells C SCEP servers where the header and the module are.  Prints TAP.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"

so=$top_builddir/policy/.libs/ndes_policy.so
pc=$top_builddir/policy/ndes-policy.pc
n=0
check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi
}

echo "1..6"

exported=$(nm -D --defined-only "$so" | awk '{ print $3 }')
check "the only exported symbol is ndes_policy_entry (got: $(echo $exported))" \
	test "$exported" = ndes_policy_entry

# (a sanitizer build adds its runtimes)
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
	grep -v -e '^libasan' -e '^libubsan' -e '^libstdc++' -e '^libm\.' -e '^libgcc_s' | sort |
	tr '\n' ' ')
check "it needs libyaml and libc only (got: $needed)" \
	test "$needed" = "libc.so.6 libyaml-0.so.2 "

undef=$(nm -D --undefined-only "$so" | awk '{ print $2 }' | sed 's/@.*//')
bad=
for sym in stdout printf puts putchar vprintf exit _exit _Exit abort raise kill signal \
    sigaction __assert_fail err errx; do
	echo "$undef" | grep -qx "$sym" && bad="$bad $sym"
done
check "no reference to stdout, exit, abort or signals (found:$bad)" test -z "$bad"

check "ndes-policy.pc names the include folder" \
	grep -qx 'Cflags: -I${includedir}' "$pc"
check "ndes-policy.pc names the module folder and path" \
	sh -c "grep -qx 'moduledir=\${libdir}/ndes-linux' '$pc' &&
	    grep -qx 'module=\${moduledir}/ndes_policy.so' '$pc'"
if command -v pkg-config >/dev/null 2>&1; then
	mod=$(PKG_CONFIG_PATH=$top_builddir/policy pkg-config --variable=module ndes-policy)
	libdir=$(PKG_CONFIG_PATH=$top_builddir/policy pkg-config --variable=libdir ndes-policy)
	check "pkg-config --variable=module ndes-policy (got: $mod)" \
		test "$mod" = "$libdir/ndes-linux/ndes_policy.so"
else
	echo "ok 6 # SKIP pkg-config not installed"
fi
