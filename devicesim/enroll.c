/* One enrollment at the profile's SCEP server URLs in order
 * (docs/cloud-sim.md, "The profile payload"): the next URL only after a
 * connection failure or a server error; any SCEP answer ends it there. */
#include <stdio.h>
#include <string.h>

#include "dsim.h"
#include "log.h"

bool
dsim_outcome_next_url(enum dsim_scep_outcome o)
{
	return o == DSIM_SCEP_UNREACHABLE || o == DSIM_SCEP_SERVER_ERROR;
}

void
dsim_outcome_reason(const struct dsim_scep_result *res, char *out, size_t outlen)
{
	if (res->outcome == DSIM_SCEP_REFUSED)
		snprintf(out, outlen, "refused: failInfo %s%s%s",
		    dsim_scep_fail_info_name(res->fail_info), res->reason[0] ? ": " : "",
		    res->reason);
	else
		snprintf(out, outlen, "%s%s%s", dsim_scep_outcome_name(res->outcome),
		    res->reason[0] ? ": " : "", res->reason);
}

enum dsim_scep_outcome
dsim_enroll_urls(const struct dsim_payload *p, X509_REQ *csr, EVP_PKEY *key,
    X509 *renew_cert, EVP_PKEY *renew_key, struct dsim_scep_result *res,
    size_t *url_index, char *why, size_t whylen)
{
	struct dsim_scep_enroll_opts o = {
		.csr = csr, .key = key, .renew_cert = renew_cert, .renew_key = renew_key,
	};
	char one[DSIM_SCEP_REASON_MAX + 64];
	size_t used = 0;
	int n;

	why[0] = '\0';
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < p->n_urls; i++) {
		dsim_scep_result_clear(res);
		memset(res, 0, sizeof(*res));
		o.url = p->urls[i];
		*url_index = i;
		log_debug("%s at %s", renew_cert ? "RenewalReq" : "PKCSReq", o.url);
		dsim_scep_enroll_blocking(&o, res);
		dsim_outcome_reason(res, one, sizeof(one));
		if (res->outcome != DSIM_SCEP_ISSUED && used < whylen) {
			n = snprintf(why + used, whylen - used, "%s%s: %s", used ? "; " : "",
			    o.url, one);
			used += n > 0 ? (size_t)n : 0;
		}
		if (!dsim_outcome_next_url(res->outcome))
			break;
		log_info("%s: %s; trying the next URL", o.url, one);
	}
	return res->outcome;
}
