/* ndes-policy-exec watch-depot: micromdm's scepserver has no post-issuance
 * hook, so this follows its depot folder (inotify) instead.  Each new
 * certificate file is sent to ndes-crpd as a NOTIFY Success carrying the
 * certificate (no challenge, no transaction ID: ndes-crpd finds the
 * verified request by the certificate's public key).  Certificates that
 * scepserver revokes on re-enrollment (index.txt lines turned from V to R)
 * are reported in the log and journald, and told apart from revocations by
 * others (watch_reenrolled); ndes-crpd has no message for them.
 * What was handled is kept in a state file (exec_state.c): the depot's
 * contents at the very first start are taken as handled, and a restart
 * catches up with what was issued while the watcher was stopped. */
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include "crypto.h"

struct watch {
	struct ndes_policy	*pol;
	struct exec_state	*st;
	char			*depot;		/* real path */
	int			 ifd;		/* inotify */
	int			 sfd;		/* signalfd */
	char			**pending;	/* certificates ndes-crpd has not taken yet */
	size_t			 npending;
	int			 retry_ms;
};

static bool
pending_has(const struct watch *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->npending; i++)
		if (strcmp(w->pending[i], name) == 0)
			return true;
	return false;
}

static void
pending_add(struct watch *w, const char *name)
{
	char **grown;

	if (pending_has(w, name))
		return;
	if ((grown = realloc(w->pending, (w->npending + 1) * sizeof(*grown))) == NULL)
		return;
	w->pending = grown;
	if ((w->pending[w->npending] = strdup(name)) != NULL)
		w->npending++;
}

static void
pending_remove(struct watch *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->npending; i++)
		if (strcmp(w->pending[i], name) == 0) {
			free(w->pending[i]);
			w->pending[i] = w->pending[--w->npending];
			return;
		}
}

/* Facts about a certificate for the log and journald fields. */
struct cert_facts {
	char serial[NDES_CRYPTO_HEX_MAX];
	char sha1[NDES_CRYPTO_HEX_MAX];
	char pubkey[NDES_CRYPTO_HEX_MAX];
	char *subject;
	uint8_t *der;
	size_t len;
};

static int
cert_facts(const char *path, struct cert_facts *cf, char *err, size_t errlen)
{
	X509 *x = ndes_crypto_load_cert(path, err, errlen);
	int rc = -1;

	memset(cf, 0, sizeof(*cf));
	if (x == NULL)
		return -1;
	if (ndes_crypto_cert_to_der(x, &cf->der, &cf->len) == 0 &&
	    ndes_crypto_serial_hex(x, cf->serial, sizeof(cf->serial)) == 0 &&
	    ndes_crypto_thumbprint(x, EVP_sha1(), cf->sha1, sizeof(cf->sha1)) == 0 &&
	    ndes_crypto_pubkey_sha256(X509_get0_pubkey(x), cf->pubkey, sizeof(cf->pubkey)) == 0 &&
	    (cf->subject = ndes_crypto_name_to_string(X509_get_subject_name(x))) != NULL)
		rc = 0;
	else
		ndes_err_set(err, errlen, "%s: cannot read the certificate", path);
	X509_free(x);
	return rc;
}

static void
cert_facts_free(struct cert_facts *cf)
{
	free(cf->subject);
	free(cf->der);
}

enum notify_result {
	NOTIFY_DONE,	/* ndes-crpd took it, or refused it for good */
	NOTIFY_RETRY,	/* ndes-crpd unavailable: try again after retry_ms */
	NOTIFY_WAIT,	/* not a whole certificate (yet): wait for its next event */
};

