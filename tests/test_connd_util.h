/* Helpers for the unit tests of the daemon's parts (connector/d_*.c, in
 * libconnectord.la): an environment in the test's folder (tc_setup), a
 * clock the test moves, a stand-in for the cloud that records each call and
 * answers it when the test says so, and the events read back from the
 * JSON-lines file they go to. */
#ifndef NDES_TEST_CONND_UTIL_H
#define NDES_TEST_CONND_UTIL_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "d_caller.h"
#include "d_env.h"
#include "state.h"

/* The clock of the environment: starts at the real time. */
extern time_t tcd_time;

struct tcd {
	struct connd_env	 env;
	struct conn_cfg		 cfg;
	struct conn_state	 st;
	char			 events[1024];	/* the events file */
};

/* tc_setup() first.  yaml: lines added to a configuration that keeps
 * everything in the test's folder (state/, connector.sock, crp.sock). */
void tcd_setup(struct tcd *t, const char *yaml);
/* Frees env.ca too. */
void tcd_teardown(struct tcd *t);

/* The stand-in cloud: ready() answers r (0 at first). */
struct connd_caller tcd_caller(void);
void tcd_cloud_ready(int r);
/* Calls waiting for an answer, oldest first: "POST /path" and the body
 * (NULL when none). */
size_t tcd_pending(void);
const char *tcd_pending_call(size_t i);
const char *tcd_pending_body(size_t i);
/* Answer the oldest call: HTTP status with body (NULL: {}), or, with
 * status 0, a connection that could not be made. */
void tcd_answer(int status, const char *body);

/* The events written so far with this ID ("20300") and code ("0x00001204",
 * NULL: any). */
int tcd_events(const struct tcd *t, const char *id, const char *code);

/* A registration in t's state folder: client.key, client.pem (valid from
 * not_before to not_after), registration.json naming it (cloud
 * https://127.0.0.1:9, never called), cloud-ca.pem.  The thumbprint into
 * thumb. */
void tcd_register(struct tcd *t, time_t not_before, time_t not_after, char *thumb,
    size_t thumblen);

#endif
