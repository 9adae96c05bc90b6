/* The state folder shared with ndes-crpd (docs/connector.md):
 *
 *   registration/client.pem, client.key   mTLS identity (key 0600)
 *   registration/crp.pem, crp.key         CRP encryption pair (key 0600)
 *   registration/crp-previous.pem, .key   the pair before the last renewal
 *   registration/ca-chain.pem             the cloud's CA chain (registration reply)
 *   registration/cloud-ca.pem             the CA the cloud's TLS certificate was
 *                                         verified against at registration
 *   registration/registration.json        connectorId, tenantId, cloud URL,
 *                                         thumbprint of the registered client cert
 *   signing/signing-certs.pem             challenge-signing certificates
 *   connector/outbox.db                   the outbox (SQLite)
 *
 * Folders must not be writable by group or others. */
#ifndef NDES_CONN_STATE_H
#define NDES_CONN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn_state {
	char	*dir;
	char	*reg_dir;
	char	*client_cert, *client_key;
	char	*crp_cert, *crp_key;
	char	*crp_prev_cert, *crp_prev_key;
	char	*ca_chain, *cloud_ca;
	char	*registration;
	char	*signing_dir, *signing_certs;
	char	*connector_dir, *outbox_db;
};

int conn_state_init(struct conn_state *st, const char *state_dir);
void conn_state_clear(struct conn_state *st);

/* A folder that must exist (or is made, 0750, when create) and must not be
 * writable by group or others.  Messages:
 *   "<dir>: state folder is writable by group or others (mode 0777); chmod go-w it"
 *   "<dir>: not a folder", "<dir>: No such file or directory" */
int conn_state_check_dir(const char *path, bool create, char *err, size_t errlen);
/* The state folder and its three subfolders. */
int conn_state_prepare(const struct conn_state *st, bool create, char *err, size_t errlen);

struct conn_registration {
	char	*connector_id;
	char	*tenant_id;
	char	*cloud_url;
	char	*name;
	char	*client_thumbprint;	/* SHA-1, upper-case hex */
	int64_t	 registered_at;		/* seconds since the epoch */
	int64_t	 renewed_at;		/* 0: never */
};

/* 0 loaded, 1 the file does not exist, -1 error (err). */
int conn_registration_load(const char *path, struct conn_registration *reg,
    char *err, size_t errlen);
/* Atomic write, mode 0644. */
int conn_registration_save(const char *path, const struct conn_registration *reg,
    char *err, size_t errlen);
void conn_registration_clear(struct conn_registration *reg);

#endif
