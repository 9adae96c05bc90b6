/* HTTP/1.1 response reading for the client: status line, headers, body by
 * Content-Length, chunks or until close.  See http_client.h. */
#include "http_client_priv.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/http.h>

/* Status line plus headers, and any one line of the chunked framing. */
#define RESP_HEAD_MAX 65536

static int
resp_fail(struct http_call *call, const char *what)
{
	ndes_err_set(call->errmsg, sizeof(call->errmsg), "malformed HTTP response: %s", what);
	return -1;
}

/* One line, or NULL (with *rc set: 0 wait, -1 too long). */
static char *
resp_line(struct http_call *call, struct evbuffer *in, int *rc)
{
	size_t n;
	char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);

	*rc = 0;
	if (line == NULL) {
		if (call->head_bytes + evbuffer_get_length(in) > RESP_HEAD_MAX)
			*rc = resp_fail(call, "header section too large");
		return NULL;
	}
	call->head_bytes += n + 2;
	if (call->head_bytes > RESP_HEAD_MAX || strlen(line) != n) {
		free(line);
		*rc = resp_fail(call, call->head_bytes > RESP_HEAD_MAX ? "header section too large" :
		    "NUL in header section");
		return NULL;
	}
	return line;
}

static int
resp_status_line(struct http_call *call, const char *line)
{
	int major, minor, status, used = 0;

	if (sscanf(line, "HTTP/%1d.%1d %3d%n", &major, &minor, &status, &used) != 3 ||
	    major != 1 || status < 100 || status > 599 || (line[used] != ' ' && line[used] != '\0'))
		return resp_fail(call, "bad status line");
	call->status = status;
	return 0;
}

static int
resp_header_line(struct http_call *call, char *line)
{
	char *colon = strchr(line, ':'), *value;

	if (line[0] == ' ' || line[0] == '\t' || colon == NULL || colon == line)
		return resp_fail(call, "bad header line");
	*colon = '\0';
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		;
	for (char *end = value + strlen(value); end > value && (end[-1] == ' ' ||
	    end[-1] == '\t'); end--)
		end[-1] = '\0';
	if (evhttp_add_header(&call->headers, line, value) != 0)
		return resp_fail(call, "bad header line");
	return 0;
}

static int
resp_parse_length(const char *text, uint64_t *out)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* After the blank line: choose how the body is delimited. */
static int
resp_body_mode(struct http_call *call, size_t max)
{
	const char *te = evhttp_find_header(&call->headers, "Transfer-Encoding");
	const char *cl = evhttp_find_header(&call->headers, "Content-Length");

	if (call->head_request || call->status == 204 || call->status == 304) {
		call->rstate = RESP_DONE;
	} else if (te != NULL) {
		if (strcasecmp(te, "chunked") != 0)
			return resp_fail(call, "unsupported Transfer-Encoding");
		call->rstate = RESP_CHUNK_SIZE;
	} else if (cl != NULL) {
		if (resp_parse_length(cl, &call->remaining) != 0)
			return resp_fail(call, "bad Content-Length");
		if (call->remaining > max)
			return resp_fail(call, "body too large");
		call->rstate = call->remaining ? RESP_BODY_LENGTH : RESP_DONE;
	} else {
		call->rstate = RESP_BODY_EOF;
	}
	return 0;
}

/* Status line and headers; 1xx interim responses are skipped. */
static int
resp_head_step(struct http_call *call, struct evbuffer *in, size_t max, bool proxy)
{
	int rc = 0;
	char *line = resp_line(call, in, &rc);

	if (line == NULL)
		return rc;
	if (call->rstate == RESP_STATUS) {
		rc = resp_status_line(call, line);
		call->rstate = RESP_HEADERS;
	} else if (line[0] != '\0') {
		rc = resp_header_line(call, line);
	} else if (proxy) {
		call->rstate = RESP_DONE;
	} else if (call->status < 200) {
		evhttp_clear_headers(&call->headers);
		call->rstate = RESP_STATUS;
	} else {
		rc = resp_body_mode(call, max);
	}
	free(line);
	return rc;
}

