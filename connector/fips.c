/* fips: true (see cloud.h). */
#include "cloud.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

#include "crypto.h"

int
conn_fips_enable(char *err, size_t errlen)
{
	OSSL_PROVIDER *fips, *base;

	if ((fips = OSSL_PROVIDER_load(NULL, "fips")) == NULL) {
		const char *dir = OPENSSL_info(OPENSSL_INFO_MODULES_DIR);

		snprintf(err, errlen, "fips is true but OpenSSL's FIPS provider cannot be loaded "
		    "(%s; no usable fips module in %s): install and configure the FIPS module "
		    "(openssl fipsinstall), or set fips: false",
		    ndes_crypto_last_error("no FIPS provider"), dir != NULL ? dir : "?");
		return -1;
	}
	if ((base = OSSL_PROVIDER_load(NULL, "base")) == NULL ||
	    EVP_default_properties_enable_fips(NULL, 1) != 1) {
		snprintf(err, errlen, "fips is true but FIPS mode cannot be enabled (%s)",
		    ndes_crypto_last_error("unknown reason"));
		return -1;
	}
	return 0;
}
