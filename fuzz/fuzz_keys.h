/* The PEM files of fuzz/keys/, compiled in (fuzz/embed-keys.sh). */
#ifndef NDES_FUZZ_KEYS_H
#define NDES_FUZZ_KEYS_H

struct fuzz_pem {
	const char *name;	/* file name: "signer.pem", "signer.key", ... */
	const char *text;
};

/* Ends with { NULL, NULL }. */
extern const struct fuzz_pem fuzz_pems[];

#endif