/* Send one certificate to ndes-crpd. */
static enum notify_result
watch_notify(struct watch *w, const char *name)
{
	char path[PATH_MAX], err[NDES_ERR_MAX], desc[PATH_MAX + 32];
	char f_serial[NDES_CRYPTO_HEX_MAX + 32], f_thumb[NDES_CRYPTO_HEX_MAX + 32];
	char f_file[PATH_MAX + 32];
	const char *fields[] = { f_serial, f_thumb, f_file, NULL };
	struct cert_facts cf;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", w->depot, name);
	if (cert_facts(path, &cf, err, sizeof(err)) == -1) {
		/* Still being written (its close will come), or not a certificate. */
		exec_log(LOG_DEBUG, NULL, "%s", err);
		return NOTIFY_WAIT;
	}
	snprintf(desc, sizeof(desc), "depot certificate %s", name);
	snprintf(f_serial, sizeof(f_serial), "NDES_SERIAL_NUMBER=%s", cf.serial);
	snprintf(f_thumb, sizeof(f_thumb), "NDES_THUMBPRINT=%s", cf.sha1);
	snprintf(f_file, sizeof(f_file), "NDES_DEPOT_FILE=%s", name);
	rc = policy_notify(w->pol, "", "", NDES_POLICY_DISPOSITION_SUCCESS, 0, cf.der, cf.len,
	    desc, err, sizeof(err));
	if (rc == NDES_POLICY_OK)
		exec_log(LOG_INFO, fields, "notified ndes-crpd: %s issued (serial %s, subject %s, "
		    "public key SHA-256 %s)", name, cf.serial, cf.subject, cf.pubkey);
	else if (rc == NDES_POLICY_E_REJECTED || rc == NDES_POLICY_E_INVALID)
		exec_log(LOG_WARNING, fields, "ndes-crpd did not take %s (serial %s): %s", name,
		    cf.serial, err);
	else
		exec_log(LOG_WARNING, fields, "cannot notify ndes-crpd of %s yet (retrying every "
		    "%d s): %s", name, w->retry_ms / 1000, err);
	cert_facts_free(&cf);
	if (rc == NDES_POLICY_OK || rc == NDES_POLICY_E_REJECTED || rc == NDES_POLICY_E_INVALID)
		return NOTIFY_DONE;
	return NOTIFY_RETRY;
}

/* A file appeared or was written in the depot. */
static void
watch_cert(struct watch *w, const char *name, bool notify)
{
	enum notify_result res = NOTIFY_DONE;

	if (!exec_depot_is_cert(name) || exec_state_has(w->st, "cert", name))
		return;
	if (notify)
		res = watch_notify(w, name);
	if (res == NOTIFY_DONE)
		exec_state_add(w->st, "cert", name);
	if (res == NOTIFY_RETRY)
		pending_add(w, name);
	else
		pending_remove(w, name);
}

/* The number in a micromdm certificate file name "<cn>.<decimal serial>.pem"
 * whose "<cn>." is prefix (prefix_len bytes), or -1. */
static long long
depot_file_serial(const char *name, const char *prefix, size_t prefix_len)
{
	const char *digits = name + prefix_len;
	char *end;
	long long v;

	if (strncmp(name, prefix, prefix_len) != 0 || *digits < '0' || *digits > '9')
		return -1;
	errno = 0;
	v = strtoll(digits, &end, 10);
	return errno == 0 && strcmp(end, ".pem") == 0 ? v : -1;
}

/* scepserver writes a re-enrolled subject's new certificate file
 * ("<cn>.<serial>.pem", the serial in decimal) before it turns the old line
 * to R, and appends the new line after: a file of the same <cn> with a
 * higher serial than l's. */
static bool
watch_newer_file(const struct watch *w, const struct exec_index_line *l)
{
	const char *dot = strrchr(l->file, '.');
	char prefix[NAME_MAX + 1];
	long long old = strtoll(l->serial, NULL, 16);
	struct dirent *de;
	bool found = false;
	size_t len;
	DIR *dir;

	/* "<cn>." of "<cn>.<serial>.pem" */
	if (dot == NULL || strcmp(dot, ".pem") != 0)
		return false;
	while (dot > l->file && dot[-1] >= '0' && dot[-1] <= '9')
		dot--;
	len = (size_t)(dot - l->file);
	if (len < 2 || l->file[len - 1] != '.' || len >= sizeof(prefix) ||
	    (dir = opendir(w->depot)) == NULL)
		return false;
	memcpy(prefix, l->file, len);
	prefix[len] = '\0';
	while (!found && (de = readdir(dir)) != NULL)
		found = depot_file_serial(de->d_name, prefix, len) > old;
	closedir(dir);
	return found;
}

