/* Opening the envelope for an EC recipient with the quick point check
 * (challenge_int.h, ndes_challenge_kari_decrypt).
 *
 * CMS_decrypt() hands the originator's ephemeral key to
 * EVP_PKEY_derive_set_peer(), which validates it fully: on the curve, and
 * n * Q = O, a second scalar multiplication as dear as the ECDH itself
 * (14 % of a verification).  On the curves used here (P-256, P-384, P-521:
 * prime order, cofactor 1) every point of the curve but the point at
 * infinity is in the group of order n, so the product adds nothing.  The
 * ephemeral key is therefore decoded here on our key's curve and checked
 * as EVP_PKEY_public_check_quick() would (not the point at infinity,
 * coordinates in range, on the curve), then given to the key agreement
 * without the full validation; OpenSSL's CMS code sees a peer already set
 * and does the rest (KDF, key unwrap, content decryption and GCM tag) as
 * in CMS_decrypt().  Any other curve, or an originator key that names
 * other parameters, goes the way of CMS_decrypt() with its full
 * validation.
 *
 * The quick check without a context of its own (one EVP_PKEY_CTX for the
 * check cost 5 us a verification): the decoding
 * (ndes_crypto_ec_point_key, EC_POINT_oct2point) refuses coordinates out
 * of range and a point off the curve itself, and the one point it accepts
 * that the quick check refuses, the point at infinity, has the one-byte
 * encoding 00 (SEC 1, 2.3.3), refused here by that byte before decoding
 * (test_challenge: ephemeral_key_off_the_curve_is_refused,
 * ephemeral_key_at_infinity_or_out_of_range_is_refused). */
#include "challenge_int.h"
#include "crypto.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

/* Prime-order curves: the quick check is the full check. */
static const char *const quick_curves[] = { "prime256v1", "secp384r1", "secp521r1" };

/* Our key's curve when the quick check may serve for it, else NULL. */
static const char *
kari_curve(EVP_PKEY *key, char *buf, size_t len)
{
	if (!EVP_PKEY_is_a(key, "EC") || !EVP_PKEY_get_utf8_string_param(key,
	    OSSL_PKEY_PARAM_GROUP_NAME, buf, len, NULL))
		return NULL;
	for (size_t i = 0; i < sizeof(quick_curves) / sizeof(quick_curves[0]); i++)
		if (strcmp(buf, quick_curves[i]) == 0)
			return buf;
	return NULL;
}

/* The originator's algorithm names no parameters, or our curve. */
static int
kari_alg_fits(X509_ALGOR *alg, const char *curve)
{
	const void *param;
	int ptype;

	X509_ALGOR_get0(NULL, &ptype, &param, alg);
	if (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL)
		return 1;
	return ptype == V_ASN1_OBJECT && strcmp(OBJ_nid2sn(OBJ_obj2nid(param)), curve) == 0;
}

/* The originator's point as a key on our curve, checked quickly (above);
 * NULL when it is no point of the curve (or the point at infinity). */
static EVP_PKEY *
kari_peer(const char *curve, const ASN1_BIT_STRING *point)
{
	const uint8_t *enc = ASN1_STRING_get0_data(point);
	int len = ASN1_STRING_length(point);
	EVP_PKEY *peer;

	if (enc == NULL || len <= 1 || enc[0] == 0x00)
		return NULL;
	peer = ndes_crypto_ec_point_key(curve, enc, (size_t)len);
	ERR_clear_error();
	return peer;
}

/* The content-encryption key from the recipient's entry, with the peer
 * set beforehand; then the content into out. */
static int
kari_open(CMS_ContentInfo *env, CMS_RecipientInfo *ri, CMS_RecipientEncryptedKey *rek,
    EVP_PKEY *key, EVP_PKEY *peer, BIO *out)
{
	EVP_PKEY_CTX *pctx;
	int ok;

	if (CMS_RecipientInfo_kari_set0_pkey(ri, key) != 1 ||
	    (pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL)
		return 0;
	ok = EVP_PKEY_derive_set_peer_ex(pctx, peer, 0) == 1 &&
	    CMS_RecipientInfo_kari_decrypt(env, ri, rek) == 1;
	CMS_RecipientInfo_kari_set0_pkey(ri, NULL);
	return ok && CMS_decrypt(env, NULL, NULL, NULL, out, CMS_BINARY) == 1;
}

int
ndes_challenge_kari_decrypt(CMS_ContentInfo *env, CMS_RecipientInfo *ri,
    CMS_RecipientEncryptedKey *rek, EVP_PKEY *key, BIO *out)
{
	X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *point = NULL;
	const char *curve;
	char buf[64];
	EVP_PKEY *peer;
	int ok;

	if ((curve = kari_curve(key, buf, sizeof(buf))) == NULL ||
	    CMS_RecipientInfo_kari_get0_orig_id(ri, &alg, &point, NULL, NULL, NULL) != 1 ||
	    alg == NULL || point == NULL || !kari_alg_fits(alg, curve))
		return -1;
	if ((peer = kari_peer(curve, point)) == NULL)
		return NDES_CHALLENGE_KARI_OFF_CURVE;
	ok = kari_open(env, ri, rek, key, peer, out);
	EVP_PKEY_free(peer);
	return ok;
}
