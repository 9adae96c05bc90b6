/* The `metrics:` configuration section (metrics_config.h). */
#include "metrics_config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
listen_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

bool
ndes_metrics_listen_tcp(const char *listen, char *host, size_t hostlen, unsigned *port)
{
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hl;
	char *end;
	long p;

	if (colon == NULL || colon[1] == '\0')
		return false;
	hl = (size_t)(colon - listen);
	if (h[0] == '[') {
		if (hl < 2 || h[hl - 1] != ']')
			return false;
		h++;
		hl -= 2;
	}
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 0 || p > 65535 || hl == 0 || hl >= hostlen)
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return listen_loopback(host);
}

static const char *
metrics_listen_validate(const void *value, char *buf, size_t buflen)
{
	const char *listen = *(char *const *)value;
	char host[256];
	unsigned port;

	if (listen == NULL || listen[0] == '/' ||
	    ndes_metrics_listen_tcp(listen, host, sizeof(host), &port))
		return NULL;
	snprintf(buf, buflen, "\"%s\" is not a loopback HOST:PORT (127.0.0.1:9464, [::1]:9464, "
	    "localhost:9464) or a Unix socket path: the metrics have no authentication",
	    listen);
	return buf;
}

static const struct ndes_config_field metrics_fields[] = {
	NDES_CFG_STRING("listen", struct ndes_metrics_cfg, listen,
	    NDES_CFG_VALIDATE(metrics_listen_validate)),
};
const struct ndes_config_schema ndes_metrics_cfg_schema =
    NDES_CFG_SCHEMA(struct ndes_metrics_cfg, metrics_fields);
