#!/bin/bash
# A working journald for the tests.  Containers (CI) run no systemd as PID 1,
# so when no journald answers on /run/systemd/journal/socket, start
# /lib/systemd/systemd-journald in the background (root only) and leave it
# running for the next tests.
#
# Run:    bash tests/lib/journal.sh ensure   exit 0: ready, 77: impossible (skip), 1: failed
#         bash tests/lib/journal.sh sync     write pending entries out (journalctl --sync)
# Source: . tests/lib/journal.sh; ndes_journal_ensure || ...
#
# Environment: JOURNALCTL (default journalctl), NDES_JOURNALD (default
# /lib/systemd/systemd-journald).

NDES_JOURNAL_SOCKET=/run/systemd/journal/socket
NDES_JOURNAL_LOCK=/run/ndes-test-journald.lock

ndes_journal_alive() {
	[ -S "$NDES_JOURNAL_SOCKET" ] || return 1
	# journald answers on its varlink socket; only root may ask it to sync,
	# so for anybody else an existing socket has to do.
	[ "$(id -u)" -eq 0 ] || return 0
	"${JOURNALCTL:-journalctl}" --sync >/dev/null 2>&1
}

# Start journald detached from the caller: no inherited descriptor (a test
# harness waiting for EOF on a pipe would hang), a session of its own, no
# rate limit (the tests emit bursts).
ndes_journal_start() {
	local journald=${NDES_JOURNALD:-/lib/systemd/systemd-journald}

	[ -x "$journald" ] || { echo "journal: $journald not found" >&2; return 77; }
	mkdir -p /run/systemd/journal /run/systemd/journald.conf.d || return 1
	printf '[Journal]\nRateLimitIntervalSec=0\n' >/run/systemd/journald.conf.d/ndes-tests.conf
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		cd / && exec setsid "$journald" </dev/null >/dev/null 2>&1
	) &
}

ndes_journal_wait() {
	local i

	for i in $(seq 1 100); do
		ndes_journal_alive && return 0
		sleep 0.1
	done
	return 1
}

ndes_journal_ensure() {
	ndes_journal_alive && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "journal: no journald and not root, cannot start one" >&2
		return 77
	fi
	(
		if command -v flock >/dev/null 2>&1; then
			flock -w 30 9 || exit 1
		fi
		ndes_journal_alive && exit 0
		ndes_journal_start || exit $?
		ndes_journal_wait || { echo "journal: journald did not come up" >&2; exit 1; }
	) 9>"$NDES_JOURNAL_LOCK"
}

ndes_journal_sync() {
	"${JOURNALCTL:-journalctl}" --sync >/dev/null 2>&1
}

case ${0##*/} in
journal.sh)
	case ${1-} in
	ensure) ndes_journal_ensure ;;
	sync) ndes_journal_sync ;;
	*) echo "usage: journal.sh ensure|sync" >&2; exit 2 ;;
	esac
	;;
esac
