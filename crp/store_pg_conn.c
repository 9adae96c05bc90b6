/* The PostgreSQL store's connection, its failures and its recovery
 * (store_pg.h). */
#include "store_pg.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "errmsg.h"
#include "events.h"
#include "lines.h"
#include "log.h"

/* Waits between attempts while the store cannot record: doubling from the
 * first to the last, so that an outage costs the database one attempt per
 * PG_RETRY_MAX_MS at most and a recovery is seen within that time. */
#define PG_RETRY_FIRST_MS 50
#define PG_RETRY_MAX_MS 2000

/* Keys a conninfo must not carry: the password goes in password_file, the
 * others have their own keys in store:. */
static const char *const pg_refused_keys[] = {
	"password", "passfile", "sslmode", "sslrootcert", "connect_timeout", NULL,
};

static char *
strdup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
pg_check_conninfo(struct crp_store_pg *s, const char *conninfo)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL;

	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		snprintf(s->error, sizeof(s->error), "store.conninfo: %s",
		    msg != NULL ? msg : "out of memory");
		PQfreemem(msg);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		for (size_t i = 0; pg_refused_keys[i] != NULL && o->val != NULL; i++) {
			if (strcmp(o->keyword, pg_refused_keys[i]) != 0)
				continue;
			snprintf(s->error, sizeof(s->error), "store.conninfo: it sets %s; %s",
			    o->keyword, strcmp(o->keyword, "password") == 0 ||
			    strcmp(o->keyword, "passfile") == 0 ? "give the password in "
			    "store.password_file (mode 0600), never in crpd.yaml" :
			    "set it with its own key under store:");
			PQconninfoFree(opts);
			return -1;
		}
	}
	PQconninfoFree(opts);
	return 0;
}

int
pg_params_set(struct crp_store_pg *s, const struct crp_store_pg_params *p)
{
	s->code = CRP_STORE_CODE_CONFIG;
	if (pg_check_conninfo(s, p->conninfo) == -1)
		return -1;
	s->conninfo = strdup(p->conninfo);
	s->password_file = strdup_or_null(p->password_file);
	s->sslmode = strdup(p->sslmode);
	s->sslrootcert = strdup_or_null(p->sslrootcert);
	s->connect_timeout = p->connect_timeout > 0 ? p->connect_timeout : 5;
	if (s->conninfo == NULL || s->sslmode == NULL ||
	    (p->password_file != NULL && s->password_file == NULL) ||
	    (p->sslrootcert != NULL && s->sslrootcert == NULL)) {
		snprintf(s->error, sizeof(s->error), "out of memory");
		return -1;
	}
	return 0;
}

/* The SQLSTATE a verbose message carries ("FATAL:  28P01: ..."), or "". */
static void
pg_message_sqlstate(const char *msg, char state[6])
{
	const char *p = strstr(msg, ":  ");

	state[0] = '\0';
	if (p == NULL || strlen(p + 3) < 6 || p[8] != ':')
		return;
	for (int i = 0; i < 5; i++)
		if ((p[3 + i] < '0' || p[3 + i] > '9') && (p[3 + i] < 'A' || p[3 + i] > 'Z'))
			return;
	memcpy(state, p + 3, 5);
	state[5] = '\0';
}

/* Poll the connection attempt until it is made, fails, or timeout_s passed. */
static void
pg_connect_poll(PGconn *conn, int64_t timeout_s, bool *timed_out)
{
	int64_t deadline = ndes_clock_ns(CLOCK_MONOTONIC) + timeout_s * 1000000000;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct pollfd pfd;
	int64_t left;

	*timed_out = false;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		left = (deadline - ndes_clock_ns(CLOCK_MONOTONIC)) / 1000000;
		if (left <= 0) {
			*timed_out = true;
			return;
		}
		pfd.fd = PQsocket(conn);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) == -1 && errno != EINTR)
			return;
		st = PQconnectPoll(conn);
	}
}

/* The connection, started with the parameters and the password. */
static PGconn *
pg_connect_start(struct crp_store_pg *s, const char *password)
{
	const char *keys[8], *vals[8];
	int n = 0;

	keys[n] = "dbname", vals[n++] = s->conninfo;
	keys[n] = "sslmode", vals[n++] = s->sslmode;
	keys[n] = "application_name", vals[n++] = "ndes-crpd";
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	if (password != NULL)
		keys[n] = "password", vals[n++] = password;
	if (s->sslrootcert != NULL)
		keys[n] = "sslrootcert", vals[n++] = s->sslrootcert;
	keys[n] = vals[n] = NULL;
	return PQconnectStartParams(keys, vals, 1);
}

/* Why the connection attempt failed, and its code. */
static void
pg_connect_failed(struct crp_store_pg *s, PGconn *conn, bool timed_out)
{
	char msg[PG_MESSAGE_MAX], state[6];

	if (conn == NULL) {
		pg_unavailable(s, NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE, "cannot connect: "
		    "out of memory");
		return;
	}
	pg_one_line(PQerrorMessage(conn), msg, sizeof(msg));
	pg_message_sqlstate(PQerrorMessage(conn), state);
	if (timed_out)
		pg_unavailable(s, NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE, "cannot connect: no "
		    "answer within connect_timeout (%llds)", (long long)s->connect_timeout);
	else if (strncmp(state, "28", 2) == 0 || PQconnectionNeedsPassword(conn))
		pg_unavailable(s, NDES_DIAG_CHALLENGE_STORE_AUTH_FAILED, "the database refused "
		    "the login: %s", msg[0] != '\0' ? msg : "a password is needed");
	else
		pg_unavailable(s, NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE, "cannot connect: %s",
		    msg);
}

