#!/bin/sh
# The layers the build can see (DESIGN.md section 7, HACKING.md "Layers").
# Prints TAP.
#
# 1. Who may include whom (Tor's .may_include, as one table, MAY_INCLUDE):
#    a process folder (crp/, policy/, connector/, cloudsim/, and bench/, a
#    program of its own that reaches ndes-crpd through its sockets only)
#    includes its own headers and common/'s; common/ includes only common/.
#    Everyone may include the build's config.h and the policy module's
#    installed ABI header <ndes/policy.h> (policy/include/).  tests/ and
#    fuzz/ are not in the table: they include what they test.
# 2. No compilation has two headers of one name on its include path (the
#    source's own folder, then its -I flags as the configured Makefile has
#    them): whichever comes first would win, by search order alone.  Every
#    target of every Makefile.inc is looked at, tests and fuzzers included.
#    There is no allow-list: a clash found is a failure.
# 3. One name per header in the whole tree (tests/ and fuzz/ included): two
#    of one name are a clash waiting for the first target that puts both
#    folders on its include path.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
. "$top_srcdir/tests/lib/tap.sh"

# folder: the folders its files may include from (besides config.h and
# <ndes/policy.h>)
MAY_INCLUDE='
common: common
crp: crp common
policy: policy common
connector: connector common
cloudsim: cloudsim common
bench: bench common
devicesim: devicesim common'

# Header names that may stay twice in the tree for now, each until the one
# rename that ends it (none left).
ALLOW_SAME_NAME=

src=$(cd "$top_srcdir" && pwd -P)
bld=$(cd "$top_builddir" && pwd -P)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
folders=$(echo "$MAY_INCLUDE" | sed -n 's/^\([a-z]*\):.*/\1/p')

echo "1..$(($(echo "$folders" | wc -w) + 2))"

# The folder (first path component below $src) of a file, or "" when the
# file is outside the source tree.
folder_of() {
	case $1 in
	"$src"/*) rest=${1#"$src"/}; echo "${rest%%/*}" ;;
	*) echo "" ;;
	esac
}

# Where "name" (or <name>), included from the file at $2, lands: the path,
# or nothing when it is no header of ours (a system or library header).
resolve() {
	name=$1 from=$2 delim=$3
	case $name in
	ndes/*) [ -f "$src/policy/include/$name" ] && echo "$src/policy/include/$name"; return ;;
	esac
	if [ "$delim" = '"' ] && [ -f "$(dirname "$from")/$name" ]; then
		(cd "$(dirname "$from")/$(dirname "$name")" && echo "$(pwd -P)/${name##*/}")
		return
	fi
	for d in "$src/common" "$bld" "$bld/common"; do
		[ -f "$d/$name" ] && { echo "$d/$name"; return; }
	done
	# a header of another folder: its own name (or a path below $src)
	for f in "$src/$name" "$src"/*/"$name"; do
		[ -f "$f" ] && { (cd "$(dirname "$f")" && echo "$(pwd -P)/${f##*/}"); return; }
	done
}

close() { if [ "$1" = '<' ]; then echo '>'; else echo '"'; fi; }

