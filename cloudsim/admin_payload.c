/* Admin: the device-facing part of a challenge answer, what an MDM hands a
 * device with its SCEP profile (docs/cloud-sim.md, "The profile payload"):
 * when to renew, the SCEP server URLs in order and the trusted root.  The
 * certificate settings themselves come from the claims (admin_claims_json). */
#include <stdlib.h>

#include "admin.h"

json_t *
admin_strings(char *const *items, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_string(items[i]));
	return arr;
}

json_t *
admin_profile_payload(const struct cloudsim_config *config, const char *profile)
{
	const struct cloudsim_scep_profile *p = cloudsim_find_profile(config, profile);
	const struct cloudsim_trusted_profile *t;

	if (p == NULL || (t = cloudsim_find_trusted_profile(config, p->root_certificate)) == NULL ||
	    t->certificate_pem == NULL)
		return NULL;
	return json_pack("{s:I, s:o, s:s, s:s, s:o}",
	    "renewalThresholdPercent", (json_int_t)p->renewal_threshold_percent,
	    "scepServerUrls",
	    admin_strings(p->scep_server_urls, p->n_scep_server_urls), "trustedRootProfile", t->name,
	    "trustedRootCertificate", t->certificate_pem,
	    "keyStorageProvider", cloudsim_json_str(p->key_storage_provider));
}
