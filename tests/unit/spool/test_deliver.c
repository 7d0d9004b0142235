/*
 * test_deliver.c - the parts of delivery that need no Integrify: the
 * backoff schedule, and v7 claims on one host (the spool) and on several
 * (Redis, a real redis-server this program starts on a unix socket, with
 * two spools and two shm files as two hosts), and the reference marks that
 * keep a form replayed on another host from being started twice.  (A record's fields mapped
 * back onto its form: test_spoolrec.c.  Attempts against Integrify are
 * covered by the integration tests with the stand-in.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis.h>

#include "cache/cache.h"
#include "cache/seal.h"
#include "spool/deliver.h"
#include "util/str.h"
#include "t.h"
#include "redis_server.h"

#define REF_A	"AAAA-0000-0001"
#define REF_B	"BBBB-0000-0002"
#define REF_C	"CCCC-0000-0003"

static void
test_deliver_backoff_doubles_jitters_and_caps(void)
{
	struct intake_config	cfg;
	int64_t			lo, hi;
	long long		a;

	memset(&cfg, 0, sizeof(cfg));
	cfg.spool_retry_base = 2;
	cfg.spool_retry_max = 60;
	for (a = 1; a <= 40; a++) {
		lo = intake_deliver_backoff_ms(&cfg, a, 0);
		hi = intake_deliver_backoff_ms(&cfg, a, UINT32_MAX);
		T_ASSERT(lo >= 1000 && hi <= 60000 && lo <= hi);
	}
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 1, 0), 1000);		/* half of 2 s */
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 2, 0), 2000);		/* half of 4 s */
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 3, 2000), 4000 + 2000 % 4001);
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 30, 0), 30000);	/* capped at 60 s */
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 1000000, 30000), 60000);
}

/* One host: its config, its marks cache (on Redis when sock), its spool. */
struct host {
	struct intake_config	cfg;
	struct intake_ctx	ctx;
	char			spool[512];
};

static void
host_open(struct host *h, const char *dir, const char *name, const char *sock)
{
	struct intake_config	*cfg = &h->cfg;
	struct intake_cache	*marks;
	struct intake_spool	*spool;

	memset(h, 0, sizeof(*h));
	(void)snprintf(cfg->cache_file, sizeof(cfg->cache_file), "%s/%s.shm", dir, name);
	cfg->cache_entries = 64;
	cfg->cache_entry_max = 4096;
	cfg->mark_entries = 64;
	cfg->filtered_entries = 16;
	cfg->spool_max_age = 3600;
	cfg->spool_keep_done = 3600;
	if (sock != NULL) {
		cfg->cache_backend = INTAKE_CACHE_REDIS;
		(void)snprintf(cfg->redis_socket, sizeof(cfg->redis_socket), "%s", sock);
		cfg->redis_timeout_ms = 2000;
		cfg->redis_retry_ms = 20;
		(void)snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "t:");
		memcpy(cfg->redis_seal_key, "0123456789abcdef0123456789abcdef", 32);
	}
	(void)snprintf(h->spool, sizeof(h->spool), "%s/%s.spool", dir, name);
	/* A host's id in the reference marks is its host name and spool, hashed. */
	(void)snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "%s", h->spool);
	cfg->form_token_ttl = 600;
	if (intake_cache_open_marks(cfg, true, &marks) != INTAKE_OK ||
	    intake_spool_open(h->spool, &spool) != INTAKE_OK)
		abort();
	h->ctx.cfg = cfg;
	h->ctx.marks = marks;
	h->ctx.spool = spool;
}

static void
host_close(struct host *h)
{
	intake_cache_close(h->ctx.marks);
	intake_spool_close(h->ctx.spool);
}

/* What ref gets when it claims sid on h (INTAKE_CLAIM__MAX: refused). */
static int
claim_on(struct host *h, const char *sid, const char *ref)
{
	enum intake_spool_claim	got;

	if (intake_deliver_claim(&h->ctx, sid, ref, &got) != INTAKE_OK)
		return -1;
	return (int)got;
}

/* One host, no Redis: the spool decides between its processes. */
static void
test_deliver_claim_one_host_in_the_spool(void)
{
	struct host	a;
	char		dir[256];

	t_mkdtemp(dir, sizeof(dir));
	host_open(&a, dir, "a", NULL);
	T_ASSERT(!intake_deliver_claim_held(&a.ctx, "SID1", REF_A));
	T_EQ_INT(claim_on(&a, "SID1", REF_A), INTAKE_CLAIM_NEW);
	T_ASSERT(intake_deliver_claim_held(&a.ctx, "SID1", REF_A));
	T_ASSERT(!intake_deliver_claim_held(&a.ctx, "SID1", REF_B));
	T_EQ_INT(claim_on(&a, "SID1", REF_A), INTAKE_CLAIM_OURS);
	T_EQ_INT(claim_on(&a, "SID1", REF_B), INTAKE_CLAIM_OTHERS);
	intake_deliver_unclaim(&a.ctx, "SID1", REF_A);
	T_ASSERT(!intake_deliver_claim_held(&a.ctx, "SID1", REF_A));
	T_EQ_INT(claim_on(&a, "SID1", REF_B), INTAKE_CLAIM_NEW);
	host_close(&a);
}

