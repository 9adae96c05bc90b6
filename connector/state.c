/* The state folder layout and registration.json. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"

static char *
join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) == -1)
		return NULL;
	return s;
}

int
conn_state_init(struct conn_state *st, const char *state_dir)
{
	memset(st, 0, sizeof(*st));
	if ((st->dir = strdup(state_dir)) == NULL ||
	    (st->reg_dir = join(state_dir, "registration")) == NULL ||
	    (st->signing_dir = join(state_dir, "signing")) == NULL ||
	    (st->connector_dir = join(state_dir, "connector")) == NULL ||
	    (st->client_cert = join(st->reg_dir, "client.pem")) == NULL ||
	    (st->client_key = join(st->reg_dir, "client.key")) == NULL ||
	    (st->crp_cert = join(st->reg_dir, "crp.pem")) == NULL ||
	    (st->crp_key = join(st->reg_dir, "crp.key")) == NULL ||
	    (st->crp_prev_cert = join(st->reg_dir, "crp-previous.pem")) == NULL ||
	    (st->crp_prev_key = join(st->reg_dir, "crp-previous.key")) == NULL ||
	    (st->ca_chain = join(st->reg_dir, "ca-chain.pem")) == NULL ||
	    (st->cloud_ca = join(st->reg_dir, "cloud-ca.pem")) == NULL ||
	    (st->registration = join(st->reg_dir, "registration.json")) == NULL ||
	    (st->signing_certs = join(st->signing_dir, "signing-certs.pem")) == NULL ||
	    (st->outbox_db = join(st->connector_dir, "outbox.db")) == NULL) {
		conn_state_clear(st);
		return -1;
	}
	return 0;
}

void
conn_state_clear(struct conn_state *st)
{
	char **all[] = { &st->dir, &st->reg_dir, &st->client_cert, &st->client_key,
	    &st->crp_cert, &st->crp_key, &st->crp_prev_cert, &st->crp_prev_key,
	    &st->ca_chain, &st->cloud_ca, &st->registration, &st->signing_dir,
	    &st->signing_certs, &st->connector_dir, &st->outbox_db };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		free(*all[i]);
		*all[i] = NULL;
	}
}

int
conn_state_check_dir(const char *path, bool create, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(path, &sb) == -1) {
		if (errno != ENOENT || !create) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (mkdir(path, 0750) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
			return -1;
		}
		if (stat(path, &sb) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a folder", path);
		return -1;
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "%s: state folder is writable by group or others "
		    "(mode %04o); chmod go-w it", path, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
conn_state_prepare(const struct conn_state *st, bool create, char *err, size_t errlen)
{
	if (conn_state_check_dir(st->dir, create, err, errlen) == -1 ||
	    conn_state_check_dir(st->reg_dir, true, err, errlen) == -1 ||
	    conn_state_check_dir(st->signing_dir, true, err, errlen) == -1 ||
	    conn_state_check_dir(st->connector_dir, true, err, errlen) == -1)
		return -1;
	return 0;
}

static char *
json_strdup(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? strdup(s) : NULL;
}

int
conn_registration_load(const char *path, struct conn_registration *reg,
    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	memset(reg, 0, sizeof(*reg));
	if ((root = json_load_file(path, 0, &jerr)) == NULL) {
		if (access(path, F_OK) == -1 && errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, jerr.text);
		return -1;
	}
	reg->connector_id = json_strdup(root, "connectorId");
	reg->tenant_id = json_strdup(root, "tenantId");
	reg->cloud_url = json_strdup(root, "cloudUrl");
	reg->name = json_strdup(root, "name");
	reg->client_thumbprint = json_strdup(root, "clientThumbprint");
	reg->registered_at = json_integer_value(json_object_get(root, "registeredAt"));
	reg->renewed_at = json_integer_value(json_object_get(root, "renewedAt"));
	json_decref(root);
	if (reg->connector_id == NULL || reg->cloud_url == NULL ||
	    reg->client_thumbprint == NULL) {
		snprintf(err, errlen, "%s: connectorId, cloudUrl or clientThumbprint missing", path);
		conn_registration_clear(reg);
		return -1;
	}
	return 0;
}

int
conn_registration_save(const char *path, const struct conn_registration *reg,
    char *err, size_t errlen)
{
	json_t *root;
	char *text;
	int r;

	root = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I}",
	    "connectorId", reg->connector_id, "tenantId", reg->tenant_id,
	    "cloudUrl", reg->cloud_url, "name", reg->name,
	    "clientThumbprint", reg->client_thumbprint,
	    "registeredAt", (json_int_t)reg->registered_at,
	    "renewedAt", (json_int_t)reg->renewed_at);
	if (root == NULL || (text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		json_decref(root);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	json_decref(root);
	r = ndes_crypto_write_file(path, text, strlen(text), 0644, err, errlen);
	free(text);
	return r;
}

void
conn_registration_clear(struct conn_registration *reg)
{
	free(reg->connector_id);
	free(reg->tenant_id);
	free(reg->cloud_url);
	free(reg->name);
	free(reg->client_thumbprint);
	memset(reg, 0, sizeof(*reg));
}
