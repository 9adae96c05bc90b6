/* ndes-crpd test harness: a stand-in connector on connector.sock. */
#include "crpd_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"

struct stub_conn {
	int	 fd;
	uint8_t	*buf;
	size_t	 len;
};

static void
stub_record(FILE *out, struct ndes_ipc_reader *r, int fd, uint32_t request_id, bool ack)
{
	const char *id, *kind, *body;
	json_t *rec;
	struct ndes_ipc_msg *m;
	const uint8_t *frame;
	size_t len;

	if (ndes_ipc_get_str(r, &id, NULL) || ndes_ipc_get_str(r, &kind, NULL) ||
	    ndes_ipc_get_str(r, &body, NULL) || ndes_ipc_reader_end(r))
		_exit(3);
	rec = json_pack("{s:s, s:s, s:s}", "id", id, "kind", kind, "body", body);
	json_dumpf(rec, out, JSON_COMPACT);
	fputc('\n', out);
	fflush(out);
	json_decref(rec);
	if (!ack)
		return;
	m = ndes_ipc_msg_new(NDES_IPC_MSG_CONNECTOR_ACK, request_id);
	ndes_ipc_msg_add_str(m, id);
	frame = ndes_ipc_msg_frame(m, &len);
	if (write(fd, frame, len) != (ssize_t)len)
		_exit(4);
	ndes_ipc_msg_free(m);
}

/* Handle every whole frame in c->buf. */
static void
stub_frames(FILE *out, struct stub_conn *c, bool ack)
{
	struct ndes_ipc_header hdr;
	struct ndes_ipc_reader r;
	size_t flen;

	while (ndes_ipc_frame_parse(c->buf, c->len, &hdr, &flen) == NDES_IPC_PARSE_OK) {
		ndes_ipc_reader_init(&r, c->buf + NDES_IPC_HEADER_LEN, hdr.payload_len);
		if (hdr.type == NDES_IPC_MSG_CONNECTOR_NOTIFICATION)
			stub_record(out, &r, c->fd, hdr.request_id, ack);
		memmove(c->buf, c->buf + flen, c->len - flen);
		c->len -= flen;
	}
}

static void
stub_serve(int lfd, FILE *out, bool ack)
{
	struct stub_conn c = { -1, malloc(NDES_IPC_MAX_FRAME), 0 };
	ssize_t n;

	for (;;) {
		if (c.fd == -1) {
			c.fd = accept(lfd, NULL, NULL);
			c.len = 0;
			continue;
		}
		n = read(c.fd, c.buf + c.len, NDES_IPC_MAX_FRAME - c.len);
		if (n <= 0) {
			close(c.fd);
			c.fd = -1;
			continue;
		}
		c.len += (size_t)n;
		stub_frames(out, &c, ack);
	}
}

pid_t
crpd_h_connector_start(struct crpd_h *h, bool ack)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *path = crpd_h_path(h, "received.jsonl");
	int lfd, pipefd[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		FILE *out = fopen(path, "a");

		close(pipefd[0]);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", h->connector_sock);
		unlink(h->connector_sock);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (out == NULL || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    listen(lfd, 8) == -1)
			_exit(2);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(2);
		stub_serve(lfd, out, ack);
		_exit(0);
	}
	close(pipefd[1]);
	cr_assert_eq(read(pipefd[0], &c, 1), 1, "stand-in connector did not start");
	close(pipefd[0]);
	free(path);
	return pid;
}

void
crpd_h_connector_stop(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

json_t *
crpd_h_connector_received(struct crpd_h *h, size_t want)
{
	char *path = crpd_h_path(h, "received.jsonl");
	json_t *arr = NULL;
	char line[65536];
	FILE *f;

	for (int i = 0; i < 100; i++) {
		json_decref(arr);
		arr = json_array();
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), f) != NULL)
				json_array_append_new(arr, json_loads(line, 0, NULL));
			fclose(f);
		}
		if (json_array_size(arr) >= want)
			break;
		usleep(50000);
	}
	free(path);
	return arr;
}

long
crpd_h_sql_count(struct crpd_h *h, const char *sql)
{
	char *cmd;
	FILE *p;
	long n = -1;

	cr_assert_neq(asprintf(&cmd, "sqlite3 '%s/crp/state.db' '%s'", h->dir, sql), -1);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%ld", &n), 1, "%s gave no number", cmd);
	pclose(p);
	free(cmd);
	return n;
}
