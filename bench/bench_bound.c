/* ndes-bench: the primitive bound (docs/crpd.md, "Benchmark").
 *
 * What no implementation of a verification can avoid: the key operation
 * of the challenge's envelope (RSA-OAEP decryption of the content key, or
 * the ECDH of an EC recipient), the verification of the challenge's
 * signature and of the request's, with keys decoded and contexts set up
 * beforehand, on every CPU.  Its rate bounds the in-process limit from
 * above; the inputs are made here with the benchmark's own keys (the
 * challenges' signer, the devices' keys, the CRP pair), so the operations
 * are those of the challenges the limit opens. */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/rsa.h>

/* Different inputs cycled through, as the challenges differ. */
#define BOUND_SAMPLES 64
#define BOUND_SIG_MAX 512

struct bound_sample {
	uint8_t		 wrapped[BOUND_SIG_MAX];	/* RSA: the encrypted content key */
	size_t		 wrapped_len;
	EVP_PKEY	*ephemeral;			/* EC: the originator's key */
	uint8_t		 digest[32];
	uint8_t		 sig_challenge[BOUND_SIG_MAX], sig_request[BOUND_SIG_MAX];
	size_t		 sig_challenge_len, sig_request_len;
};

struct bench_bound {
	const struct bench_pki	*p;
	bool			 rsa;
	struct bound_sample	 s[BOUND_SAMPLES];
};

static int
bound_set_oaep(EVP_PKEY_CTX *ctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 ? 0 : -1;
}

