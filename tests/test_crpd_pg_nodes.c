/* Two ndes-crpd nodes of one tenant on one PostgreSQL challenge store (a
 * real server started by the test): 50 challenges, each raced by two keys
 * from 16 clients split across the nodes.  Exactly one key wins each; the
 * other is a replay (20501 + 0x0000100A) on whichever node it went to; the
 * winner may retry on the other node until issuance, and once node A was
 * notified of the issuance node B refuses it too. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/crpd_harness.h"
#include "lib/pg_harness.h"
#include "lib/testpki.h"

enum { CHALLENGES = 50, KEYS = 2, CLIENTS = 16, REQUESTS = CHALLENGES * KEYS };

struct request {
	char		 id[64];
	EVP_PKEY	*key;
	uint8_t		*csr;
	size_t		 csr_len;
	int		 client;	/* clients below CLIENTS / 2 go to node A */
	/* the answer */
	bool		 verified;
	uint32_t	 event_id, code;
};

static struct pg_h *pg;
static struct crpd_h *a, *b;
static struct request reqs[REQUESTS];
static char *yaml;

static void
setup(void)
{
	pg = pg_h_start(NULL);
	yaml = pg_h_crpd_store(pg, "nodes-test-password", "nodes-test-password", 0600);
	a = crpd_h_new(&(struct crpd_h_opts){ .extra_yaml = yaml });
	b = crpd_h_new(&(struct crpd_h_opts){ .extra_yaml = yaml });
	crpd_h_share_pki(b, a);
	crpd_h_spawn(a);
	crpd_h_spawn(b);
	crpd_h_wait_ready(a);
	crpd_h_wait_ready(b);
}

static void
teardown(void)
{
	crpd_h_finish(&a);
	crpd_h_finish(&b);
	for (int i = 0; i < REQUESTS; i++) {
		EVP_PKEY_free(reqs[i].key);
		OPENSSL_free(reqs[i].csr);
	}
	free(yaml);
	pg_h_free(pg);
}

TestSuite(crpd_pg_nodes, .init = setup, .fini = teardown, .timeout = 60);

static struct crpd_h *
node_of(int client)
{
	return client < CLIENTS / 2 ? a : b;
}

/* Challenge i's two requests: key 0 from client i % 16, key 1 from client
 * (7i + 3) % 16, so that some races are within a node, most across. */
static void
mint(void)
{
	struct ndes_challenge_claims c;

	for (int i = 0; i < CHALLENGES; i++) {
		for (int k = 0; k < KEYS; k++) {
			struct request *r = &reqs[i * KEYS + k];

			snprintf(r->id, sizeof(r->id), "0000a11c-0000-4000-8000-%012d", i);
			crpd_h_claims(&c, r->id);
			r->key = testpki_key("ec-p256");
			r->csr = crpd_h_csr_for(a, &c, r->key, &r->csr_len);
			r->client = k == 0 ? i % CLIENTS : (7 * i + 3) % CLIENTS;
		}
	}
}

/* One client: its requests in challenge order, one line per answer on fd. */
static void
client_main(int client, int fd)
{
	struct crpd_h_reply rep;
	char line[128], txn[64];
	int n;

	for (int j = 0; j < REQUESTS; j++) {
		if (reqs[j].client != client)
			continue;
		snprintf(txn, sizeof(txn), "race-%d", j);
		if (crpd_h_try_verify(node_of(client)->sock, reqs[j].csr, reqs[j].csr_len, txn,
		    &rep) == -1)
			_exit(3);
		n = snprintf(line, sizeof(line), "%d %d %u %u\n", j, rep.verified ? 1 : 0,
		    rep.event_id, rep.code);
		if (write(fd, line, (size_t)n) != n)
			_exit(4);
	}
	_exit(0);
}

