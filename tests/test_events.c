/* The events table against DESIGN.md section 3, and the JSON sinks. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-id128.h>

#include "events.h"
#include "log.h"
#include "test_events_util.h"

/* DESIGN.md section 3, copied by hand: the contract the table must keep. */
static const struct {
	int id;
	const char *name;
	int priority;
	uint32_t ref_codes[6];	/* the reference codes, 0 terminated after the first */
} design_events[] = {
	{ 10010, "StartedConnectorService", LOG_NOTICE, { 0, 0x0FFFFFFF } },
	{ 10020, "StoppedConnectorService", LOG_NOTICE, { 0, 0x0FFFFFFF } },
	{ 10100, "CertificateRenewal_Success", LOG_INFO, { 0, 0x0FFFFFFF } },
	{ 10102, "CertificateRenewal_Failure", LOG_ERR, { 0, 0x405, 0x0FFFFFFF } },
	{ 10301, "RetrieveCertificate_Warning", LOG_WARNING, { 0, 0x403, 0x0FFFFFFF } },
	{ 10302, "RetrieveCertificate_Error", LOG_ERR, { 0, 0x404, 0x0FFFFFFF } },
	{ 20100, "PkcsCertIssue_Success", LOG_INFO, { 0, 0x0FFFFFFF } },
	{ 20102, "PkcsCertIssue_Failure", LOG_ERR, { 0, 0x400, 0x401, 0x0FFFFFFF } },
	{ 20200, "RevokeCert_Success", LOG_INFO, { 0, 0x0FFFFFFF } },
	{ 20202, "RevokeCert_Failure", LOG_ERR, { 0, 0x402, 0x0FFFFFFF } },
	/* project extension: a CRL that cannot be published */
	{ 20212, "CrlPublish_Failure", LOG_ERR, { 0, 0x0FFFFFFF } },
	{ 20300, "Upload_Success", LOG_INFO, { 0, 0x0FFFFFFF } },
	{ 20302, "Upload_Failure", LOG_ERR, { 0, 0x0FFFFFFF } },
	{ 20400, "Download_Success", LOG_INFO, { 0, 0x0FFFFFFF } },
	{ 20402, "Download_Failure", LOG_ERR, { 0, 0x0FFFFFFF } },
	/* project extension: downloads paused while the outbox is full */
	{ 20411, "Download_Paused", LOG_WARNING, { 0, 0x0FFFFFFF } },
	{ 20500, "CRPVerifyMetric_Success", LOG_INFO, { 0, 0x0FFFFFFF } },
	{ 20501, "CRPVerifyMetric_Warning", LOG_WARNING, { 0, 0x411, 0x0FFFFFFF } },
	{ 20502, "CRPVerifyMetric_Failure", LOG_ERR, { 0, 0x408, 0x409, 0x410, 0x0FFFFFFF } },
	{ 20600, "CRPNotifyMetric_Success", LOG_INFO, { 0, 0x0FFFFFFF } },
	/* a project extension (docs/events.md): the conformance check after issuance */
	{ 20601, "CRPNotifyMetric_Warning", LOG_WARNING, { 0, 0x0FFFFFFF } },
	{ 20602, "CRPNotifyMetric_Failure", LOG_ERR, { 0, 0x0FFFFFFF } },
	/* project extension: a notification of a certificate not issued */
	{ 20610, "CRPNotifyMetric_NotIssued", LOG_WARNING, { 0, 0x0FFFFFFF } },
	/* project extensions (docs/events.md): crpd's challenge store */
	{ 20700, "CRPChallengeStore_Available", LOG_INFO, { 0, 0x0FFFFFFF } },
	{ 20702, "CRPChallengeStore_Unavailable", LOG_ERR, { 0, 0x0FFFFFFF } },
};
#define N_DESIGN_EVENTS (sizeof(design_events) / sizeof(design_events[0]))

static const struct {
	uint32_t code;
	const char *name;
} design_codes[] = {
	{ 0x00000000, "Success" },
	{ 0x00000400, "PKCS_Issue_CA_Unavailable" },
	{ 0x00000401, "Symantec_ClientAuthCertNotFound" },
	{ 0x00000402, "RevokeCert_AccessDenied" },
	{ 0x00000403, "CertThumbprint_NotFound" },
	{ 0x00000404, "Certificate_NotFound" },
	{ 0x00000405, "Certificate_Expired" },
	{ 0x00000408, "CRPSCEPCert_NotFound" },
	{ 0x00000409, "CRPSCEPSigningCert_NotFound" },
	{ 0x00000410, "CRPSCEPDeserialize_Failed" },
	{ 0x00000411, "CRPSCEPChallenge_Expired" },
	{ 0x0FFFFFFF, "Unknown_Error" },
};
#define N_DESIGN_CODES (sizeof(design_codes) / sizeof(design_codes[0]))