static int
bound_sign(EVP_PKEY *key, const uint8_t *digest, uint8_t *sig, size_t *len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	int ok;

	*len = BOUND_SIG_MAX;
	ok = ctx != NULL && EVP_PKEY_sign_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_sign(ctx, sig, len, digest, 32) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* The envelope's input: a content key encrypted to the CRP key, or an
 * ephemeral key of the CRP key's group. */
static int
bound_envelope_input(const struct bench_pki *p, bool rsa, struct bound_sample *s)
{
	uint8_t cek[32];
	EVP_PKEY_CTX *ctx;
	int ok;

	if (!rsa)
		return (s->ephemeral = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL ?
		    0 : -1;
	RAND_bytes(cek, sizeof(cek));
	ctx = EVP_PKEY_CTX_new(p->crp_key, NULL);
	s->wrapped_len = sizeof(s->wrapped);
	ok = ctx != NULL && EVP_PKEY_encrypt_init(ctx) > 0 && bound_set_oaep(ctx) == 0 &&
	    EVP_PKEY_encrypt(ctx, s->wrapped, &s->wrapped_len, cek, sizeof(cek)) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

void
bench_bound_free(struct bench_bound *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < BOUND_SAMPLES; i++)
		EVP_PKEY_free(b->s[i].ephemeral);
	free(b);
}

struct bench_bound *
bench_bound_new(const struct bench_pki *p)
{
	struct bench_bound *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->p = p;
	b->rsa = strcmp(p->alg, "rsa-2048") == 0;
	for (int i = 0; i < BOUND_SAMPLES; i++) {
		struct bound_sample *s = &b->s[i];

		RAND_bytes(s->digest, sizeof(s->digest));
		if (bound_envelope_input(p, b->rsa, s) == -1 ||
		    bound_sign(p->sign_key, s->digest, s->sig_challenge,
		    &s->sig_challenge_len) == -1 ||
		    bound_sign(p->dev_keys[i % BENCH_DEVICE_KEYS], s->digest, s->sig_request,
		    &s->sig_request_len) == -1) {
			bench_bound_free(b);
			return NULL;
		}
	}
	return b;
}

/* One thread's contexts, set up once: the envelope's key operation and a
 * verification context per signing key. */
struct bound_ctx {
	EVP_PKEY_CTX	*envelope;
	EVP_PKEY_CTX	*challenge;
	EVP_PKEY_CTX	*request[BENCH_DEVICE_KEYS];
};

static EVP_PKEY_CTX *
bound_verify_ctx(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

	if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
bound_ctx_free(struct bound_ctx *c)
{
	EVP_PKEY_CTX_free(c->envelope);
	EVP_PKEY_CTX_free(c->challenge);
	for (int i = 0; i < BENCH_DEVICE_KEYS; i++)
		EVP_PKEY_CTX_free(c->request[i]);
}

static int
bound_ctx_init(struct bound_ctx *c, const struct bench_bound *b)
{
	const struct bench_pki *p = b->p;
	int ok;

	memset(c, 0, sizeof(*c));
	c->envelope = EVP_PKEY_CTX_new(p->crp_key, NULL);
	ok = c->envelope != NULL && (b->rsa ? EVP_PKEY_decrypt_init(c->envelope) > 0 &&
	    bound_set_oaep(c->envelope) == 0 : EVP_PKEY_derive_init(c->envelope) > 0);
	ok = ok && (c->challenge = bound_verify_ctx(p->sign_key)) != NULL;
	for (int i = 0; i < BENCH_DEVICE_KEYS && ok; i++)
		ok = (c->request[i] = bound_verify_ctx(p->dev_keys[i])) != NULL;
	if (!ok)
		bound_ctx_free(c);
	return ok ? 0 : -1;
}

/* The three operations of one verification; true when all passed. */
static bool
bound_one(const struct bench_bound *b, struct bound_ctx *c, int i)
{
	const struct bound_sample *s = &b->s[i % BOUND_SAMPLES];
	uint8_t out[BOUND_SIG_MAX];
	size_t out_len = sizeof(out);
	bool ok;

	if (b->rsa)
		ok = EVP_PKEY_decrypt(c->envelope, out, &out_len, s->wrapped,
		    s->wrapped_len) > 0;
	else
		ok = EVP_PKEY_derive_set_peer_ex(c->envelope, s->ephemeral, 0) > 0 &&
		    EVP_PKEY_derive(c->envelope, out, &out_len) > 0;
	return ok && EVP_PKEY_verify(c->challenge, s->sig_challenge, s->sig_challenge_len,
	    s->digest, sizeof(s->digest)) == 1 &&
	    EVP_PKEY_verify(c->request[i % BENCH_DEVICE_KEYS], s->sig_request,
	    s->sig_request_len, s->digest, sizeof(s->digest)) == 1;
}

struct bound_run {
	const struct bench_bound *b;
	double			 t_end;
	atomic_size_t		 ops, bad;
};

static void *
bound_thread(void *arg)
{
	struct bound_run *r = arg;
	struct bound_ctx c;
	size_t n = 0, bad = 0;

	pthread_setname_np(pthread_self(), "ndes-bound");
	if (bound_ctx_init(&c, r->b) == -1) {
		atomic_fetch_add(&r->bad, 1);
		return NULL;
	}
	while (bench_now() < r->t_end) {
		if (!bound_one(r->b, &c, (int)n))
			bad++;
		n++;
	}
	bound_ctx_free(&c);
	atomic_fetch_add(&r->ops, n);
	atomic_fetch_add(&r->bad, bad);
	return NULL;
}

size_t
bench_bound_run(const struct bench_bound *b, int threads, double seconds, double *elapsed)
{
	struct bound_run r = { 0 };
	pthread_t tid[64];
	double t0;

	if (threads > 64)
		threads = 64;
	r.b = b;
	atomic_init(&r.ops, 0);
	atomic_init(&r.bad, 0);
	t0 = bench_now();
	r.t_end = t0 + seconds;
	for (int t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, bound_thread, &r);
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	*elapsed = bench_now() - t0;
	if (atomic_load(&r.bad) > 0)
		fprintf(stderr, "ndes-bench: %zu primitive operations failed\n",
		    atomic_load(&r.bad));
	return atomic_load(&r.ops);
}