/* Whether l was revoked by scepserver's re-enrollment, which revokes a
 * subject's older certificate when it issues the new one: another valid
 * line of the subject, or its new file already there.  Otherwise someone
 * else revoked it, e.g. ndes-connectord on the cloud's request. */
static bool
watch_reenrolled(const struct watch *w, const struct exec_index_line *l,
    const struct exec_index_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lines[i].status == 'V' && strcmp(lines[i].subject, l->subject) == 0 &&
		    strcmp(lines[i].serial, l->serial) != 0)
			return true;
	return watch_newer_file(w, l);
}

static void
watch_report_revoked(const struct exec_index_line *l, bool reenrolled)
{
	char f_serial[300], f_file[PATH_MAX + 32];
	const char *fields[] = { f_serial, f_file, "NDES_DEPOT_ACTION=revoked",
		reenrolled ? "NDES_DEPOT_REVOKED_ON=re-enrollment" : "NDES_DEPOT_REVOKED_ON=other",
		NULL };

	snprintf(f_serial, sizeof(f_serial), "NDES_SERIAL_NUMBER=%s", l->serial);
	snprintf(f_file, sizeof(f_file), "NDES_DEPOT_FILE=%s", l->file);
	if (reenrolled)
		exec_log(LOG_NOTICE, fields, "certificate serial %s (%s, %s) revoked by the SCEP "
		    "server on re-enrollment at %s", l->serial, l->file, l->subject, l->revoked);
	else
		exec_log(LOG_NOTICE, fields, "certificate serial %s (%s, %s) revoked at %s, not on a "
		    "re-enrollment (no other valid certificate of this subject in the depot; e.g. "
		    "by ndes-connectord on the cloud's request)", l->serial, l->file, l->subject,
		    l->revoked);
}

/* index.txt changed: report the lines newly turned to R. */
static void
watch_index(struct watch *w, bool report)
{
	struct exec_index_line *lines;
	size_t n, i;
	char err[NDES_ERR_MAX];

	if (exec_index_read(w->depot, &lines, &n, err, sizeof(err)) == -1) {
		exec_log(LOG_WARNING, NULL, "%s", err);
		return;
	}
	for (i = 0; i < n; i++) {
		if (lines[i].status != 'R' || exec_state_has(w->st, "revoked", lines[i].serial))
			continue;
		if (report)
			watch_report_revoked(&lines[i], watch_reenrolled(w, &lines[i], lines, n));
		exec_state_add(w->st, "revoked", lines[i].serial);
	}
	exec_index_free(lines, n);
}

static void
watch_save(struct watch *w)
{
	char err[NDES_ERR_MAX];

	if (exec_state_save(w->st, err, sizeof(err)) == -1)
		exec_log(LOG_ERR, NULL, "cannot save the state: %s", err);
}

/* Look at the whole depot (start, SIGHUP, lost inotify events). */
static int
watch_scan(struct watch *w, bool notify)
{
	DIR *d = opendir(w->depot);
	struct dirent *de;

	if (d == NULL) {
		exec_log(LOG_ERR, NULL, "%s: %s", w->depot, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_REG || de->d_type == DT_UNKNOWN)
			watch_cert(w, de->d_name, notify);
	closedir(d);
	watch_index(w, notify);
	watch_save(w);
	return 0;
}

static void
watch_retry(struct watch *w)
{
	char **names = w->pending;
	size_t i, n = w->npending;

	w->pending = NULL;
	w->npending = 0;
	for (i = 0; i < n; i++) {
		watch_cert(w, names[i], true);
		free(names[i]);
	}
	free(names);
	watch_save(w);
}

/* Handle a batch of inotify events.  -1: the depot went away. */
static int
watch_events(struct watch *w)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool index = false;
	ssize_t n;
	char *p;

	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				exec_log(LOG_ERR, NULL, "%s: the depot was removed or moved",
				    w->depot);
				return -1;
			}
			if (ev->mask & IN_Q_OVERFLOW)
				return watch_scan(w, true);
			if (ev->len == 0)
				continue;
			if (strcmp(ev->name, "index.txt") == 0)
				index = true;
			else
				watch_cert(w, ev->name, true);
		}
	}
	if (index)
		watch_index(w, true);
	watch_save(w);
	return 0;
}