/* The project extensions and the events that carry them. */
static const struct {
	uint32_t code;
	const char *name;
	int events[3];
} design_extensions[] = {
	{ 0x1001, "NDES_CsrSignature_Invalid", { 20501 } },
	{ 0x1002, "NDES_Tenant_Mismatch", { 20501 } },
	{ 0x1003, "NDES_Subject_Mismatch", { 20501 } },
	{ 0x1004, "NDES_San_Mismatch", { 20501 } },
	{ 0x1005, "NDES_KeyType_Mismatch", { 20501 } },
	{ 0x1006, "NDES_KeySize_TooSmall", { 20501 } },
	{ 0x1007, "NDES_KeyUsage_Mismatch", { 20501 } },
	{ 0x1008, "NDES_Eku_Mismatch", { 20501 } },
	{ 0x1009, "NDES_Hash_Mismatch", { 20501 } },
	{ 0x100A, "NDES_Challenge_Replayed", { 20501 } },
	{ 0x100B, "NDES_Challenge_Missing", { 20502 } },
	{ 0x100C, "NDES_ChallengeSignature_Invalid", { 20502 } },
	{ 0x100D, "NDES_Request_Malformed", { 20502 } },
	{ 0x100E, "NDES_ChallengeCertificates_Embedded", { 20502 } },
	{ 0x100F, "NDES_ChallengeCrls_Embedded", { 20502 } },
	{ 0x1010, "NDES_ChallengeContent_Invalid", { 20502 } },
	{ 0x1011, "NDES_ChallengeSigners_NotOne", { 20502 } },
	{ 0x1012, "NDES_ChallengeAttributes_Present", { 20502 } },
	{ 0x1013, "NDES_ChallengeDigest_NotAllowed", { 20502 } },
	{ 0x1014, "NDES_ChallengeSignatureAlg_NotAllowed", { 20502 } },
	{ 0x1015, "NDES_ChallengeSigner_Unknown", { 20502 } },
	{ 0x1016, "NDES_ChallengeSigner_Unusable", { 20502 } },
	{ 0x1017, "NDES_ChallengeText_NotBase64", { 20502 } },
	{ 0x1020, "NDES_ChallengeStore_Unavailable", { 20502, 20602, 20702 } },
	{ 0x1021, "NDES_ChallengeStore_AuthFailed", { 20502, 20602, 20702 } },
	{ 0x1022, "NDES_ChallengeStore_SchemaNewer", { 20702 } },
	{ 0x1101, "NDES_Connector_Unavailable", { 20602 } },
	{ 0x1102, "NDES_Notify_UnknownChallenge", { 20602 } },
	{ 0x1103, "NDES_ScepIssuance_Failed", { 20610 } },
	{ 0x1201, "NDES_Outbox_Full", { 20302, 20411 } },
	{ 0x1202, "NDES_Cloud_Unreachable", { 20302, 20402, 10102 } },
	{ 0x1203, "NDES_Cloud_Untrusted", { 20302, 20402, 10102 } },
	{ 0x1204, "NDES_Cloud_Rejected", { 20302, 20402, 10102 } },
	{ 0x1205, "NDES_Outbox_WriteFailed", { 20302 } },
	{ 0x1301, "NDES_Revoke_CertNotFound", { 20202 } },
	{ 0x1302, "NDES_Revoke_AlreadyRevoked", { 20202 } },
	{ 0x1303, "NDES_Ca_Unavailable", { 20202, 20212 } },
	{ 0x1304, "NDES_Pkcs_RequestInvalid", { 20102 } },
	{ 0x1305, "NDES_CaFile_Malformed", { 20102, 20202, 20212 } },
	{ 0x1501, "NDES_Issued_SubjectDiffers", { 20601 } },
	{ 0x1502, "NDES_Issued_SubjectStringType", { 20601 } },
	{ 0x1503, "NDES_Issued_SanDiffers", { 20601 } },
	{ 0x1504, "NDES_Issued_KeyUsageDiffers", { 20601 } },
	{ 0x1505, "NDES_Issued_EkuDiffers", { 20601 } },
	{ 0x1506, "NDES_Issued_PublicKeyDiffers", { 20601 } },
	{ 0x1507, "NDES_Issued_HashDiffers", { 20601 } },
	{ 0x1508, "NDES_Issued_ValidityDiffers", { 20601 } },
	{ 0x1509, "NDES_Issued_ChainInvalid", { 20601 } },
	{ 0x150A, "NDES_Issued_NotChecked", { 20601 } },
	/* printed by `ndes-connector diagnose`, carried by no event */
	{ 0x1401, "NDES_Config_Invalid", { 0 } },
	{ 0x1402, "NDES_File_Permissions", { 0 } },
	{ 0x1403, "NDES_Certificate_ExpiringSoon", { 0 } },
	{ 0x1404, "NDES_Certificate_ChainInvalid", { 0 } },
	{ 0x1405, "NDES_Crpd_Unavailable", { 0 } },
	{ 0x1406, "NDES_Clock_Skew", { 0 } },
	{ 0x1407, "NDES_Crl_Stale", { 0 } },
};
#define N_DESIGN_EXT (sizeof(design_extensions) / sizeof(design_extensions[0]))

