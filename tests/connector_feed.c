/* connector_feed SOCKET COUNT PREFIX [invalid]: acts as ndes-crpd on
 * connector.sock.
 * Sends COUNT failureNotification messages (notification ids and
 * transactionIds PREFIX-1 .. PREFIX-COUNT, bodies as the cloud expects them)
 * one after the other, each waiting for its CONNECTOR_ACK.  Prints
 * "acked N"; exit 0 when all were acked, 3 when the connector refused one
 * (the ERROR is printed), 1 on other failures.  "invalid" leaves callerInfo
 * out of the bodies, so that the cloud refuses them (400). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_client.h"

static int invalid;

static int
feed_one(struct ndes_ipc_client *c, const char *id, char *err, size_t errlen)
{
	char body[512];
	struct ndes_ipc_msg *m = ndes_ipc_msg_new(NDES_IPC_MSG_CONNECTOR_NOTIFICATION,
	    ndes_ipc_client_next_id(c));
	struct ndes_ipc_frame *reply = NULL;
	struct ndes_ipc_reader r;
	const char *s;
	uint32_t code;
	int rc = 1;

	snprintf(body, sizeof(body), "{\"transactionId\":\"%s\",\"certificateRequest\":"
	    "\"MIIBdGVzdA==\",\"hResult\":-2146875374,\"errorDescription\":\"denied by "
	    "the test\"%s}", id, invalid ? "" : ",\"callerInfo\":\"connector_feed\"");
	ndes_ipc_msg_add_str(m, id);
	ndes_ipc_msg_add_str(m, "failureNotification");
	ndes_ipc_msg_add_str(m, body);
	if (ndes_ipc_client_call(c, m, &reply, 10000, err, errlen) == 0) {
		ndes_ipc_frame_reader(reply, &r);
		if (ndes_ipc_frame_type(reply) == NDES_IPC_MSG_CONNECTOR_ACK &&
		    ndes_ipc_get_str(&r, &s, NULL) == 0 && strcmp(s, id) == 0)
			rc = 0;
		else if (ndes_ipc_frame_type(reply) == NDES_IPC_MSG_ERROR &&
		    ndes_ipc_get_error(&r, &code, &s) == 0) {
			snprintf(err, errlen, "error %u: %s", code, s);
			rc = 3;
		} else
			snprintf(err, errlen, "unexpected reply");
	}
	ndes_ipc_frame_free(reply);
	ndes_ipc_msg_free(m);
	return rc;
}

int
main(int argc, char **argv)
{
	struct ndes_ipc_client *c;
	char err[512] = "", id[128];
	long n, i;
	int rc = 0;

	if (argc < 4 || argc > 5 || (n = strtol(argv[2], NULL, 10)) < 1 ||
	    (argc == 5 && strcmp(argv[4], "invalid") != 0)) {
		fprintf(stderr, "usage: connector_feed SOCKET COUNT PREFIX [invalid]\n");
		return 2;
	}
	invalid = argc == 5;
	if ((c = ndes_ipc_client_connect(argv[1], 5000, err, sizeof(err))) == NULL) {
		fprintf(stderr, "connector_feed: %s\n", err);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s-%ld", argv[3], i + 1);
		if ((rc = feed_one(c, id, err, sizeof(err))) != 0)
			break;
	}
	printf("acked %ld\n", i);
	if (rc != 0)
		printf("refused: %s\n", err);
	ndes_ipc_client_free(c);
	return rc;
}