# Rule 1 for one folder: prints "file:line: "name" is path" per breach.
breaches() {
	folder=$1 allowed=$2
	find "$src/$folder" -name '*.[ch]' | sort | while read -r file; do
		grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][^">]+[">]' "$file" |
		    sed -E 's/^([0-9]+):[^"<]*(["<])([^">]+)[">].*/\1 \2 \3/' |
		    while read -r line delim name; do
			to=$(resolve "$name" "$file" "$delim")
			[ -n "$to" ] || continue
			case $to in
			"$bld"/*) continue ;;		# config.h, generated files
			"$src"/policy/include/*) continue ;;	# the public ABI
			esac
			dest=$(folder_of "$to")
			case " $allowed " in
			*" $dest "*) ;;
			*) echo "${file#"$src"/}:$line: $delim$name$(close "$delim") is" \
			    "${to#"$src"/}" ;;
			esac
		done
	done
}

for folder in $folders; do
	allowed=$(echo "$MAY_INCLUDE" | sed -n "s/^$folder: //p")
	dirs=$(echo "$allowed" | sed 's|\([a-z]*\)|\1/|g; s| | and |')
	what="$folder/ includes only $dirs, config.h and <ndes/policy.h>"
	found=$(breaches "$folder" "$allowed")
	if [ -z "$found" ]; then
		ok "$what"
	else
		not_ok "$what"
		echo "$found" | sed 's/^/#   /'
	fi
done

# Rule 2.  Make prints, for every target, its C sources and the -I flags
# of their compile line (automake: DEFAULT_INCLUDES, INCLUDES, the target's
# CPPFLAGS or else AM_CPPFLAGS, CPPFLAGS, the target's CFLAGS, CFLAGS).
cat >"$tmp/dump.mk" <<'EOF'
layering-dump:
	@:$(foreach s,$(filter %_SOURCES,$(.VARIABLES)),$(info \
	    $(s:_SOURCES=) $(filter %.c,$($(s))) | $(filter -I%,$(DEFAULT_INCLUDES) $(INCLUDES) \
	    $(if $($(s:_SOURCES=)_CPPFLAGS),$($(s:_SOURCES=)_CPPFLAGS),$(AM_CPPFLAGS)) \
	    $(CPPFLAGS) $($(s:_SOURCES=)_CFLAGS) $(CFLAGS))))
EOF
if ! (cd "$bld" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s -f Makefile \
    -f "$tmp/dump.mk" layering-dump) >"$tmp/targets" 2>"$tmp/make.err" ||
    ! grep -q '^crp_ndes_crpd ' "$tmp/targets"; then
	: >"$tmp/targets"
fi

# One line per source file: the folders of its include path, in order.
while read -r target rest; do
	srcs=${rest%%|*}
	flags=${rest#*|}
	for s in $srcs; do
		path="$src/$(dirname "$s")"
		for f in $flags; do
			d=${f#-I}
			case $d in /*) ;; *) d="$bld/$d" ;; esac
			[ -d "$d" ] && path="$path $(cd "$d" && pwd -P)"
		done
		echo "$target ${s}|$path"
	done
done <"$tmp/targets" >"$tmp/paths"

# For each distinct include path: a header name found in two of its folders.
cut -d'|' -f2 "$tmp/paths" | sort -u | while read -r path; do
	seen=
	for d in $path; do
		case " $seen " in *" $d "*) continue ;; esac
		seen="$seen $d"
		for h in "$d"/*.h; do
			[ -f "$h" ] && echo "${h##*/} $d"
		done
	done | sort | awk -v path="$path" '
		$1 == last && $2 != lastdir { print $1 "|" lastdir "|" $2 "|" path }
		{ last = $1; lastdir = $2 }'
done | sort -u >"$tmp/clashes"

what="no two headers of one name on one include path ($(wc -l <"$tmp/paths") compilations)"
if [ ! -s "$tmp/targets" ]; then
	not_ok "no two headers of one name on one include path (make could not list the targets)"
	sed 's/^/#   /' "$tmp/make.err"
elif [ ! -s "$tmp/clashes" ]; then
	ok "$what"
else
	not_ok "$what"
	while IFS='|' read -r name a b path; do
		who=$(awk -F'|' -v p="$path" '$2 == p { split($1, t, " "); print t[2] }' \
		    "$tmp/paths" | head -3 | tr '\n' ' ')
		echo "#   $name: ${a#"$src"/}/$name and ${b#"$src"/}/$name are both on the" \
		    "include path of ${who% }"
	done <"$tmp/clashes"
fi

# Rule 3: one name per header in the whole tree, so that no new target can
# put two of one name on its path.  A name listed in ALLOW_SAME_NAME may stay
# twice until its rename; a listed name that no longer clashes fails too.
(cd "$src" && find common crp policy connector cloudsim bench tests fuzz -name '*.h') | sort |
    awk -F/ '{ n = $NF; if (n in f) print n " " f[n] " " $0; else f[n] = $0 }' >"$tmp/same"
stale=
for name in $ALLOW_SAME_NAME; do
	grep -q "^$name " "$tmp/same" || stale="$stale $name"
done
what="one header of each name in the tree${ALLOW_SAME_NAME:+ (allowed for now: $ALLOW_SAME_NAME)}"
while read -r name a b; do
	case " $ALLOW_SAME_NAME " in *" $name "*) continue ;; esac
	echo "#   $name is both $a and $b"
done <"$tmp/same" >"$tmp/same.bad"
if [ -s "$tmp/same.bad" ] || [ -n "$stale" ]; then
	not_ok "$what"
	cat "$tmp/same.bad"
	[ -z "$stale" ] || echo "#   no longer twice in the tree:$stale (delete it from ALLOW_SAME_NAME)"
else
	ok "$what"
fi
exit $tap_failed