/*
 * Two hosts on one Redis: a request host A claimed is another's on host
 * B, though B's spool never saw it; an unclaim by the wrong submission
 * leaves it; A's unclaim frees it for B.
 */
static void
test_deliver_claim_two_hosts_share_it_in_redis(void)
{
	struct server	sv;
	struct host	a, b;

	memset(&sv, 0, sizeof(sv));
	server_start(&sv, NULL);
	host_open(&a, sv.dir, "a", sv.sock);
	host_open(&b, sv.dir, "b", sv.sock);
	T_EQ_INT(intake_cache_status(a.ctx.marks), INTAKE_CACHE_STATUS_SHARED);
	T_EQ_INT(claim_on(&a, "SID1", REF_A), INTAKE_CLAIM_NEW);
	/* Held, as B sees it too: a crash after the shared write leaves only that. */
	T_ASSERT(intake_deliver_claim_held(&b.ctx, "SID1", REF_A));
	T_ASSERT(!intake_deliver_claim_held(&b.ctx, "SID1", REF_B));
	T_EQ_INT(claim_on(&b, "SID1", REF_B), INTAKE_CLAIM_OTHERS);
	T_EQ_INT(claim_on(&b, "SID1", REF_A), INTAKE_CLAIM_NEW);	/* ours, new on B */
	T_EQ_INT(claim_on(&a, "SID1", REF_A), INTAKE_CLAIM_OURS);
	/* The wrong submission's unclaim does nothing. */
	intake_deliver_unclaim(&b.ctx, "SID1", REF_B);
	T_EQ_INT(claim_on(&b, "SID1", REF_B), INTAKE_CLAIM_OTHERS);
	/* A refused claim leaves no trace in B's spool either. */
	intake_deliver_unclaim(&a.ctx, "SID1", REF_A);
	intake_deliver_unclaim(&b.ctx, "SID1", REF_A);
	T_EQ_INT(claim_on(&b, "SID1", REF_B), INTAKE_CLAIM_NEW);
	T_EQ_INT(claim_on(&a, "SID1", REF_A), INTAKE_CLAIM_OTHERS);
	/* Another request is claimed on its own. */
	T_EQ_INT(claim_on(&a, "SID2", REF_A), INTAKE_CLAIM_NEW);
	host_close(&a);
	host_close(&b);
	server_stop(&sv);
}

/* Two hosts on a Redis that then stops (its log quiet from here). */
static void
redis_down(struct server *sv, struct host *a, struct host *b)
{
	memset(sv, 0, sizeof(*sv));
	server_start(sv, NULL);
	host_open(a, sv->dir, "a", sv->sock);
	host_open(b, sv->dir, "b", sv->sock);
	server_stop(sv);
	t_quiet_stderr();
}

/* Redis started again (empty); both hosts reconnect on their backoff (redis_retry_ms). */
static void
redis_back(struct server *sv, struct host *a, struct host *b)
{
	int	i;

	server_start(sv, NULL);
	for (i = 0; i < 500 && intake_cache_status(b->ctx.marks) != INTAKE_CACHE_STATUS_SHARED;
	    i++)
		t_sleep_ms(10);
	for (i = 0; i < 500 && intake_cache_status(a->ctx.marks) != INTAKE_CACHE_STATUS_SHARED;
	    i++)
		t_sleep_ms(10);
}

/*
 * Redis down: no claim on one host's state (another host could take the
 * same request); the claim is refused, leaves nothing behind, and works
 * again once Redis is back.
 */
static void
test_deliver_claim_refused_while_redis_is_down(void)
{
	struct server	sv;
	struct host	a, b;
	enum intake_spool_claim got;

	redis_down(&sv, &a, &b);
	T_EQ_INT(intake_deliver_claim(&a.ctx, "SID3", REF_A, &got), INTAKE_ECACHE);
	T_EQ_INT(intake_deliver_claim(&b.ctx, "SID3", REF_B, &got), INTAKE_ECACHE);
	T_EQ_INT(intake_cache_status(a.ctx.marks), INTAKE_CACHE_STATUS_FALLBACK);
	redis_back(&sv, &a, &b);
	T_EQ_INT(claim_on(&b, "SID3", REF_B), INTAKE_CLAIM_NEW);
	T_EQ_INT(claim_on(&a, "SID3", REF_A), INTAKE_CLAIM_OTHERS);
	host_close(&a);
	host_close(&b);
	server_stop(&sv);
}

/* Who holds ref's mark, as h sees it (-1: an error). */
static int
mark_on(struct host *h, const char *ref)
{
	enum intake_deliver_mark	mark;

	if (intake_deliver_mark(&h->ctx, ref, &mark) != INTAKE_OK)
		return -1;
	return (int)mark;
}

/*
 * Reference marks: one host (shm) has nothing to share and always holds
 * its own; two hosts on one Redis, the first to mark holds it, the other
 * sees another host's, and only the holder's unmark frees it.
 */