static int
design_lists(size_t i, uint32_t code)
{
	size_t j;

	for (j = 0; j < 6; j++) {
		if (design_events[i].ref_codes[j] == code)
			return 1;
		if (j > 0 && design_events[i].ref_codes[j] == 0)
			break;
	}
	return 0;
}

static int
extension_on(size_t x, int id)
{
	size_t j;

	for (j = 0; j < 3; j++)
		if (design_extensions[x].events[j] == id)
			return 1;
	return 0;
}

Test(events_table, events_match_design_in_order)
{
	const struct ndes_event_info *ei;
	size_t i;

	cr_assert_eq(NDES_EVENT_COUNT, N_DESIGN_EVENTS);
	for (i = 0; i < N_DESIGN_EVENTS; i++) {
		ei = ndes_event_info((enum ndes_event)i);
		cr_assert_not_null(ei);
		cr_assert_eq(ei->event, (enum ndes_event)i);
		cr_assert_eq(ei->id, design_events[i].id);
		cr_assert_str_eq(ei->name, design_events[i].name);
		cr_assert_eq(ei->priority, design_events[i].priority, "priority of %d", ei->id);
		cr_assert_eq(ndes_event_by_id(ei->id), ei);
		cr_assert_eq(ndes_event_id((enum ndes_event)i), design_events[i].id);
		cr_assert_str_eq(ndes_event_name((enum ndes_event)i), design_events[i].name);
	}
}

Test(events_table, reference_codes_exact)
{
	const struct ndes_diag_info *di;
	size_t i, nref = 0;

	for (i = 0; i < N_DESIGN_CODES; i++) {
		di = ndes_diag_info(design_codes[i].code);
		cr_assert_not_null(di, "code 0x%08X missing", design_codes[i].code);
		cr_assert_str_eq(di->name, design_codes[i].name);
		cr_assert_eq(di->origin, NDES_DIAG_ORIGIN_REFERENCE);
	}
	for (i = 0; (di = ndes_diag_at(i)) != NULL; i++)
		nref += di->origin == NDES_DIAG_ORIGIN_REFERENCE;
	cr_assert_eq(nref, N_DESIGN_CODES);
	cr_assert_eq(i, ndes_diag_count());
	cr_assert_eq(ndes_diag_count(), N_DESIGN_CODES + N_DESIGN_EXT);
}

Test(events_table, each_event_carries_exactly_the_design_reference_codes)
{
	const struct ndes_event_info *ei;
	const struct ndes_diag_info *di;
	size_t i, j, nref;

	for (i = 0; i < N_DESIGN_EVENTS; i++) {
		ei = ndes_event_info((enum ndes_event)i);
		for (j = 0; j < N_DESIGN_CODES; j++)
			cr_assert_eq(ndes_event_allows(ei->event, design_codes[j].code),
			    design_lists(i, design_codes[j].code), "%d and 0x%08X", ei->id,
			    design_codes[j].code);
		for (j = 0, nref = 0; j < ei->ncodes; j++) {
			di = ndes_diag_info(ei->codes[j]);
			cr_assert_not_null(di, "%d lists unknown code 0x%08X", ei->id, ei->codes[j]);
			nref += di->origin == NDES_DIAG_ORIGIN_REFERENCE;
		}
		for (j = 1; j < 6 && design_events[i].ref_codes[j] != 0; j++)
			;
		cr_assert_eq(nref, j, "%d carries %zu reference codes", ei->id, nref);
		cr_assert_eq(ei->codes[ei->ncodes - 1], NDES_DIAG_UNKNOWN_ERROR);
	}
}

Test(events_table, extensions_exact_and_on_their_events_only)
{
	const struct ndes_diag_info *di;
	size_t x, i;

	for (x = 0; x < N_DESIGN_EXT; x++) {
		di = ndes_diag_info(design_extensions[x].code);
		cr_assert_not_null(di, "extension 0x%08X missing", design_extensions[x].code);
		cr_assert_str_eq(di->name, design_extensions[x].name);
		cr_assert_eq(di->origin, NDES_DIAG_ORIGIN_EXTENSION);
		cr_assert(di->code >= 0x1000 && di->code < 0x0FFFFFFF);
		for (i = 0; i < N_DESIGN_EVENTS; i++)
			cr_assert_eq(ndes_event_allows((enum ndes_event)i, di->code),
			    extension_on(x, design_events[i].id), "%s on %d", di->name,
			    design_events[i].id);
	}
}

