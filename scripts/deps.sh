#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, only those missing.
NDES_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libssl-dev openssl libevent-dev libyaml-dev libsystemd-dev libjansson-dev
	libsqlite3-dev sqlite3 libcriterion-dev libcurl4-openssl-dev
	libpq-dev postgresql
	systemd locales scep procps iproute2 curl ca-certificates valgrind jq
	# the Debian packages (scripts/package.sh, tests/package-install.sh)
	dpkg-dev debhelper dh-autoreconf lintian
	prometheus	# promtool: the metrics tests validate what the daemons serve
)

# Only for scripts/fuzz.sh: clang brings libFuzzer and the sanitizer runtimes.
NDES_FUZZ_PACKAGES=(clang)

# PACKAGE...: those not installed, one a line.
ndes_missing_packages() {
	local pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$pkg"
	done
}

# PACKAGE...: install those missing.
ndes_apt_install() {
	local missing sudo=""
	missing=$(ndes_missing_packages "$@")
	[ -n "$missing" ] || return 0
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "deps: installing:" $missing >&2
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
}

ndes_install_deps() {
	ndes_apt_install "${NDES_PACKAGES[@]}"
}

ndes_install_fuzz_deps() {
	ndes_apt_install "${NDES_FUZZ_PACKAGES[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	ndes_install_deps
fi
