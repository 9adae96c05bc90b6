#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "dn.h"
#include "test_connector_util.h"

void
tc_setup(void)
{
	workdir_enter("ndes-conn");
}

int
tc_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	cr_assert_neq(vasprintf(&cmd, fmt, ap), -1);
	va_end(ap);
	st = system(cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

char *
tc_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

void
tc_make_ca(const char *name, int days, const char *pass)
{
	cr_assert_eq(tc_sh("mkdir -p %s", name), 0);
	if (pass != NULL)
		cr_assert_eq(tc_sh("\"$OPENSSL\" genrsa -traditional -des3 -passout pass:%s -out %s/ca.key "
		    "2048 2>/dev/null", pass, name), 0);
	else
		cr_assert_eq(tc_sh("\"$OPENSSL\" genrsa -out %s/ca.key 2048 2>/dev/null", name), 0);
	cr_assert_eq(tc_sh("chmod 600 %s/ca.key && \"$OPENSSL\" req -new -x509 -key %s/ca.key "
	    "%s%s -out %s/ca.pem -days %d -subj '/O=Contoso/CN=%s' "
	    "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
	    name, name, pass != NULL ? "-passin pass:" : "", pass != NULL ? pass : "", name, days,
	    name), 0);
	cr_assert_eq(tc_sh("touch %s/index.txt && echo 01 > %s/serial", name, name), 0);
}

struct conn_ca *
tc_open_ca(const char *folder, const char *pass)
{
	struct conn_ca_folder_opts o = { .name = "ca01", .folder = workdir_path(folder),
	    .passphrase = pass, .crl_days = 7, .may_revoke = true };
	struct conn_ca *ca = conn_ca_folder_new(&o);

	cr_assert_not_null(ca);
	return ca;
}

struct conn_ca *
tc_new_ca(const char *name, int days, const char *pass)
{
	tc_make_ca(name, days, pass);
	return tc_open_ca(name, pass);
}

void
tc_profile(struct conn_ca_profile *p, const char *subject, int64_t template_s, int64_t req_s)
{
	char err[256];

	memset(p, 0, sizeof(*p));
	p->subject = conn_dn_parse(subject, err, sizeof(err));
	cr_assert_not_null(p->subject, "%s", err);
	p->template_s = template_s;
	p->requested_s = req_s;
	p->attribute_end_date = true;
}
