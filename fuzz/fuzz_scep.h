/* What the SCEP client's fuzz targets and their capture tool share
 * (fuzz/fuzz_scep_certrep.c, fuzz/scep_capture.c): the request the seeds
 * answer.  The device is the "crp-rsa" test pair (its certificate signs the
 * request, as a PKCSReq's self-signed certificate would), the CA is
 * "scep-ca" (a scepserver depot's CA, fuzz/keys/scep-ca.*), and the
 * transactionID and senderNonce are fixed. */
#ifndef NDES_FUZZ_SCEP_H
#define NDES_FUZZ_SCEP_H

#define FUZZ_SCEP_DEVICE "crp-rsa"
#define FUZZ_SCEP_CA "scep-ca"
#define FUZZ_SCEP_TRANSACTION_ID "FUZZSCEPTRANSACTION0001"
#define FUZZ_SCEP_NONCE "fuzz-scep-nonce!"	/* 16 bytes */

#endif
