/* libFuzzer target: the HTTP client's response parser
 * (common/http_client_resp.c), what every cloud or proxy answer goes
 * through before the connector reads a byte of it.
 *
 * Input: one mode byte, then the bytes the server sends.  Mode 'H': the
 * answer to a HEAD request; 'P': a proxy's answer to CONNECT
 * (http_resp_parse_head); anything else: the answer to a GET or POST.
 *
 * The bytes are parsed twice: in one piece, and cut into pieces whose sizes
 * come from a hash of the input (as they arrive from a socket), with the
 * end of the connection after the last.  Invariants: both give the same
 * outcome (done, waiting, malformed), status, headers and body; a done
 * response has a status 100-599 and a body within the limit, exactly
 * Content-Length bytes when one was given; a malformed one has a message. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "http_client_priv.h"

#define RESP_FUZZ_MAX_BODY 8192

struct outcome {
	int rc;			/* 1 done, 0 waiting, -1 malformed */
	int status;
	struct http_call *call;
};

static struct http_call *
call_new(bool head)
{
	struct http_call *call = calloc(1, sizeof(*call));

	FUZZ_CHECK(call != NULL);
	TAILQ_INIT(&call->headers);
	call->body = evbuffer_new();
	call->head_request = head;
	call->fd = -1;
	return call;
}

static void
call_free(struct http_call *call)
{
	evbuffer_free(call->body);
	evhttp_clear_headers(&call->headers);
	free(call);
}

static int
feed(struct http_call *call, struct evbuffer *in, bool proxy)
{
	if (proxy)
		return http_resp_parse_head(call, in, 0);
	return http_resp_parse(call, in, RESP_FUZZ_MAX_BODY);
}

/* Feed the pieces, then the end of the connection. */
static struct outcome
parse(const uint8_t *data, size_t size, bool head, bool proxy, uint32_t cut_seed)
{
	struct outcome o = { 0, 0, call_new(head) };
	struct evbuffer *in = evbuffer_new();
	uint32_t x = cut_seed | 1;
	size_t off = 0, n;

	while (off < size && o.rc == 0) {
		n = size - off;
		if (cut_seed != 0) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			n = 1 + x % (n < 97 ? n : 97);
		}
		evbuffer_add(in, data + off, n);
		off += n;
		o.rc = feed(o.call, in, proxy);
	}
	if (o.rc == 0 && !proxy)
		o.rc = http_resp_eof(o.call) ? 1 : 0;
	o.status = o.call->status;
	evbuffer_free(in);
	return o;
}

static void
check_same_headers(struct evkeyvalq *a, struct evkeyvalq *b)
{
	struct evkeyval *x = TAILQ_FIRST(a), *y = TAILQ_FIRST(b);

	for (; x != NULL && y != NULL; x = TAILQ_NEXT(x, next), y = TAILQ_NEXT(y, next))
		FUZZ_CHECK(strcmp(x->key, y->key) == 0 && strcmp(x->value, y->value) == 0);
	FUZZ_CHECK(x == NULL && y == NULL);
}

static void
check_done(struct outcome *o, bool head, bool proxy)
{
	size_t len = evbuffer_get_length(o->call->body);
	const char *cl = evhttp_find_header(&o->call->headers, "Content-Length");
	const char *te = evhttp_find_header(&o->call->headers, "Transfer-Encoding");

	FUZZ_CHECK(o->status >= 100 && o->status <= 599);
	FUZZ_CHECK(proxy || o->status >= 200);
	FUZZ_CHECK(len <= RESP_FUZZ_MAX_BODY);
	if (proxy || head || o->status == 204 || o->status == 304)
		FUZZ_CHECK(len == 0);
	else if (te == NULL && cl != NULL)
		FUZZ_CHECK(strtoull(cl, NULL, 10) == len);
	else if (te != NULL)
		FUZZ_CHECK(strcasecmp(te, "chunked") == 0);
}

static uint32_t
hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h != 0 ? h : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool head, proxy;
	struct outcome whole, cut;

	if (size < 1)
		return 0;
	head = data[0] == 'H';
	proxy = data[0] == 'P';
	whole = parse(data + 1, size - 1, head, proxy, 0);
	cut = parse(data + 1, size - 1, head, proxy, hash(data, size));
	FUZZ_CHECK(whole.rc == cut.rc);
	if (whole.rc == -1)
		FUZZ_CHECK(whole.call->errmsg[0] != '\0' && cut.call->errmsg[0] != '\0');
	if (whole.rc == 1) {
		FUZZ_CHECK(whole.status == cut.status);
		check_same_headers(&whole.call->headers, &cut.call->headers);
		FUZZ_CHECK(evbuffer_get_length(whole.call->body) ==
		    evbuffer_get_length(cut.call->body));
		FUZZ_CHECK(evbuffer_get_length(whole.call->body) == 0 ||
		    memcmp(evbuffer_pullup(whole.call->body, -1),
		    evbuffer_pullup(cut.call->body, -1),
		    evbuffer_get_length(whole.call->body)) == 0);
		check_done(&whole, head, proxy);
	}
	call_free(whole.call);
	call_free(cut.call);
	return 0;
}
