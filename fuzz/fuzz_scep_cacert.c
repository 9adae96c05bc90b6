/* libFuzzer target: the SCEP client's GetCACert reader
 * (devicesim/scep_cacert.c, dsim_scep_cacert_parse).
 *
 * Input: the answer's Content-Type on the first line (an empty line: no
 * Content-Type), then its body.  Invariants: a refusal has a reason and
 * nothing else; an accepted answer has at least one certificate, and the
 * recipient is one of them. */
#include "fuzz.h"

#include <stdlib.h>

#include "scep_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ct = NULL, reason[DSIM_SCEP_REASON_MAX] = "";
	const uint8_t *body;
	size_t len;
	STACK_OF(X509) *certs;
	X509 *recipient;

	fuzz_split_line(data, size, &ct, &body, &len);
	if (ct == NULL)
		return 0;
	if (dsim_scep_cacert_parse(ct[0] ? ct : NULL, body, len, &certs, &recipient,
	    reason) < 0) {
		FUZZ_CHECK(reason[0] != '\0' && certs == NULL && recipient == NULL);
		fuzz_note("refused: %s", reason);
	} else {
		FUZZ_CHECK(sk_X509_num(certs) > 0 && recipient != NULL);
		FUZZ_CHECK(sk_X509_find(certs, recipient) >= 0);
		fuzz_note("%d certificates", sk_X509_num(certs));
		sk_X509_pop_free(certs, X509_free);
	}
	free(ct);
	return 0;
}
