/* scep_enroll_driver: one enrollment with the device emulator's SCEP client
 * (devicesim/scep_client.h), for tests/devicesim-scep.sh.
 *
 *   scep_enroll_driver URL KEY CSR OUT-CERT [RENEW-CERT RENEW-KEY]
 *
 * Prints "outcome=<name> fail_info=<n> http=<status> polls=<n>" and
 * "reason=<text>" and, when issued, writes the certificate (PEM) to
 * OUT-CERT.  Exits 0 when issued, 2 otherwise, 1 on bad arguments. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto.h"
#include "csr.h"
#include "scep_client.h"

static int
load_opts(char **argv, int argc, struct dsim_scep_enroll_opts *o)
{
	char err[512];

	o->url = argv[1];
	if ((o->key = ndes_crypto_load_key(argv[2], NULL, err, sizeof(err))) == NULL ||
	    (o->csr = ndes_csr_load(argv[3], err, sizeof(err))) == NULL)
		goto fail;
	if (argc == 7 &&
	    ((o->renew_cert = ndes_crypto_load_cert(argv[5], err, sizeof(err))) == NULL ||
	    (o->renew_key = ndes_crypto_load_key(argv[6], NULL, err, sizeof(err))) == NULL))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "scep_enroll_driver: %s\n", err);
	return -1;
}

int
main(int argc, char **argv)
{
	struct dsim_scep_enroll_opts o = { .timeout_ms = 10000, .poll_interval_ms = 200 };
	struct dsim_scep_result res;
	char err[512];
	int rc = 2;

	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: scep_enroll_driver URL KEY CSR OUT-CERT "
		    "[RENEW-CERT RENEW-KEY]\n");
		return 1;
	}
	if (load_opts(argv, argc, &o) < 0)
		return 1;
	dsim_scep_enroll_blocking(&o, &res);
	printf("outcome=%s fail_info=%d http=%d polls=%d\nreason=%s\n",
	    dsim_scep_outcome_name(res.outcome), res.fail_info, res.http_status, res.polls,
	    res.reason);
	if (res.outcome == DSIM_SCEP_ISSUED) {
		rc = ndes_crypto_write_cert(argv[4], res.cert, err, sizeof(err)) == 0 ? 0 : 1;
		if (rc != 0)
			fprintf(stderr, "scep_enroll_driver: %s\n", err);
	}
	dsim_scep_result_clear(&res);
	X509_REQ_free(o.csr);
	EVP_PKEY_free(o.key);
	X509_free(o.renew_cert);
	EVP_PKEY_free(o.renew_key);
	return rc;
}