/* The server must store crpd's UTF-8 text as it is. */
static int
pg_check_server(struct crp_store_pg *s)
{
	const char *enc = PQparameterStatus(s->conn, "server_encoding");

	if (enc != NULL && (strcmp(enc, "UTF8") == 0 || strcmp(enc, "SQL_ASCII") == 0))
		return 0;
	snprintf(s->error, sizeof(s->error), "the database's encoding is %s; create it with "
	    "ENCODING 'UTF8'", enc != NULL ? enc : "unknown");
	s->code = CRP_STORE_CODE_CONFIG;
	return -1;
}

static int
pg_read_password(struct crp_store_pg *s, char **password)
{
	char err[NDES_ERR_MAX];

	*password = NULL;
	if (s->password_file == NULL ||
	    ndes_secret_read(s->password_file, NDES_SECRET_PRIVATE, password, err,
	    sizeof(err)) == 0)
		return 0;
	pg_unavailable(s, CRP_STORE_CODE_CONFIG, "store.password_file: %s", err);
	return -1;
}

int
pg_connect(struct crp_store_pg *s, bool migrate)
{
	char *password;
	bool timed_out = false;
	PGconn *conn;

	pg_close(s);
	if (pg_read_password(s, &password) == -1)
		return -1;
	conn = pg_connect_start(s, password);
	ndes_secret_free(password);
	if (conn != NULL) {
		PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
		if (PQstatus(conn) != CONNECTION_BAD)
			pg_connect_poll(conn, s->connect_timeout, &timed_out);
	}
	if (conn == NULL || timed_out || PQstatus(conn) != CONNECTION_OK) {
		pg_connect_failed(s, conn, timed_out);
		PQfinish(conn);
		return -1;
	}
	PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
	s->conn = conn;
	if (pg_check_server(s) == -1 || (migrate && pg_schema_migrate(s) == -1) ||
	    pg_prepare(s) == -1) {
		char why[PG_MESSAGE_MAX];

		snprintf(why, sizeof(why), "%s", s->error);
		pg_unavailable(s, s->code, "%s", why);
		return -1;
	}
	return 0;
}

int
pg_ensure(struct crp_store_pg *s)
{
	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	if (ndes_clock_ns(CLOCK_MONOTONIC) < s->retry_at_ns) {
		snprintf(s->error, sizeof(s->error), "%s", s->reason);
		return -1;
	}
	return pg_connect(s, false);
}

void
pg_unavailable(struct crp_store_pg *s, uint32_t code, const char *fmt, ...)
{
	int64_t now = ndes_clock_ns(CLOCK_MONOTONIC), wait_ms;
	struct ndes_event_ctx ctx = { .detail = s->error };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	s->code = code;
	snprintf(s->reason, sizeof(s->reason), "%s", s->error);
	wait_ms = (int64_t)PG_RETRY_FIRST_MS << (s->failures < 6 ? s->failures : 6);
	s->retry_at_ns = now + (wait_ms < PG_RETRY_MAX_MS ? wait_ms : PG_RETRY_MAX_MS) * 1000000;
	s->failures++;
	if (s->begun)
		s->aborted = true;
	pg_close(s);
	if (s->starting)
		return;
	log_warnx("challenge store: %s", s->error);
	if (s->down)
		return;
	s->down = true;
	s->down_since_ns = now;
	log_warnx("challenge store: cannot record; every verification is refused until it "
	    "can (trying again by itself)");
	ndes_event_emit(NDES_EV_CRP_STORE_UNAVAILABLE, code != CRP_STORE_CODE_CONFIG ? code :
	    NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE, &ctx);
}

void
pg_failed_result(struct crp_store_pg *s, const PGresult *res, const char *what)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char msg[PG_MESSAGE_MAX];

	pg_one_line(res != NULL && PQresultErrorMessage(res)[0] != '\0' ?
	    PQresultErrorMessage(res) : s->conn != NULL ? PQerrorMessage(s->conn) :
	    "no connection", msg, sizeof(msg));
	if (s->begun)
		s->aborted = true;
	if (state != NULL && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0)) {
		/* another node's transaction won a conflict: nothing is wrong
		 * with the store, this batch is refused and may be tried again */
		snprintf(s->error, sizeof(s->error), "%s: %.300s", what, msg);
		s->code = NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE;
		log_warnx("challenge store: %s", s->error);
		return;
	}
	pg_unavailable(s, state != NULL && strncmp(state, "28", 2) == 0 ?
	    NDES_DIAG_CHALLENGE_STORE_AUTH_FAILED : NDES_DIAG_CHALLENGE_STORE_UNAVAILABLE,
	    "%s: %s", what, msg);
}

void
pg_recorded(struct crp_store_pg *s)
{
	double secs;
	char detail[128];
	struct ndes_event_ctx ctx = { .detail = detail };

	s->failures = 0;
	s->retry_at_ns = 0;
	if (!s->down)
		return;
	s->down = false;
	secs = (double)(ndes_clock_ns(CLOCK_MONOTONIC) - s->down_since_ns) / 1e9;
	snprintf(detail, sizeof(detail), "the challenge store records again after %.1f s "
	    "without", secs);
	log_info("challenge store: records again after %.1f s without", secs);
	ndes_event_emit(NDES_EV_CRP_STORE_AVAILABLE, NDES_DIAG_SUCCESS, &ctx);
}

void
pg_close(struct crp_store_pg *s)
{
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	s->begun = s->pipelined = false;
	s->nsent = 0;
}