/* Until SIGTERM or SIGINT (0), or the depot goes away (-1). */
static int
watch_loop(struct watch *w)
{
	struct pollfd pfd[2] = { { w->ifd, POLLIN, 0 }, { w->sfd, POLLIN, 0 } };
	struct signalfd_siginfo si;
	int n;

	for (;;) {
		n = poll(pfd, 2, w->npending > 0 ? w->retry_ms : -1);
		if (n == -1 && errno != EINTR)
			return -1;
		if (n == 0)
			watch_retry(w);
		if ((pfd[0].revents & POLLIN) && watch_events(w) == -1)
			return -1;
		if ((pfd[1].revents & POLLIN) && read(w->sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGHUP)
				return 0;
			exec_log(LOG_INFO, NULL, "SIGHUP: looking at the whole depot again");
			watch_scan(w, true);
		}
	}
}

static int
watch_setup(struct watch *w, const struct policy_cfg *cfg, const struct exec_watch_opts *o)
{
	char err[NDES_ERR_MAX];
	sigset_t set;

	if ((w->depot = realpath(o->depot, NULL)) == NULL) {
		exec_log(LOG_ERR, NULL, "%s: %s", o->depot, strerror(errno));
		return -1;
	}
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd == -1 || inotify_add_watch(w->ifd, w->depot, IN_CLOSE_WRITE | IN_MOVED_TO |
	    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) == -1) {
		exec_log(LOG_ERR, NULL, "inotify %s: %s", w->depot, strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((w->sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1 ||
	    policy_new(cfg, &w->pol, err, sizeof(err)) != NDES_POLICY_OK) {
		exec_log(LOG_ERR, NULL, "%s", w->sfd == -1 ? strerror(errno) : err);
		return -1;
	}
	policy_set_log(w->pol, exec_log_module, NULL);
	return 0;
}

/* Open the state and catch up with the depot; the first start takes what
 * is there as handled. */
static int
watch_start(struct watch *w, const char *state_dir)
{
	char err[NDES_ERR_MAX];
	bool fresh;

	if ((w->st = exec_state_open(state_dir, w->depot, &fresh, err, sizeof(err))) == NULL) {
		exec_log(LOG_ERR, NULL, "state: %s", err);
		return -1;
	}
	if (fresh)
		exec_log(LOG_INFO, NULL, "first start on %s: what the depot holds now is taken "
		    "as already handled", w->depot);
	return watch_scan(w, !fresh);
}

static void
watch_free(struct watch *w)
{
	size_t i;

	for (i = 0; i < w->npending; i++)
		free(w->pending[i]);
	free(w->pending);
	exec_state_free(w->st);
	policy_free(w->pol);
	if (w->ifd != -1)
		close(w->ifd);
	if (w->sfd != -1)
		close(w->sfd);
	free(w->depot);
}

int
exec_watch_main(const struct policy_cfg *cfg, const struct exec_watch_opts *o)
{
	struct watch w = { .ifd = -1, .sfd = -1, .retry_ms = o->retry_ms };
	int rc = EXEC_USAGE;

	if (watch_setup(&w, cfg, o) == 0 &&
	    watch_start(&w, o->state_dir != NULL ? o->state_dir : cfg->exec.state_dir) == 0) {
		if (o->once)
			rc = w.npending > 0 ? EXEC_REFUSED : 0;
		else {
			exec_log(LOG_INFO, NULL, "watching %s (state %s)", w.depot,
			    exec_state_path(w.st));
			rc = watch_loop(&w) == 0 ? 0 : EXEC_REFUSED;
		}
	}
	watch_free(&w);
	return rc;
}
