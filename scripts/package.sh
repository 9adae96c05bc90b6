#!/usr/bin/env bash
# Builds the Debian packages from debian/ (docs/packaging.md):
#   scripts/package.sh [--no-lintian] [OUTDIR]
# OUTDIR defaults to the folder above the source tree, where
# dpkg-buildpackage puts them.  The build runs in a copy of the source tree
# (tracked and untracked files, not what .gitignore names), so neither a
# developer's build/ nor an in-tree configure gets in its way.  The test suite
# is not run (DEB_BUILD_OPTIONS=nocheck); -j2 (parallel=2) unless
# DEB_BUILD_OPTIONS says otherwise.  lintian checks the packages: an error
# fails the build, warnings are printed (those left are listed with their
# reason in docs/packaging.md).
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
lintian=1
if [ "${1:-}" = --no-lintian ]; then lintian=0; shift; fi
outdir=${1:-$srcdir/..}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null ||
		{ echo "package.sh: $tool is missing (scripts/deps.sh installs it)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ndes-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/ndes-linux"
# The files of the tree as git sees them (a tarball's tree has no .git: all).
if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		xargs -0 cp -P --parents -t "$work/ndes-linux")
else
	(cd "$srcdir" && tar --exclude=./build -cf - .) | tar -C "$work/ndes-linux" -xf -
fi
[ -f "$work/ndes-linux/debian/control" ] ||
	{ echo "package.sh: no debian/ in $srcdir" >&2; exit 2; }

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=2}
start=$(date +%s)
(cd "$work/ndes-linux" && dpkg-buildpackage -us -uc -b)
echo "package.sh: built in $(($(date +%s) - start)) s" >&2

changes=$(ls "$work"/ndes-linux_*.changes)
if [ $lintian = 1 ] && command -v lintian >/dev/null; then
	# --fail-on error: warnings are reported, not fatal.
	lintian --fail-on error --no-tag-display-limit "$changes"
fi
# The files the .changes names, and the .changes itself.
for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]\{32\} [0-9]* [^ ]* [^ ]* //p' "$changes") \
	"$(basename "$changes")"; do
	mv -f "$work/$f" "$outdir/"
done
ls "$outdir"/*.deb
