/* The SCEP authenticated attributes on a CMS signer (RFC 8894 section
 * 3.2.1): messageType, pkiStatus, failInfo and transactionID are
 * PrintableString, senderNonce and recipientNonce OCTET STRING. */
#include "scep_int.h"

#include <pthread.h>
#include <string.h>

#define SCEP_OID_PREFIX "2.16.840.1.113733.1.9."
#define SCEP_ATTR_FIRST DSIM_SCEP_ATTR_MESSAGE_TYPE
#define SCEP_ATTR_LAST DSIM_SCEP_ATTR_TRANSACTION_ID

static ASN1_OBJECT *scep_oids[SCEP_ATTR_LAST + 1];
static pthread_once_t scep_oids_once = PTHREAD_ONCE_INIT;

static void
scep_oids_init(void)
{
	char txt[64];

	for (int i = SCEP_ATTR_FIRST; i <= SCEP_ATTR_LAST; i++) {
		snprintf(txt, sizeof(txt), SCEP_OID_PREFIX "%d", i);
		scep_oids[i] = OBJ_txt2obj(txt, 1);
	}
}

static const ASN1_OBJECT *
scep_oid(enum dsim_scep_attr attr)
{
	pthread_once(&scep_oids_once, scep_oids_init);
	if ((int)attr < SCEP_ATTR_FIRST || (int)attr > SCEP_ATTR_LAST)
		return NULL;
	return scep_oids[attr];
}

const char *
dsim_scep_attr_name(enum dsim_scep_attr attr)
{
	switch (attr) {
	case DSIM_SCEP_ATTR_MESSAGE_TYPE: return "messageType";
	case DSIM_SCEP_ATTR_PKI_STATUS: return "pkiStatus";
	case DSIM_SCEP_ATTR_FAIL_INFO: return "failInfo";
	case DSIM_SCEP_ATTR_SENDER_NONCE: return "senderNonce";
	case DSIM_SCEP_ATTR_RECIPIENT_NONCE: return "recipientNonce";
	case DSIM_SCEP_ATTR_TRANSACTION_ID: return "transactionID";
	}
	return "?";
}

static int
scep_attr_type(enum dsim_scep_attr attr)
{
	if (attr == DSIM_SCEP_ATTR_SENDER_NONCE || attr == DSIM_SCEP_ATTR_RECIPIENT_NONCE)
		return V_ASN1_OCTET_STRING;
	return V_ASN1_PRINTABLESTRING;
}

int
dsim_scep_attr_add(CMS_SignerInfo *si, enum dsim_scep_attr attr, const void *data, size_t len)
{
	const ASN1_OBJECT *oid = scep_oid(attr);

	if (oid == NULL || len > INT32_MAX)
		return -1;
	return CMS_signed_add1_attr_by_OBJ(si, oid, scep_attr_type(attr), data,
	    (int)len) == 1 ? 0 : -1;
}

int
dsim_scep_attr_get(CMS_SignerInfo *si, enum dsim_scep_attr attr, unsigned char *buf,
    size_t buflen)
{
	const ASN1_OBJECT *oid = scep_oid(attr);
	X509_ATTRIBUTE *xa;
	ASN1_TYPE *value;
	int idx, len;

	if (oid == NULL || buflen == 0)
		return -1;
	idx = CMS_signed_get_attr_by_OBJ(si, oid, -1);
	if (idx < 0 || CMS_signed_get_attr_by_OBJ(si, oid, idx) >= 0)
		return -1;
	xa = CMS_signed_get_attr(si, idx);
	if (xa == NULL || X509_ATTRIBUTE_count(xa) != 1)
		return -1;
	value = X509_ATTRIBUTE_get0_type(xa, 0);
	if (value == NULL || ASN1_TYPE_get(value) != scep_attr_type(attr))
		return -1;
	len = ASN1_STRING_length(value->value.asn1_string);
	if (len < 0 || (size_t)len >= buflen)
		return -1;
	memcpy(buf, ASN1_STRING_get0_data(value->value.asn1_string), (size_t)len);
	buf[len] = 0;
	return len;
}