Test(events_table, message_ids_are_distinct_id128s)
{
	const char *a, *b;
	sd_id128_t id;
	size_t i, j, k;

	for (i = 0; i < NDES_EVENT_COUNT; i++) {
		a = ndes_event_message_id((enum ndes_event)i);
		cr_assert_eq(strlen(a), 32);
		for (k = 0; k < 32; k++)
			cr_assert(isxdigit((unsigned char)a[k]) && !isupper((unsigned char)a[k]), "%s", a);
		cr_assert_eq(sd_id128_from_string(a, &id), 0);
		for (j = i + 1; j < NDES_EVENT_COUNT; j++) {
			b = ndes_event_message_id((enum ndes_event)j);
			cr_assert_str_neq(a, b);
		}
	}
}

Test(events_table, codes_unique_and_named_once)
{
	const struct ndes_diag_info *a, *b;
	size_t i, j;

	for (i = 0; (a = ndes_diag_at(i)) != NULL; i++) {
		cr_assert(a->text_en[0] != '\0' && a->text_ja[0] != '\0');
		for (j = i + 1; (b = ndes_diag_at(j)) != NULL; j++) {
			cr_assert_neq(a->code, b->code);
			cr_assert_str_neq(a->name, b->name);
		}
	}
}

Test(events_table, constants_and_lookups)
{
	cr_assert_eq(NDES_DIAG_SUCCESS, 0x00000000u);
	cr_assert_eq(NDES_DIAG_CRPSCEP_DESERIALIZE_FAILED, 0x00000410u);
	cr_assert_eq(NDES_DIAG_CRPSCEP_CHALLENGE_EXPIRED, 0x00000411u);
	cr_assert_eq(NDES_DIAG_UNKNOWN_ERROR, 0x0FFFFFFFu);
	cr_assert_eq(NDES_DIAG_CHALLENGE_REPLAYED, 0x0000100Au);
	cr_assert_eq(NDES_DIAG_PKCS_REQUEST_INVALID, 0x00001304u);
	cr_assert_eq(NDES_DIAG_CLOCK_SKEW, 0x00001406u);
	cr_assert_str_eq(ndes_diag_name(0x1402), "NDES_File_Permissions");
	cr_assert_eq(ndes_event_id(NDES_EV_CRP_VERIFY_FAILURE), 20502);
	cr_assert_eq(ndes_event_id(NDES_EV_RETRIEVE_CERT_WARNING), 10301);
	cr_assert_str_eq(ndes_event_name(NDES_EV_UPLOAD_FAILURE), "Upload_Failure");
	cr_assert_str_eq(ndes_diag_name(0x410), "CRPSCEPDeserialize_Failed");
	cr_assert_null(ndes_diag_name(0x412));
	cr_assert_null(ndes_diag_info(0x12345678));
	cr_assert_null(ndes_event_by_id(20501 + 1000));
	cr_assert_null(ndes_event_info((enum ndes_event)NDES_EVENT_COUNT));
	cr_assert_null(ndes_event_name((enum ndes_event)-1));
	cr_assert_eq(ndes_event_id((enum ndes_event)NDES_EVENT_COUNT), -1);
	cr_assert_null(ndes_event_message_id((enum ndes_event)NDES_EVENT_COUNT));
	cr_assert_not(ndes_event_allows((enum ndes_event)NDES_EVENT_COUNT, 0));
	cr_assert(ndes_event_allows(NDES_EV_CRP_VERIFY_WARNING, NDES_DIAG_CRPSCEP_CHALLENGE_EXPIRED));
	cr_assert_not(ndes_event_allows(NDES_EV_CRP_VERIFY_FAILURE, NDES_DIAG_CRPSCEP_CHALLENGE_EXPIRED));
	cr_assert_null(ndes_diag_at(ndes_diag_count()));
}

Test(events_table, catalog_texts_present)
{
	const struct ndes_event_info *ei;
	size_t i;

	for (i = 0; i < NDES_EVENT_COUNT; i++) {
		ei = ndes_event_info((enum ndes_event)i);
		cr_assert(ei->subject_en[0] && ei->text_en[0] && ei->subject_ja[0] && ei->text_ja[0]);
		/* a line starting with "-- " would open a new catalog entry */
		cr_assert_null(strstr(ei->text_en, "\n-- "));
		cr_assert_null(strstr(ei->text_ja, "\n-- "));
	}
}
