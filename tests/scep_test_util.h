/* Fixture of the SCEP client's tests: an event loop, the device's key and
 * request, one enrollment run on the loop until its callback. */
#ifndef NDES_TESTS_SCEP_TEST_UTIL_H
#define NDES_TESTS_SCEP_TEST_UTIL_H

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_client.h"
#include "scep_responder.h"

extern struct event_base *st_base;
extern EVP_PKEY *st_key;			/* RSA 2048 */
extern X509_REQ *st_csr;			/* CN=device-1 on st_key */
extern struct dsim_scep_enroll_opts st_opts;	/* url, csr, key set by st_enroll */
extern struct dsim_scep_result st_res;		/* cert and ca_certs up-ref'd */
extern int st_callbacks;

void	st_setup(void);
void	st_teardown(void);
struct resp *st_resp(const struct resp_config *cfg);
X509_REQ *st_make_csr(EVP_PKEY *key, const char *cn);
/* Runs one enrollment at url on st_base (st_opts; renewal when renew_cert
 * is set, with its key renew_key) into st_res. */
void	st_enroll(const char *url, X509 *renew_cert, EVP_PKEY *renew_key);
void	st_clear(void);

#endif
