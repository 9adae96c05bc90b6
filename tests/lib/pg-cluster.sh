#!/bin/sh
# A real PostgreSQL (Debian's postgresql package) for the tests and the
# benchmark, in a folder of its own: initdb and pg_ctl run as an unprivileged
# user (nobody when called as root: initdb refuses root), the server listens
# on a Unix socket in that folder only (or also on 127.0.0.1 when started
# with listen_addresses=127.0.0.1 port=N, TLS only there), and its
# superuser is "admin" (trust on the socket; every other role logs in with
# a SCRAM password).
#
#   pg-cluster.sh bindir             the server's binaries; exit 77 and the
#                                    reason on stderr when there are none
#   pg-cluster.sh start DIR [OPT..]  initdb DIR/pg once, then start it; OPT
#                                    are "name=value" server settings for
#                                    this start.  Prints the admin's conninfo
#   pg-cluster.sh stop DIR [MODE]    pg_ctl stop -m MODE (default fast)
#   pg-cluster.sh kill DIR           SIGKILL the postmaster (a crash)
#   pg-cluster.sh sql DIR SQL        run SQL as admin (psql -tA); its output
#   pg-cluster.sh role DIR NAME PASSWORD
#                                    a login role and a database NAME it owns
set -u

pg_bindir() {
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && {
			echo "$d"
			return 0
		}
	done
	echo "no PostgreSQL server here (/usr/lib/postgresql/*/bin/initdb): install the Debian package postgresql (scripts/deps.sh)" >&2
	return 77
}

# Run a server binary as the unprivileged owner of DIR/pg.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

pg_init() { # DIR
	mkdir -p "$1/pg" || return 1
	[ "$(id -u)" -eq 0 ] && chown nobody "$1/pg"
	chmod 0700 "$1/pg"
	[ -f "$1/pg/data/PG_VERSION" ] && return 0
	as_owner "$bin/initdb" -D "$1/pg/data" -U admin -A trust -E UTF8 --locale=C -N \
		>"$1/pg/initdb.log" 2>&1 || {
		cat "$1/pg/initdb.log" >&2
		return 1
	}
	cat >"$1/pg/data/pg_hba.conf" <<-EOF
		local all admin trust
		local all all scram-sha-256
		hostssl all all 127.0.0.1/32 scram-sha-256
	EOF
	cat >>"$1/pg/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$1/pg'
		port = 5432
		max_connections = 60
		shared_buffers = 32MB
		password_encryption = scram-sha-256
	EOF
}

pg_start() { # DIR [OPT...]
	dir=$1
	shift
	opts=""
	for o in "$@"; do
		opts="$opts -c $o"
	done
	pg_init "$dir" || return 1
	as_owner "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 30 \
		-o "$opts" start >/dev/null 2>&1 || {
		tail -n 20 "$dir/pg/server.log" >&2
		return 1
	}
	echo "host=$dir/pg port=5432 user=admin dbname=postgres"
}

pg_sql() { # DIR SQL
	psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$1/pg" -p 5432 -U admin -d postgres -c "$2"
}

cmd=${1:-}
[ -n "$cmd" ] && shift
bin=$(pg_bindir) || exit $?
case $cmd in
bindir) echo "$bin" ;;
start) pg_start "$@" ;;
stop) as_owner "$bin/pg_ctl" -D "$1/pg/data" -m "${2:-fast}" -w -t 30 stop >/dev/null ;;
kill) kill -9 "$(head -n 1 "$1/pg/data/postmaster.pid")" ;;
sql) pg_sql "$1" "$2" ;;
role)
	pg_sql "$1" "CREATE ROLE $2 LOGIN PASSWORD '$3'" >/dev/null &&
		pg_sql "$1" "CREATE DATABASE $2 OWNER $2 ENCODING 'UTF8'" >/dev/null
	;;
*)
	echo "usage: pg-cluster.sh bindir | start DIR [OPT..] | stop DIR [MODE] | kill DIR | sql DIR SQL | role DIR NAME PASSWORD" >&2
	exit 2
	;;
esac
