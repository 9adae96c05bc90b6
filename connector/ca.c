/* CA backends: the generic layer (see ca.h). */
#include "ca.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"

static enum conn_ca_status
ca_client_auth(struct conn_ca *ca, char *err, size_t errlen)
{
	if (ca->client_auth_cert == NULL || access(ca->client_auth_cert, R_OK) == 0)
		return CONN_CA_OK;
	snprintf(err, errlen, "client authentication certificate for CA %s: %s: %s",
	    ca->name, ca->client_auth_cert, strerror(errno));
	return CONN_CA_CLIENT_AUTH_MISSING;
}

enum conn_ca_status
conn_ca_check(struct conn_ca *ca, char *err, size_t errlen)
{
	enum conn_ca_status st = ca_client_auth(ca, err, errlen);

	return st != CONN_CA_OK ? st : ca->ops->check(ca, err, errlen);
}

enum conn_ca_status
conn_ca_issue(struct conn_ca *ca, EVP_PKEY *pub, const struct conn_ca_profile *prof,
    X509 **cert, char *err, size_t errlen)
{
	enum conn_ca_status st = ca_client_auth(ca, err, errlen);

	*cert = NULL;
	return st != CONN_CA_OK ? st : ca->ops->issue(ca, pub, prof, cert, err, errlen);
}

enum conn_ca_status
conn_ca_revoke(struct conn_ca *ca, const char *serial, char *err, size_t errlen)
{
	enum conn_ca_status st;

	if (!ca->may_revoke) {
		snprintf(err, errlen, "this connector may not revoke on CA %s (ca.may_revoke "
		    "is false)", ca->name);
		return CONN_CA_DENIED;
	}
	if ((st = ca_client_auth(ca, err, errlen)) != CONN_CA_OK)
		return st;
	return ca->ops->revoke(ca, serial, err, errlen);
}

X509 *
conn_ca_cert(struct conn_ca *ca, char *err, size_t errlen)
{
	return ca->ops->ca_cert(ca, err, errlen);
}

enum conn_ca_status
conn_ca_crl_refresh(struct conn_ca *ca, struct conn_ca_crl_info *info, char *err,
    size_t errlen)
{
	memset(info, 0, sizeof(*info));
	err[0] = '\0';
	if (ca->ops->crl_refresh == NULL)
		return CONN_CA_OK;
	return ca->ops->crl_refresh(ca, info, err, errlen);
}

void
conn_ca_free(struct conn_ca *ca)
{
	if (ca == NULL)
		return;
	ca->ops->free(ca);
	free(ca->name);
	free(ca->client_auth_cert);
	free(ca);
}

time_t
conn_ca_not_after(time_t now, const struct conn_ca_profile *prof, time_t ca_not_after)
{
	int64_t validity = prof->template_s;

	if (ca_not_after <= now)
		return 0;
	if (prof->attribute_end_date && prof->requested_s > 0 &&
	    prof->requested_s < validity)
		validity = prof->requested_s;
	if ((int64_t)(ca_not_after - now) < validity)
		return ca_not_after;
	return now + (time_t)validity;
}

uint32_t
conn_ca_pkcs_diag(enum conn_ca_status st)
{
	switch (st) {
	case CONN_CA_OK:
		return NDES_DIAG_SUCCESS;
	case CONN_CA_UNAVAILABLE:
		return NDES_DIAG_PKCS_ISSUE_CA_UNAVAILABLE;
	case CONN_CA_CLIENT_AUTH_MISSING:
		return NDES_DIAG_SYMANTEC_CLIENT_AUTH_CERT_NOT_FOUND;
	case CONN_CA_BAD_REQUEST:
		return NDES_DIAG_PKCS_REQUEST_INVALID;
	case CONN_CA_FILE_MALFORMED:
		return NDES_DIAG_CA_FILE_MALFORMED;
	default:
		return NDES_DIAG_UNKNOWN_ERROR;
	}
}

uint32_t
conn_ca_revoke_diag(enum conn_ca_status st)
{
	switch (st) {
	case CONN_CA_OK:
		return NDES_DIAG_SUCCESS;
	case CONN_CA_DENIED:
		return NDES_DIAG_REVOKE_CERT_ACCESS_DENIED;
	case CONN_CA_NOT_FOUND:
		return NDES_DIAG_REVOKE_CERT_NOT_FOUND;
	case CONN_CA_ALREADY_REVOKED:
		return NDES_DIAG_REVOKE_ALREADY_REVOKED;
	case CONN_CA_UNAVAILABLE:
	case CONN_CA_CLIENT_AUTH_MISSING:
		return NDES_DIAG_CA_UNAVAILABLE;
	case CONN_CA_FILE_MALFORMED:
		return NDES_DIAG_CA_FILE_MALFORMED;
	default:
		return NDES_DIAG_UNKNOWN_ERROR;
	}
}

uint32_t
conn_ca_crl_diag(enum conn_ca_status st)
{
	switch (st) {
	case CONN_CA_OK:
		return NDES_DIAG_SUCCESS;
	case CONN_CA_UNAVAILABLE:
	case CONN_CA_CLIENT_AUTH_MISSING:
		return NDES_DIAG_CA_UNAVAILABLE;
	case CONN_CA_FILE_MALFORMED:
		return NDES_DIAG_CA_FILE_MALFORMED;
	default:
		return NDES_DIAG_UNKNOWN_ERROR;
	}
}

int
conn_ca_request_error(enum conn_ca_status st)
{
	switch (st) {
	case CONN_CA_OK:
		return CONN_CAERR_NONE;
	case CONN_CA_UNAVAILABLE:
	case CONN_CA_FILE_MALFORMED:
		return CONN_CAERR_UNAVAILABLE;
	case CONN_CA_CLIENT_AUTH_MISSING:
	case CONN_CA_DENIED:
		return CONN_CAERR_AUTHENTICATION;
	case CONN_CA_NOT_FOUND:
		return CONN_CAERR_CERT_NOT_FOUND;
	case CONN_CA_ALREADY_REVOKED:
		return CONN_CAERR_CONFLICT;
	case CONN_CA_BAD_REQUEST:
		return CONN_CAERR_PARAMETER_INVALID;
	default:
		return CONN_CAERR_NON_RETRYABLE;
	}
}

const char *
conn_ca_status_name(enum conn_ca_status st)
{
	static const char *const names[] = { "ok", "CA unavailable",
	    "client authentication certificate missing", "access denied",
	    "certificate not found", "already revoked", "bad request", "error",
	    "CA file malformed" };

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "error";
}