static void
race(void)
{
	pid_t pids[CLIENTS];
	int fds[2], j, v, status;
	unsigned ev, code;
	FILE *f;

	cr_assert_eq(pipe(fds), 0);
	for (int c = 0; c < CLIENTS; c++) {
		cr_assert_neq((pids[c] = fork()), -1);
		if (pids[c] == 0) {
			close(fds[0]);
			client_main(c, fds[1]);
		}
	}
	close(fds[1]);
	cr_assert_not_null((f = fdopen(fds[0], "r")));
	while (fscanf(f, "%d %d %u %u", &j, &v, &ev, &code) == 4) {
		cr_assert(j >= 0 && j < REQUESTS);
		reqs[j].verified = v == 1;
		reqs[j].event_id = ev;
		reqs[j].code = code;
	}
	fclose(f);
	for (int c = 0; c < CLIENTS; c++) {
		cr_assert_eq(waitpid(pids[c], &status, 0), pids[c]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "client %d: 0x%x", c,
		    status);
	}
}

/* The winner of challenge i (the request index), asserting the other was
 * refused as a replay. */
static int
winner(int i)
{
	struct request *r0 = &reqs[i * KEYS], *r1 = &reqs[i * KEYS + 1];
	struct request *loser = r0->verified ? r1 : r0;

	cr_assert(r0->verified != r1->verified, "challenge %d: verified %d and %d (%u 0x%08X, "
	    "%u 0x%08X)", i, r0->verified, r1->verified, r0->event_id, r0->code, r1->event_id,
	    r1->code);
	cr_assert(loser->event_id == 20501 && loser->code == 0x100A,
	    "challenge %d: the loser got %u 0x%08X", i, loser->event_id, loser->code);
	return r0->verified ? i * KEYS : i * KEYS + 1;
}

static void
expect(struct crpd_h *h, const struct request *r, const char *txn, bool verified,
    const char *reason)
{
	struct crpd_h_reply rep;

	crpd_h_verify(h, r->csr, r->csr_len, txn, &rep);
	cr_assert_eq(rep.verified, verified, "%s on %s: %u 0x%08X %s", txn,
	    h == a ? "node A" : "node B", rep.event_id, rep.code, rep.reason);
	if (!verified)
		cr_assert(rep.event_id == 20501 && rep.code == 0x100A &&
		    strstr(rep.reason, reason) != NULL, "%s: %u 0x%08X %s", txn, rep.event_id,
		    rep.code, rep.reason);
}

static void
issue_on(struct crpd_h *h, const struct request *r, const char *txn)
{
	struct crpd_h_notify_reply nr;
	uint8_t *cert;
	size_t len;

	cert = crpd_h_issue(r->key, "alice", &len);
	crpd_h_notify(h, NULL, txn, 0, 0, cert, len, "", &nr);
	cr_assert(nr.accepted, "notify on node A: 0x%08X %s", nr.code, nr.message);
	OPENSSL_free(cert);
}

Test(crpd_pg_nodes, one_winner_per_challenge_across_two_nodes)
{
	int cross = 0, w;
	char txn[64];
	json_t *arr;

	mint();
	race();
	for (int i = 0; i < CHALLENGES; i++) {
		w = winner(i);
		cross += node_of(reqs[i * KEYS].client) != node_of(reqs[i * KEYS + 1].client);
		/* the winner retries on the other node: the same key may */
		snprintf(txn, sizeof(txn), "retry-%d", i);
		expect(node_of(reqs[w].client) == a ? b : a, &reqs[w], txn, true, NULL);
	}
	cr_assert_geq(cross, CHALLENGES / 2, "only %d races across the nodes", cross);
	cr_assert_eq(pg_h_sql_long(pg, "crpd", "SELECT count(*) FROM crp_challenges"), CHALLENGES);
	for (int i = 0; i < 5; i++) {
		w = winner(i);
		snprintf(txn, sizeof(txn), "retry-%d", i);
		issue_on(a, &reqs[w], txn);
		snprintf(txn, sizeof(txn), "after-issue-%d", i);
		expect(b, &reqs[w], txn, false, "replay after issuance");
	}
	/* no conflict between the nodes' transactions was ever refused */
	arr = crpd_h_events_where(a, "NDES_EVENT_ID", "20502", 0);
	cr_assert_eq(json_array_size(arr), 0, "node A: %zu events 20502", json_array_size(arr));
	json_decref(arr);
	arr = crpd_h_events_where(b, "NDES_EVENT_ID", "20502", 0);
	cr_assert_eq(json_array_size(arr), 0, "node B: %zu events 20502", json_array_size(arr));
	json_decref(arr);
}