static void
test_deliver_mark_first_host_holds_it(void)
{
	struct server	sv;
	struct host	one, a, b;
	char		dir[256];

	t_mkdtemp(dir, sizeof(dir));
	host_open(&one, dir, "one", NULL);
	T_EQ_INT(mark_on(&one, REF_A), INTAKE_MARK_OURS);
	T_EQ_INT(mark_on(&one, REF_A), INTAKE_MARK_OURS);
	host_close(&one);

	memset(&sv, 0, sizeof(sv));
	server_start(&sv, NULL);
	host_open(&a, sv.dir, "a", sv.sock);
	host_open(&b, sv.dir, "b", sv.sock);
	T_EQ_INT(mark_on(&a, REF_A), INTAKE_MARK_OURS);
	T_EQ_INT(mark_on(&b, REF_A), INTAKE_MARK_OTHERS);
	T_EQ_INT(mark_on(&a, REF_A), INTAKE_MARK_OURS);	/* again: still ours */
	intake_deliver_unmark(&b.ctx, REF_A);			/* not b's: stays */
	T_EQ_INT(mark_on(&b, REF_A), INTAKE_MARK_OTHERS);
	intake_deliver_unmark(&a.ctx, REF_A);
	T_EQ_INT(mark_on(&b, REF_A), INTAKE_MARK_OURS);
	T_EQ_INT(mark_on(&a, REF_A), INTAKE_MARK_OTHERS);
	host_close(&a);
	host_close(&b);
	server_stop(&sv);
}

/*
 * Redis down: a mark cannot be checked (UNSHARED) and none is kept on
 * the host's own store, where no other host would see it; once Redis is
 * back (empty here), the first host to mark holds it.
 */
static void
test_deliver_mark_unshared_while_redis_is_down(void)
{
	struct server	sv;
	struct host	a, b;

	redis_down(&sv, &a, &b);
	/* The first call finds Redis gone: answered UNSHARED, not by the local store. */
	T_EQ_INT(mark_on(&a, REF_B), INTAKE_MARK_UNSHARED);
	T_EQ_INT(mark_on(&a, REF_B), INTAKE_MARK_UNSHARED);
	T_EQ_INT(mark_on(&b, REF_B), INTAKE_MARK_UNSHARED);
	redis_back(&sv, &a, &b);
	T_EQ_INT(mark_on(&b, REF_B), INTAKE_MARK_OURS);
	T_EQ_INT(mark_on(&a, REF_B), INTAKE_MARK_OTHERS);
	host_close(&a);
	host_close(&b);
	server_stop(&sv);
}

/*
 * Upgrading a fleet: a mark written by a version before 128-bit host ids
 * holds the host's whole 64-digit id (its name and spool, SHA-256).  It is
 * still that host's mark after the upgrade, and still another host's for
 * the others.
 */
static void
test_deliver_mark_written_before_the_upgrade_is_still_ours(void)
{
	struct server	 sv;
	struct host	 a, b;
	char		 host[256], buf[1024], legacy[65], aad[64];
	unsigned char	 sealed[64 + INTAKE_SEAL_OVERHEAD];
	size_t		 slen = 0;
	redisContext	*rc;
	redisReply	*r;

	memset(&sv, 0, sizeof(sv));
	server_start(&sv, NULL);
	host_open(&a, sv.dir, "a", sv.sock);
	host_open(&b, sv.dir, "b", sv.sock);
	/* What the older version wrote for host a: the whole digest, sealed. */
	T_EQ_INT(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	(void)snprintf(buf, sizeof(buf), "%s\n%s", host, a.cfg.spool_dir);
	intake_sha256_hex(buf, strlen(buf), legacy);
	/* The key in Redis, also the seal's aad: redis_prefix, the marks' namespace, the key. */
	(void)snprintf(aad, sizeof(aad), "t:m:ref:%s", REF_C);
	T_EQ_INT(intake_seal(a.cfg.redis_seal_key, aad, legacy, 64, sealed, sizeof(sealed), &slen),
	    INTAKE_OK);
	rc = redisConnectUnix(sv.sock);
	T_ASSERT(rc != NULL && rc->err == 0);
	r = redisCommand(rc, "SET %s %b", aad, sealed, slen);
	T_ASSERT(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	redisFree(rc);
	T_EQ_INT(mark_on(&a, REF_C), INTAKE_MARK_OURS);
	T_EQ_INT(mark_on(&b, REF_C), INTAKE_MARK_OTHERS);
	T_EQ_INT(mark_on(&a, REF_C), INTAKE_MARK_OURS);
	host_close(&a);
	host_close(&b);
	server_stop(&sv);
}

int
main(void)
{
	T_RUN(test_deliver_backoff_doubles_jitters_and_caps);
	T_RUN(test_deliver_claim_one_host_in_the_spool);
	T_RUN(test_deliver_claim_two_hosts_share_it_in_redis);
	T_RUN(test_deliver_claim_refused_while_redis_is_down);
	T_RUN(test_deliver_mark_first_host_holds_it);
	T_RUN(test_deliver_mark_unshared_while_redis_is_down);
	T_RUN(test_deliver_mark_written_before_the_upgrade_is_still_ours);
	return T_DONE();
}
