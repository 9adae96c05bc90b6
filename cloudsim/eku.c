/* Extended key usages of SCEP profiles: names or dotted OIDs. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "model_int.h"

static const struct {
	const char *name;
	const char *oid;
} eku_names[] = {
	{ "serverAuth", "1.3.6.1.5.5.7.3.1" },
	{ "clientAuth", "1.3.6.1.5.5.7.3.2" },
	{ "codeSigning", "1.3.6.1.5.5.7.3.3" },
	{ "emailProtection", "1.3.6.1.5.5.7.3.4" },
	{ "ipsecEndSystem", "1.3.6.1.5.5.7.3.5" },
	{ "ipsecTunnel", "1.3.6.1.5.5.7.3.6" },
	{ "ipsecUser", "1.3.6.1.5.5.7.3.7" },
	{ "timeStamping", "1.3.6.1.5.5.7.3.8" },
	{ "OCSPSigning", "1.3.6.1.5.5.7.3.9" },
	{ "ipsecIKE", "1.3.6.1.5.5.7.3.17" },
	{ "smartcardLogon", "1.3.6.1.4.1.311.20.2.2" },
	{ "msEFS", "1.3.6.1.4.1.311.10.3.4" },
	{ "anyExtendedKeyUsage", "2.5.29.37.0" },
};

static bool
is_dotted(const char *s)
{
	int dots = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.' && isdigit((unsigned char)s[1]))
			dots++;
		else if (!isdigit((unsigned char)*s))
			return false;
	}
	return dots >= 1;
}

char *
cloudsim_eku_resolve(const char *name)
{
	ASN1_OBJECT *obj;
	char buf[128];
	int n;

	for (size_t i = 0; i < sizeof(eku_names) / sizeof(eku_names[0]); i++)
		if (strcmp(eku_names[i].name, name) == 0)
			return strdup(eku_names[i].oid);
	if (!is_dotted(name) || (obj = OBJ_txt2obj(name, 1)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
	ASN1_OBJECT_free(obj);
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return strdup(buf);
}
