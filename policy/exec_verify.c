/* ndes-policy-exec verify mode: the -csrverifierexec hook of micromdm's
 * scepserver.  The DER PKCS#10 comes on stdin; the answer is the exit
 * status (0 allowed, anything else refused).  scepserver passes no
 * arguments and discards our stderr, so the refusal line is also sent to
 * journald.  Newer scepservers put the SCEP transaction ID in the
 * environment (TRANSACTIONID); 2.1.0 does not: ndes-crpd then names the
 * transaction by the SHA-256 of the request's public key and says so in
 * its reply.  This path costs what an exec costs: it links libyaml and
 * libc only (no OpenSSL, no libsystemd: exec_log.c loads libsystemd for a
 * refusal, exec_keyid.c libcrypto when ndes-crpd did not answer), reads the
 * request, makes one round trip to ndes-crpd. */
#include "exec.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "events.h"

static int
read_more(int fd, uint8_t *buf, size_t room, int64_t deadline, size_t *got)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - policy_now_ms();
	ssize_t n;

	if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	do
		n = read(fd, buf, room);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	*got = (size_t)n;
	return 0;
}

int
exec_read_all(int fd, size_t max, int timeout_ms, uint8_t **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	int64_t deadline = policy_now_ms() + timeout_ms;
	uint8_t *buf = malloc(max + 1);
	size_t len = 0, got = 1;

	if (buf == NULL) {
		ndes_err_set(err, errlen, "out of memory");
		return -1;
	}
	while (got > 0 && len <= max) {
		if (read_more(fd, buf + len, max + 1 - len, deadline, &got) == -1) {
			if (errno == ETIMEDOUT)
				ndes_err_set(err, errlen,
				    "timed out reading the request after %d ms", timeout_ms);
			else
				ndes_err_set(err, errlen, "reading the request: %s",
				    strerror(errno));
			free(buf);
			return -1;
		}
		len += got;
	}
	if (len == 0 || len > max) {
		ndes_err_set(err, errlen, len == 0 ? "no request on stdin" :
		    "request larger than %zu bytes", max);
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* One line on stderr (and journald): "refused: <why>". */
static int
refuse(const char *txn, uint32_t code, const char *why)
{
	char cfield[32], tfield[300];
	const char *fields[3] = { cfield, NULL, NULL };

	snprintf(cfield, sizeof(cfield), "NDES_DIAG_CODE=0x%08X", code);
	if (txn != NULL && txn[0] != '\0') {
		snprintf(tfield, sizeof(tfield), "NDES_TRANSACTION_ID=%s", txn);
		fields[1] = tfield;
	}
	exec_log(LOG_WARNING, fields, "refused: %s", why);
	return EXEC_REFUSED;
}

/* The exit status for the module's answer. */
static int
exec_verdict(int rc, const struct ndes_policy_verdict *v, const char *txn)
{
	char why[NDES_ERR_MAX];
	const char *name;

	if (rc == NDES_POLICY_OK && v->verified)
		return EXEC_ALLOWED;
	if (rc != NDES_POLICY_OK)
		return refuse(txn, v->reason_code, v->reason);
	name = ndes_diag_name(v->reason_code);
	ndes_err_set(why, sizeof(why), "0x%08X %s: %s", v->reason_code,
	    name != NULL ? name : "(unknown code)", v->reason);
	return refuse(txn, v->reason_code, why);
}

int
exec_verify_main(const struct policy_cfg *cfg)
{
	struct ndes_policy *pol;
	struct ndes_policy_verdict v;
	const char *txn = getenv("TRANSACTIONID");
	char txnbuf[256];
	uint8_t *csr;
	size_t len;
	char err[NDES_ERR_MAX];
	int rc;

	/* A last resort if anything below hangs: SIGALRM ends the process,
	 * which the SCEP server takes as a refusal. */
	alarm((unsigned)cfg->timeout * 2 + 2);
	if (exec_read_all(STDIN_FILENO, cfg->exec.max_request, (int)cfg->timeout * 1000, &csr,
	    &len, err, sizeof(err)) == -1)
		return refuse(txn, NDES_POLICY_CODE_UNKNOWN_ERROR, err);
	if (policy_new(cfg, &pol, err, sizeof(err)) != NDES_POLICY_OK) {
		free(csr);
		return refuse(txn, NDES_POLICY_CODE_UNKNOWN_ERROR, err);
	}
	policy_set_log(pol, exec_log_module, NULL);
	txnbuf[0] = '\0';
	rc = policy_verify_txn(pol, csr, len, NULL, 0, NULL, txn, &v, txnbuf, sizeof(txnbuf));
	policy_free(pol);
	if (rc != NDES_POLICY_OK && (txn == NULL || txn[0] == '\0') &&
	    exec_key_txn(csr, len, txnbuf, sizeof(txnbuf)) == -1)
		txnbuf[0] = '\0';
	free(csr);
	return exec_verdict(rc, &v, txnbuf[0] != '\0' ? txnbuf : txn);
}