static int
resp_body_add(struct http_call *call, struct evbuffer *in, size_t n, size_t max)
{
	if (evbuffer_get_length(call->body) + n > max)
		return resp_fail(call, "body too large");
	if (evbuffer_remove_buffer(in, call->body, n) != (int)n)
		return resp_fail(call, "out of memory");
	return 0;
}

static int
resp_chunk_size(struct http_call *call, struct evbuffer *in, size_t max)
{
	int rc;
	char *end, *line = resp_line(call, in, &rc);

	if (line == NULL)
		return rc;
	errno = 0;
	call->remaining = strtoull(line, &end, 16);
	if (!isxdigit((unsigned char)line[0]) || errno != 0 ||
	    (*end != '\0' && *end != ';' && *end != ' ')) {
		free(line);
		return resp_fail(call, "bad chunk size");
	}
	free(line);
	if (call->remaining > max)
		return resp_fail(call, "body too large");
	call->rstate = call->remaining ? RESP_CHUNK_DATA : RESP_TRAILERS;
	return 0;
}

/* One step of the body; -1, 0 (need more input) or 1 (progress made). */
static int
resp_body_step(struct http_call *call, struct evbuffer *in, size_t max)
{
	size_t avail = evbuffer_get_length(in), n;
	int rc;
	char *line;

	switch (call->rstate) {
	case RESP_BODY_EOF:
	case RESP_BODY_LENGTH:
	case RESP_CHUNK_DATA:
		n = call->rstate == RESP_BODY_EOF || avail < call->remaining ?
		    avail : (size_t)call->remaining;
		if (n == 0 || resp_body_add(call, in, n, max) != 0)
			return n == 0 ? 0 : -1;
		if (call->rstate != RESP_BODY_EOF && (call->remaining -= n) == 0)
			call->rstate = call->rstate == RESP_BODY_LENGTH ? RESP_DONE : RESP_CHUNK_END;
		return 1;
	case RESP_CHUNK_SIZE:
		call->head_bytes = 0;
		if (resp_chunk_size(call, in, max) != 0)
			return -1;
		return evbuffer_get_length(in) != avail;
	default: /* RESP_CHUNK_END, RESP_TRAILERS */
		call->head_bytes = 0;
		if ((line = resp_line(call, in, &rc)) == NULL)
			return rc;
		if (call->rstate == RESP_CHUNK_END && line[0] != '\0')
			rc = resp_fail(call, "chunk not followed by CRLF");
		else if (call->rstate == RESP_CHUNK_END)
			call->rstate = RESP_CHUNK_SIZE;
		else if (line[0] == '\0')
			call->rstate = RESP_DONE;
		free(line);
		return rc < 0 ? -1 : 1;
	}
}

int
http_resp_parse(struct http_call *call, struct evbuffer *in, size_t max)
{
	int rc;

	while (call->rstate != RESP_DONE) {
		if (call->rstate <= RESP_HEADERS) {
			size_t before = evbuffer_get_length(in);

			if (resp_head_step(call, in, max, false) != 0)
				return -1;
			if (evbuffer_get_length(in) == before)
				return 0;
			continue;
		}
		if ((rc = resp_body_step(call, in, max)) <= 0)
			return rc;
	}
	return 1;
}

int
http_resp_parse_head(struct http_call *call, struct evbuffer *in, size_t max)
{
	while (call->rstate != RESP_DONE) {
		size_t before = evbuffer_get_length(in);

		if (resp_head_step(call, in, max, true) != 0)
			return -1;
		if (evbuffer_get_length(in) == before)
			return 0;
	}
	return 1;
}

int
http_resp_eof(struct http_call *call)
{
	if (call->rstate == RESP_BODY_EOF)
		call->rstate = RESP_DONE;
	return call->rstate == RESP_DONE;
}
