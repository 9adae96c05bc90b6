#!/usr/bin/env bash
# Which files of one process folder call which, and the circles among them.
#   scripts/call-circles.sh BUILDDIR FOLDER     e.g. scripts/call-circles.sh build crp
# Reads the compiled objects (nm): file A calls file B when A's object uses
# a global symbol B's object defines.  Prints each file's callees, which
# headers of FOLDER each .c includes (and how many include each), and the
# circles: the groups of files that reach each other (strongly connected
# components of two or more files).  Exit status 1 when there is a circle.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BUILDDIR FOLDER" >&2; exit 2; }
build=$1 folder=$2 src=$2

# object file -> source name (libtool: dir/libx_la-name.o, dir/prog-name.o)
rc=0
objs=$(find "$build/$folder" "$build/$folder/.libs" -maxdepth 1 -name "*.o" 2>/dev/null | sort)
[ -n "$objs" ] || { echo "$0: no objects in $build/$folder (build first)" >&2; exit 2; }
for o in $objs; do
	f=$(basename "$o" .o); f=${f#*-}
	[ -f "$src/$f.c" ] || continue		# left from a file since removed
	nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 { print "D", $3, f }'
	nm -u "$o" | awk -v f="$f" '{ print "U", $NF, f }'
done | awk '
	$1 == "D" { def[$2] = $3; files[$3] = 1; next }
	{ use[NR] = $3 " " $2; files[$3] = 1 }
	END {
		for (i in use) {
			split(use[i], u, " ")
			if ((u[2] in def) && def[u[2]] != u[1])
				edge[u[1] "," def[u[2]]] = 1
		}
		n = 0
		for (f in files) name[++n] = f
		for (i = 1; i <= n; i++) for (j = 1; j <= n; j++)
			reach[i, j] = (name[i] "," name[j]) in edge
		for (k = 1; k <= n; k++) for (i = 1; i <= n; i++) if (reach[i, k])
			for (j = 1; j <= n; j++) if (reach[k, j]) reach[i, j] = 1
		for (i = 1; i <= n; i++) {
			line = ""
			for (j = 1; j <= n; j++) if ((name[i] "," name[j]) in edge) line = line " " name[j]
			print "calls: " name[i] ".c ->" (line == "" ? " (none)" : line) | "sort"
		}
		close("sort")
		circles = 0
		for (i = 1; i <= n; i++) {
			if (seen[i]) continue
			line = name[i]; m = 1
			for (j = i + 1; j <= n; j++) if (reach[i, j] && reach[j, i]) {
				line = line " " name[j]; seen[j] = 1; m++
			}
			if (m > 1) { print "circle of " m ": " line; circles++ }
		}
		print circles " circle(s)"
		exit circles > 0
	}' || rc=$?
echo "includes of $folder/*.h, by file:"
for c in "$src"/*.c; do
	hs=""
	for h in $(sed -n 's/^#include "\([^"]*\.h\)".*/\1/p' "$c"); do
		if [ -f "$src/$h" ]; then hs="$hs $h"; fi
	done
	echo "  $(basename "$c"):${hs:- (none)}"
done
echo "included by how many .c and .h files of $folder:"
for h in "$src"/*.h; do
	n=$(grep -l "^#include \"$(basename "$h")\"" "$src"/*.c "$src"/*.h | wc -l)
	echo "  $n $(basename "$h")"
done | sort -k1,1nr -k2
exit $rc
