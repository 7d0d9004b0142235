/*
 * test_cache_redis.c - lib/cache/redis.c through cache.h, against a real
 * redis-server this program starts on a unix socket in its scratch
 * directory (no network).  Two caches with their own shm files stand for
 * two hosts.  Values, sealing as Redis holds them, set-if-absent, counters
 * and leases across hosts, ACL login, and the fallback to shm while Redis
 * is down.  TLS: the same server also listens on a loopback tls-port with
 * a certificate of a throwaway CA the test makes with the openssl tool;
 * a certificate of another CA, another name, or a missing client
 * certificate is refused (a fallback that says why).
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <hiredis.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "cache/backend.h"
#include "cache/redis_conn.h"
#include "cache/seal.h"
#include "cache/cache.h"
#include "core/log.h"
#include "util/str.h"

#include "t.h"
#include "redis_server.h"

#define LONG_LEASE_MS	60000

static const char token[] = "tok-3f1c9a7e-SECRET-service-account";

/* A config of one "host": its own shm files in dir, Redis at sock. */
static void
host_cfg(struct intake_config *cfg, const char *dir, const char *host, const char *sock)
{
	memset(cfg, 0, sizeof(*cfg));
	(void)snprintf(cfg->cache_file, sizeof(cfg->cache_file), "%s/%s.shm", dir, host);
	cfg->cache_entries = 64;
	cfg->cache_entry_max = 4096;
	cfg->mark_entries = 64;
	cfg->filtered_entries = 16;
	cfg->cache_backend = INTAKE_CACHE_REDIS;
	(void)snprintf(cfg->redis_socket, sizeof(cfg->redis_socket), "%s", sock);
	cfg->redis_timeout_ms = 2000;
	cfg->redis_retry_ms = 20;
	(void)snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "t:");
	memcpy(cfg->redis_seal_key, "0123456789abcdef0123456789abcdef", 32);
}

struct fixture {
	struct server		sv;
	struct intake_config	a_cfg, b_cfg;
	struct intake_cache	*a, *b;		/* two hosts' main caches */
};

static void
setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	server_start(&f->sv, NULL);
	host_cfg(&f->a_cfg, f->sv.dir, "a", f->sv.sock);
	host_cfg(&f->b_cfg, f->sv.dir, "b", f->sv.sock);
	if (intake_cache_open(&f->a_cfg, true, &f->a) != INTAKE_OK ||
	    intake_cache_open(&f->b_cfg, true, &f->b) != INTAKE_OK)
		abort();
	T_EQ_STR(intake_cache_backend_name(f->a), "redis");
}

static void
teardown(struct fixture *f)
{
	intake_cache_close(f->a);
	intake_cache_close(f->b);
	server_stop(&f->sv);
}

/* The raw bytes Redis holds under name (a test's own connection). */
static size_t
raw_get(const struct server *sv, const char *name, char *out, size_t cap)
{
	redisContext	*c = redisConnectUnix(sv->sock);
	redisReply	*r;
	size_t		 n = 0;

	if (c == NULL || c->err != 0)
		abort();
	r = redisCommand(c, "GET %s", name);
	if (r != NULL && r->type == REDIS_REPLY_STRING && r->len <= cap) {
		memcpy(out, r->str, r->len);
		n = r->len;
	}
	freeReplyObject(r);
	redisFree(c);
	return n;
}

static void
raw_set(const struct server *sv, const char *name, const char *val, size_t len)
{
	redisContext	*c = redisConnectUnix(sv->sock);
	redisReply	*r;

	T_ASSERT(c != NULL && c->err == 0);
	r = redisCommand(c, "SET %s %b", name, val, len);
	T_ASSERT(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	redisFree(c);
}

static enum intake_err
get_str(struct intake_cache *c, const char *section, const char *name, char *out,
    size_t outsz, bool *hit)
{
	enum intake_err	err;
	size_t		len = 0;

	*hit = true;
	err = intake_cache_get(c, section, name, out, outsz - 1, &len, hit);
	out[err == INTAKE_OK ? len : 0] = '\0';
	return err;
}

/* Set on host A, read on host B: one shared store. */
static void
test_redis_value_shared_across_hosts(void)
{
	struct fixture	f;
	char		v[128];
	bool		hit;

	setup(&f);
	T_EQ_INT(get_str(f.b, "token", "svc", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_set(f.a, "token", "svc", token, sizeof(token) - 1,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.b, "token", "svc", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(v, token);
	T_EQ_INT(intake_cache_status(f.a), INTAKE_CACHE_STATUS_SHARED);
	teardown(&f);
}

/* What Redis holds is sealed: no token in the raw entry. */
static void
test_redis_raw_entry_holds_no_token(void)
{
	struct fixture	f;
	char		raw[512];
	size_t		n;

	setup(&f);
	T_EQ_INT(intake_cache_set(f.a, "token", "svc", token, sizeof(token) - 1,
	    intake_now_ms() + 60000), INTAKE_OK);
	n = raw_get(&f.sv, "t:c:token:svc", raw, sizeof(raw));
	T_EQ_INT(n, sizeof(token) - 1 + INTAKE_SEAL_OVERHEAD);
	T_ASSERT(memmem(raw, n, "SECRET", 6) == NULL);
	T_ASSERT(memmem(raw, n, "tok-", 4) == NULL);
	teardown(&f);
}

/* An attacker with Redis access copies the token's entry under a list's name. */
static void
test_redis_value_moved_to_other_key_is_a_miss(void)
{
	struct fixture	f;
	char		raw[512], v[128];
	size_t		n;
	bool		hit;

	setup(&f);
	t_quiet_stderr();
	T_EQ_INT(intake_cache_set(f.a, "token", "svc", token, sizeof(token) - 1,
	    intake_now_ms() + 60000), INTAKE_OK);
	n = raw_get(&f.sv, "t:c:token:svc", raw, sizeof(raw));
	T_ASSERT(n > 0);
	raw_set(&f.sv, "t:c:report:list", raw, n);
	T_EQ_INT(get_str(f.b, "report", "list", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	/* Nor does a plaintext value written straight into Redis open. */
	raw_set(&f.sv, "t:c:token:svc", "forged-token", 12);
	T_EQ_INT(get_str(f.b, "token", "svc", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	teardown(&f);
}

/* Host B with another seal key cannot read host A's values. */
static void
test_redis_other_seal_key_is_a_miss(void)
{
	struct fixture	f;
	char		v[128];
	bool		hit;

	setup(&f);
	t_quiet_stderr();
	intake_cache_close(f.b);
	f.b_cfg.redis_seal_key[0] ^= 1;
	T_EQ_INT(intake_cache_open(&f.b_cfg, true, &f.b), INTAKE_OK);
	T_EQ_INT(intake_cache_set(f.a, "token", "svc", token, sizeof(token) - 1,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.b, "token", "svc", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	teardown(&f);
}

static void
test_redis_expiry_and_delete(void)
{
	struct fixture	f;
	char		v[128];
	bool		hit;

	setup(&f);
	T_EQ_INT(intake_cache_set(f.a, "s", "short", "x", 1, intake_now_ms() + 50), INTAKE_OK);
	t_sleep_ms(120);
	T_EQ_INT(get_str(f.b, "s", "short", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "value-1", 7, intake_now_ms() + 60000),
	    INTAKE_OK);
	/* Compare-and-delete: another value stays, the same value goes. */
	T_EQ_INT(intake_cache_del(f.b, "s", "k", "value-2", 7), INTAKE_OK);
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(intake_cache_del(f.b, "s", "k", "value-1", 7), INTAKE_OK);
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_del(f.b, "s", "k", NULL, 0), INTAKE_OK);
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	teardown(&f);
}

static void
test_redis_value_too_big_refused(void)
{
	struct fixture	f;
	static char	big[8192];
	char		v[16];
	bool		hit;

	setup(&f);
	t_quiet_stderr();
	T_EQ_INT(intake_cache_set(f.a, "s", "big", big, sizeof(big), intake_now_ms() + 60000),
	    INTAKE_ETOOBIG);
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "0123456789abcdef", 16,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.a, "s", "k", v, 8, &hit), INTAKE_ETOOBIG);
	teardown(&f);
}

/* A form nonce spent on host A cannot be spent again on host B. */
static void
test_redis_add_once_across_hosts(void)
{
	struct fixture	f;
	bool		added = false;

	setup(&f);
	T_EQ_INT(intake_cache_add(f.a, "nonce", "n1", "r", 1, intake_now_ms() + 60000,
	    &added), INTAKE_OK);
	T_ASSERT(added);
	T_EQ_INT(intake_cache_add(f.b, "nonce", "n1", "r", 1, intake_now_ms() + 60000,
	    &added), INTAKE_OK);
	T_ASSERT(!added);
	T_EQ_INT(intake_cache_add(f.a, "nonce", "n1", "r", 1, intake_now_ms() + 60000,
	    &added), INTAKE_OK);
	T_ASSERT(!added);
	teardown(&f);
}

/* Rate counters count across hosts, read back as shm's native long long. */
static void
test_redis_counter_across_hosts(void)
{
	struct fixture	f;
	long long	n = 0, v = 0;
	size_t		len = 0;
	bool		hit = false;
	int64_t		until = intake_now_ms() + 60000;

	setup(&f);
	T_EQ_INT(intake_cache_incr(f.a, "rate", "c", until, &n), INTAKE_OK);
	T_EQ_INT(n, 1);
	T_EQ_INT(intake_cache_incr(f.b, "rate", "c", until, &n), INTAKE_OK);
	T_EQ_INT(n, 2);
	T_EQ_INT(intake_cache_incr(f.a, "rate", "c", until, &n), INTAKE_OK);
	T_EQ_INT(n, 3);
	T_EQ_INT(intake_cache_get(f.b, "rate", "c", &v, sizeof(v), &len, &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(len, sizeof(v));
	T_EQ_INT(v, 3);
	/* The window ends: the counter starts again. */
	T_EQ_INT(intake_cache_incr(f.a, "rate", "w", intake_now_ms() + 50, &n), INTAKE_OK);
	T_EQ_INT(intake_cache_incr(f.b, "rate", "w", intake_now_ms() + 50, &n), INTAKE_OK);
	T_EQ_INT(n, 2);
	t_sleep_ms(120);
	T_EQ_INT(intake_cache_incr(f.b, "rate", "w", intake_now_ms() + 50, &n), INTAKE_OK);
	T_EQ_INT(n, 1);
	teardown(&f);
}

/* One token fetch across hosts: A leads, B waits until A releases. */
static void
test_redis_lease_single_flight_across_hosts(void)
{
	struct fixture	f;
	bool		leader = false;
	pid_t		pid;

	setup(&f);
	T_EQ_INT(intake_cache_lease(f.a, "token", "svc", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	T_EQ_INT(intake_cache_lease(f.b, "token", "svc", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(!leader);
	T_EQ_INT(intake_cache_wait(f.b, "token", "svc", 100), INTAKE_ETIMEOUT);
	/* Another process's release is not the holder's: the lease stays. */
	pid = t_fork_helper();
	if (pid == 0) {
		int rc;

		(void)intake_cache_child_init(f.b);
		rc = intake_cache_release(f.b, "token", "svc") == INTAKE_OK ? 0 : 1;
		intake_cache_close(f.a);
		intake_cache_close(f.b);
		_exit(rc);
	}
	T_EQ_INT(t_wait_child(pid, 60000), 0);
	T_EQ_INT(intake_cache_lease(f.b, "token", "svc", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(!leader);
	T_EQ_INT(intake_cache_release(f.a, "token", "svc"), INTAKE_OK);
	T_EQ_INT(intake_cache_wait(f.b, "token", "svc", 5000), INTAKE_OK);
	T_EQ_INT(intake_cache_lease(f.b, "token", "svc", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	teardown(&f);
}

/* A waiter on B is woken when the holder on A releases (poll, bounded). */
static void
test_redis_waiter_woken_by_release(void)
{
	struct fixture	f;
	bool		leader = false;
	pid_t		pid;

	setup(&f);
	T_EQ_INT(intake_cache_lease(f.a, "token", "svc", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	pid = t_fork_helper();
	if (pid == 0) {
		int rc;

		(void)intake_cache_child_init(f.b);
		rc = intake_cache_wait(f.b, "token", "svc", 60000) == INTAKE_OK ? 0 : 1;
		intake_cache_close(f.a);
		intake_cache_close(f.b);
		_exit(rc);
	}
	t_sleep_ms(100);
	T_EQ_INT(intake_cache_release(f.a, "token", "svc"), INTAKE_OK);
	T_EQ_INT(t_wait_child(pid, 60000), 0);
	teardown(&f);
}

/* A lease holder killed on this host: the supervisor's reap frees its lease. */
static void
test_redis_dead_holder_reaped(void)
{
	struct fixture	f;
	bool		leader = false;
	pid_t		pid;

	setup(&f);
	pid = t_fork_helper();
	if (pid == 0) {
		bool l = false;
		int rc;

		(void)intake_cache_child_init(f.a);
		rc = intake_cache_lease(f.a, "report", "x", LONG_LEASE_MS, &l) == INTAKE_OK && l ?
		    0 : 1;
		intake_cache_close(f.a);
		intake_cache_close(f.b);
		_exit(rc);
	}
	T_EQ_INT(t_wait_child(pid, 60000), 0);
	T_EQ_INT(intake_cache_lease(f.b, "report", "x", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(!leader);
	t_quiet_stderr();
	intake_cache_reap(f.a, pid);
	T_EQ_INT(intake_cache_lease(f.b, "report", "x", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	teardown(&f);
}

/* Redis is not there at all: every call is answered by this host's shm. */
static void
test_redis_unreachable_falls_back_to_shm(void)
{
	struct intake_config	cfg;
	struct intake_cache	*c;
	char			dir[256], v[128];
	long long		n = 0;
	bool			hit = false, added = false, leader = false;

	t_mkdtemp(dir, sizeof(dir));
	host_cfg(&cfg, dir, "a", "/nonexistent/redis.sock");
	t_quiet_stderr();
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	T_EQ_INT(intake_cache_set(c, "token", "svc", token, sizeof(token) - 1,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(get_str(c, "token", "svc", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(v, token);
	T_EQ_INT(intake_cache_add(c, "nonce", "n", "1", 1, intake_now_ms() + 60000, &added),
	    INTAKE_OK);
	T_ASSERT(added);
	T_EQ_INT(intake_cache_incr(c, "rate", "r", intake_now_ms() + 60000, &n), INTAKE_OK);
	T_EQ_INT(n, 1);
	T_EQ_INT(intake_cache_lease(c, "token", "svc", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	T_EQ_INT(intake_cache_release(c, "token", "svc"), INTAKE_OK);
	T_EQ_INT(intake_cache_wait(c, "token", "svc", 1000), INTAKE_OK);
	intake_cache_close(c);
}

/* Redis dies mid-run and comes back: calls go on, then share again. */
static void
test_redis_killed_and_restarted(void)
{
	struct fixture	f;
	char		v[128];
	bool		hit = false;
	int		i;

	setup(&f);
	t_quiet_stderr();
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "shared", 6, intake_now_ms() + 60000),
	    INTAKE_OK);
	server_stop(&f.sv);
	/* The first call notices (an error answered from shm, not a failure). */
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_status(f.a), INTAKE_CACHE_STATUS_FALLBACK);
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "local", 5, intake_now_ms() + 60000),
	    INTAKE_OK);
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(v, "local");
	server_start(&f.sv, NULL);
	/* Back within the backoff (20 ms doubling; bounded here by tries, not time). */
	for (i = 0; i < 200 && intake_cache_status(f.a) != INTAKE_CACHE_STATUS_SHARED; i++)
		t_sleep_ms(20);
	T_EQ_INT(intake_cache_status(f.a), INTAKE_CACHE_STATUS_SHARED);
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "again", 5, intake_now_ms() + 60000),
	    INTAKE_OK);
	T_EQ_INT(get_str(f.b, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(v, "again");
	teardown(&f);
}

/* Sections per host by nature (upstream slots) never go to Redis. */
static void
test_redis_upstream_slots_stay_per_host(void)
{
	struct fixture	f;
	bool		leader = false;

	setup(&f);
	T_EQ_INT(intake_cache_lease(f.a, "upstream", "slot:0", LONG_LEASE_MS, &leader),
	    INTAKE_OK);
	T_ASSERT(leader);
	T_EQ_INT(intake_cache_lease(f.b, "upstream", "slot:0", LONG_LEASE_MS, &leader),
	    INTAKE_OK);
	T_ASSERT(leader);
	teardown(&f);
}

/* ACL login with user and password; a wrong password is a fallback, not a crash. */
static void
test_redis_acl_user_password(void)
{
	static const char *const acl[] = { "--user", "default", "off", "--user", "intake",
	    "on", ">s3cret-pw", "~*", "+@all", NULL };
	struct server		sv;
	struct intake_config	cfg;
	struct intake_cache	*c;
	char			v[16];
	bool			hit = false;

	memset(&sv, 0, sizeof(sv));
	server_start(&sv, acl);
	host_cfg(&cfg, sv.dir, "a", sv.sock);
	(void)snprintf(cfg.redis_user, sizeof(cfg.redis_user), "intake");
	(void)snprintf(cfg.redis_password, sizeof(cfg.redis_password), "s3cret-pw");
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_SHARED);
	intake_cache_close(c);
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/b.shm", sv.dir);
	(void)snprintf(cfg.redis_password, sizeof(cfg.redis_password), "wrong");
	t_quiet_stderr();
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	T_EQ_INT(get_str(c, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	intake_cache_close(c);
	server_stop(&sv);
}

/*
 * A Redis that stops answering (SIGSTOP) costs a call at most
 * redis_timeout_ms: the call is answered from shm, never hangs.
 */
static void
test_redis_frozen_server_bounded_by_timeout(void)
{
	struct fixture	f;
	char		v[128];
	bool		hit = true;
	int		i;

	setup(&f);
	t_quiet_stderr();
	/* Stored with the fixture's 2 s timeout: a loaded machine cannot make it fall back. */
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "shared", 6, intake_now_ms() + 60000),
	    INTAKE_OK);
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(v, "shared");
	intake_cache_close(f.a);
	f.a_cfg.redis_timeout_ms = 100;
	T_EQ_INT(intake_cache_open(&f.a_cfg, true, &f.a), INTAKE_OK);
	T_EQ_INT(kill(f.sv.pid, SIGSTOP), 0);
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_set(f.a, "s", "k", "local", 5, intake_now_ms() + 60000),
	    INTAKE_OK);
	T_EQ_INT(get_str(f.a, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_EQ_STR(v, "local");
	T_EQ_INT(kill(f.sv.pid, SIGCONT), 0);
	for (i = 0; i < 500; i++) {
		if (get_str(f.a, "s", "k", v, sizeof(v), &hit) == INTAKE_OK && hit &&
		    strcmp(v, "shared") == 0)
			break;
		t_sleep_ms(20);
	}
	T_EQ_STR(v, "shared");
	teardown(&f);
}

/* --- TLS ------------------------------------------------------------- */

struct tls_pki {
	char	dir[256];
	char	ca[300], other_ca[300];			/* CA certificates (PEM) */
	char	srv_crt[300], srv_key[300];		/* localhost, 127.0.0.1 */
	char	cli_crt[300], cli_key[300];		/* a client of ca */
	char	rogue_crt[300], rogue_key[300];		/* localhost, but of other_ca */
};

/* Run the openssl tool with argv (NULL-terminated); abort if it fails. */
static void
run_openssl(const char *const *argv)
{
	pid_t	pid = t_fork_helper();
	int	fd;

	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		if (fd != -1) {
			(void)dup2(fd, STDOUT_FILENO);
			(void)dup2(fd, STDERR_FILENO);
			(void)close(fd);
		}
		execvp("openssl", (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (t_wait_child(pid, 60000) != 0) {
		fprintf(stdout, "# openssl %s failed\n", argv[1]);
		abort();
	}
}

/* A self-signed CA named cn: dir/cn.crt and dir/cn.key. */
static void
make_ca(const char *dir, const char *cn, char *crt, size_t crtsz)
{
	char	key[300], subj[64];
	const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-subj", subj,
	    "-days", "2", NULL };

	(void)snprintf(key, sizeof(key), "%s/%s.key", dir, cn);
	(void)snprintf(crt, crtsz, "%s/%s.crt", dir, cn);
	(void)snprintf(subj, sizeof(subj), "/CN=%s", cn);
	run_openssl(argv);
}

/* A leaf named cn signed by the CA ca (its key beside it), with the given SAN. */
static void
make_leaf(const char *dir, const char *cn, const char *ca, const char *san, char *crt,
    size_t crtsz, char *key, size_t keysz)
{
	char	cakey[300], subj[64], ext[128];
	const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-subj", subj,
	    "-days", "2", "-CA", ca, "-CAkey", cakey, "-addext",
	    "basicConstraints=critical,CA:FALSE", "-addext", ext, NULL };
	size_t	n = strlen(ca);

	(void)snprintf(cakey, sizeof(cakey), "%.*s.key", (int)(n - 4), ca);
	(void)snprintf(key, keysz, "%s/%s.key", dir, cn);
	(void)snprintf(crt, crtsz, "%s/%s.crt", dir, cn);
	(void)snprintf(subj, sizeof(subj), "/CN=%s", cn);
	(void)snprintf(ext, sizeof(ext), "subjectAltName=%s", san);
	run_openssl(argv);
}

/* Two CAs; a server and a client of the first, a rogue server of the second. */
static void
make_pki(struct tls_pki *p)
{
	memset(p, 0, sizeof(*p));
	t_mkdtemp(p->dir, sizeof(p->dir));
	make_ca(p->dir, "intake-test-ca", p->ca, sizeof(p->ca));
	make_ca(p->dir, "other-ca", p->other_ca, sizeof(p->other_ca));
	make_leaf(p->dir, "server", p->ca, "DNS:localhost,IP:127.0.0.1", p->srv_crt,
	    sizeof(p->srv_crt), p->srv_key, sizeof(p->srv_key));
	make_leaf(p->dir, "client", p->ca, "DNS:intake-client", p->cli_crt, sizeof(p->cli_crt),
	    p->cli_key, sizeof(p->cli_key));
	make_leaf(p->dir, "rogue", p->other_ca, "DNS:localhost,IP:127.0.0.1", p->rogue_crt,
	    sizeof(p->rogue_crt), p->rogue_key, sizeof(p->rogue_key));
}

/* A loopback TCP port nobody listens on just now. */
static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		abort();
	port = ntohs(sin.sin_port);
	(void)close(fd);
	return port;
}

/*
 * redis-server on its unix socket (the test's raw view) and on a TLS
 * port with crt/key; clients must show a certificate of p->ca when
 * auth_clients.
 */
static int
tls_server_start(struct server *sv, const struct tls_pki *p, const char *crt,
    const char *key, bool auth_clients)
{
	char		port[16];
	const char	*extra[] = { "--tls-port", port, "--bind", "127.0.0.1",
	    "--tls-cert-file", crt, "--tls-key-file", key, "--tls-ca-cert-file", p->ca,
	    "--tls-auth-clients", auth_clients ? "yes" : "no", NULL };
	int		n = free_port();

	(void)snprintf(port, sizeof(port), "%d", n);
	memset(sv, 0, sizeof(*sv));
	server_start(sv, extra);
	return n;
}

/* Host cfg of a TLS Redis at 127.0.0.1:port, trusting ca. */
static void
tls_cfg(struct intake_config *cfg, const char *dir, const char *host, int port,
    const char *ca)
{
	host_cfg(cfg, dir, host, "");
	(void)snprintf(cfg->redis_host, sizeof(cfg->redis_host), "127.0.0.1");
	cfg->redis_port = port;
	cfg->redis_tls = true;
	(void)snprintf(cfg->redis_tls_ca_file, sizeof(cfg->redis_tls_ca_file), "%s", ca);
}

/* This process's log lines go to dir/intake.log (read back by log_text). */
static void
log_to(const char *dir, char *path, size_t pathsz)
{
	char	msg[256];

	(void)snprintf(path, pathsz, "%s/intake.log", dir);
	if (intake_log_open(path, msg, sizeof(msg)) != INTAKE_OK)
		abort();
}

static void
log_text(const char *path, char *out, size_t outsz)
{
	FILE	*f = fopen(path, "r");
	size_t	 n = 0;

	if (f != NULL) {
		n = fread(out, 1, outsz - 1, f);
		(void)fclose(f);
	}
	out[n] = '\0';
}

/* Over TLS, as over the unix socket: one store for both hosts, sealed. */
static void
test_redis_tls_shared_across_hosts(void)
{
	struct tls_pki		p;
	struct server		sv;
	struct intake_config	a_cfg, b_cfg;
	struct intake_cache	*a, *b;
	char			v[128], raw[512];
	bool			hit = false;
	int			port;

	make_pki(&p);
	port = tls_server_start(&sv, &p, p.srv_crt, p.srv_key, false);
	tls_cfg(&a_cfg, sv.dir, "a", port, p.ca);
	/* B checks the DNS name instead of the address. */
	tls_cfg(&b_cfg, sv.dir, "b", port, p.ca);
	(void)snprintf(b_cfg.redis_host, sizeof(b_cfg.redis_host), "localhost");
	T_EQ_INT(intake_cache_open(&a_cfg, true, &a), INTAKE_OK);
	T_EQ_INT(intake_cache_open(&b_cfg, true, &b), INTAKE_OK);
	T_EQ_INT(intake_cache_set(a, "token", "svc", token, sizeof(token) - 1,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(get_str(b, "token", "svc", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(v, token);
	T_EQ_INT(intake_cache_status(a), INTAKE_CACHE_STATUS_SHARED);
	T_EQ_INT(intake_cache_status(b), INTAKE_CACHE_STATUS_SHARED);
	/* It went through Redis: the raw entry is there (and sealed). */
	T_EQ_INT(raw_get(&sv, "t:c:token:svc", raw, sizeof(raw)),
	    sizeof(token) - 1 + INTAKE_SEAL_OVERHEAD);
	T_ASSERT(memmem(raw, sizeof(token) - 1 + INTAKE_SEAL_OVERHEAD, "SECRET", 6) == NULL);
	/* Scripts (EVALSHA, then EVAL) and counters over TLS too. */
	T_EQ_INT(intake_cache_lease(a, "token", "svc", LONG_LEASE_MS, &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(intake_cache_lease(b, "token", "svc", LONG_LEASE_MS, &hit), INTAKE_OK);
	T_ASSERT(!hit);
	intake_cache_close(a);
	intake_cache_close(b);
	server_stop(&sv);
}

/*
 * A man in the middle with a certificate for the right name from another
 * CA: refused, the cache falls back to shm, and the log says why.
 */
static void
test_redis_tls_certificate_of_other_ca_refused(void)
{
	struct tls_pki		p;
	struct server		sv;
	struct intake_config	cfg;
	struct intake_cache	*c;
	char			v[128], path[300], log[8192];
	bool			hit = true;
	int			port;

	make_pki(&p);
	port = tls_server_start(&sv, &p, p.rogue_crt, p.rogue_key, false);
	tls_cfg(&cfg, sv.dir, "a", port, p.ca);
	log_to(sv.dir, path, sizeof(path));
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "token", "svc", token, sizeof(token) - 1,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	/* Answered from this host's shm; nothing reached the rogue Redis. */
	T_EQ_INT(get_str(c, "token", "svc", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(raw_get(&sv, "t:c:token:svc", v, sizeof(v)), 0);
	log_text(path, log, sizeof(log));
	T_CONTAINS(log, "certificate refused: unable to get local issuer certificate");
	intake_cache_close(c);
	server_stop(&sv);
}

/* The right CA, but a certificate for another name: refused. */
static void
test_redis_tls_wrong_server_name_refused(void)
{
	struct tls_pki		p;
	struct server		sv;
	struct intake_config	cfg;
	struct intake_cache	*c;
	char			path[300], log[8192];
	int			port;

	make_pki(&p);
	port = tls_server_start(&sv, &p, p.srv_crt, p.srv_key, false);
	tls_cfg(&cfg, sv.dir, "a", port, p.ca);
	(void)snprintf(cfg.redis_tls_server_name, sizeof(cfg.redis_tls_server_name),
	    "redis.example.org");
	log_to(sv.dir, path, sizeof(path));
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	log_text(path, log, sizeof(log));
	T_CONTAINS(log, "redis.example.org: certificate refused: hostname mismatch");
	intake_cache_close(c);
	/* The name it does carry passes, the address being another. */
	(void)snprintf(cfg.redis_tls_server_name, sizeof(cfg.redis_tls_server_name),
	    "localhost");
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_SHARED);
	intake_cache_close(c);
	server_stop(&sv);
}

/* tls-auth-clients yes: no client certificate, no service; with one, shared. */
static void
test_redis_tls_client_certificate_required(void)
{
	struct tls_pki		p;
	struct server		sv;
	struct intake_config	cfg;
	struct intake_cache	*c;
	char			v[64];
	int			port;

	make_pki(&p);
	port = tls_server_start(&sv, &p, p.srv_crt, p.srv_key, true);
	tls_cfg(&cfg, sv.dir, "a", port, p.ca);
	t_quiet_stderr();
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	T_EQ_INT(raw_get(&sv, "t:c:s:k", v, sizeof(v)), 0);
	intake_cache_close(c);
	/* A certificate of another CA does not pass either. */
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/b.shm", sv.dir);
	(void)snprintf(cfg.redis_tls_cert_file, sizeof(cfg.redis_tls_cert_file), "%s",
	    p.rogue_crt);
	(void)snprintf(cfg.redis_tls_key_file, sizeof(cfg.redis_tls_key_file), "%s",
	    p.rogue_key);
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	intake_cache_close(c);
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/c.shm", sv.dir);
	(void)snprintf(cfg.redis_tls_cert_file, sizeof(cfg.redis_tls_cert_file), "%s",
	    p.cli_crt);
	(void)snprintf(cfg.redis_tls_key_file, sizeof(cfg.redis_tls_key_file), "%s",
	    p.cli_key);
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_SHARED);
	T_EQ_INT(raw_get(&sv, "t:c:s:k", v, sizeof(v)), 1 + INTAKE_SEAL_OVERHEAD);
	intake_cache_close(c);
	server_stop(&sv);
}

/* TLS spoken to a plain port (or the reverse): refused within the timeout, never a hang. */
static void
test_redis_tls_to_plain_server_falls_back(void)
{
	struct tls_pki		p;
	struct server		sv;
	struct intake_config	cfg;
	struct intake_cache	*c;
	char			port[16];
	const char		*extra[] = { "--port", port, "--bind", "127.0.0.1", NULL };
	int			n = free_port();

	make_pki(&p);
	(void)snprintf(port, sizeof(port), "%d", n);
	memset(&sv, 0, sizeof(sv));
	server_start(&sv, extra);
	tls_cfg(&cfg, sv.dir, "a", n, p.ca);
	cfg.redis_timeout_ms = 200;
	t_quiet_stderr();
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	intake_cache_close(c);
	server_stop(&sv);
}

/* Settings that cannot work stop the start, before any connection. */
static void
test_redis_tls_bad_settings_refused_at_open(void)
{
	struct tls_pki		p;
	struct intake_config	cfg;
	struct intake_cache	*c = NULL;

	make_pki(&p);
	t_quiet_stderr();
	tls_cfg(&cfg, p.dir, "a", 6380, p.ca);
	(void)snprintf(cfg.redis_socket, sizeof(cfg.redis_socket), "%s/redis.sock", p.dir);
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_ECONFIG);
	tls_cfg(&cfg, p.dir, "a", 6380, p.ca);
	(void)snprintf(cfg.redis_tls_cert_file, sizeof(cfg.redis_tls_cert_file), "%s",
	    p.cli_crt);
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_ECONFIG);
	/* A key that is not the certificate's. */
	(void)snprintf(cfg.redis_tls_key_file, sizeof(cfg.redis_tls_key_file), "%s",
	    p.srv_key);
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_ECONFIG);
	tls_cfg(&cfg, p.dir, "a", 6380, "/nonexistent/ca.crt");
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_ECONFIG);
	tls_cfg(&cfg, p.dir, "a", 6380, p.ca);
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	intake_cache_close(c);
}

/*
 * A Redis (or something in its place) that takes the TCP connection but
 * never answers the TLS hello: the handshake is bounded by
 * redis_timeout_ms, and the log says so.
 */
static void
test_redis_tls_stalled_handshake_bounded_by_timeout(void)
{
	struct tls_pki		p;
	struct intake_config	cfg;
	struct intake_cache	*c;
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			path[300], log[8192];
	int			fd;

	make_pki(&p);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Listening, never accepting: the kernel completes the connect. */
	T_ASSERT(fd != -1 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    listen(fd, 8) == 0 && getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	tls_cfg(&cfg, p.dir, "a", ntohs(sin.sin_port), p.ca);
	cfg.redis_timeout_ms = 100;
	log_to(p.dir, path, sizeof(path));
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(intake_cache_set(c, "s", "k", "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	log_text(path, log, sizeof(log));
	T_CONTAINS(log, "TLS handshake with 127.0.0.1: no answer within redis_timeout_ms");
	intake_cache_close(c);
	(void)close(fd);
}

/*
 * A hostile Redis answers GET with a bulk string longer than any value
 * intake stores: the read stops past INTAKE_REDIS_REPLY_MAX instead of
 * buffering what it is sent, and the cache falls back.
 */
static void
test_redis_oversized_reply_cut_off(void)
{
	struct sockaddr_un	sun;
	struct intake_config	cfg;
	struct intake_cache	*c;
	char			dir[256], path[300], log[8192], v[64];
	bool			hit = true;
	pid_t			pid;
	int			fd;

	t_mkdtemp(dir, sizeof(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	T_ASSERT(strlen(dir) + sizeof("/fake.sock") <= sizeof(sun.sun_path));
	memcpy(sun.sun_path, dir, strlen(dir));
	memcpy(sun.sun_path + strlen(dir), "/fake.sock", sizeof("/fake.sock"));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	T_ASSERT(fd != -1 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    listen(fd, 8) == 0);
	pid = t_fork_helper();
	if (pid == 0) {
		static char	junk[65536];
		char		req[512];
		size_t		sent = 0;
		int		cl = accept(fd, NULL, NULL);

		(void)close(fd);	/* one client only: a reconnect is refused */
		memset(junk, 'x', sizeof(junk));
		if (read(cl, req, sizeof(req)) <= 0)
			_exit(1);
		(void)dprintf(cl, "$%d\r\n", 2 * INTAKE_REDIS_REPLY_MAX);
		while (sent < 2 * (size_t)INTAKE_REDIS_REPLY_MAX &&
		    write(cl, junk, sizeof(junk)) > 0)
			sent += sizeof(junk);
		_exit(0);
	}
	(void)close(fd);
	host_cfg(&cfg, dir, "a", sun.sun_path);
	cfg.redis_retry_ms = 60000;	/* no second try within the test */
	/*
	 * The cut comes from the reply's size, not from the clock: a deadline
	 * far beyond the time to stream the junk, so a loaded machine (or
	 * ASan) cannot end the call by time-out first.
	 */
	cfg.redis_timeout_ms = 60000;
	log_to(dir, path, sizeof(path));
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_OK);
	T_EQ_INT(get_str(c, "s", "k", v, sizeof(v), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_status(c), INTAKE_CACHE_STATUS_FALLBACK);
	log_text(path, log, sizeof(log));
	T_CONTAINS(log, "a reply over");
	intake_cache_close(c);
	(void)kill(pid, SIGKILL);
	(void)t_wait_child(pid, 10000);
}

int
main(void)
{
	T_RUN(test_redis_value_shared_across_hosts);
	T_RUN(test_redis_raw_entry_holds_no_token);
	T_RUN(test_redis_value_moved_to_other_key_is_a_miss);
	T_RUN(test_redis_other_seal_key_is_a_miss);
	T_RUN(test_redis_expiry_and_delete);
	T_RUN(test_redis_value_too_big_refused);
	T_RUN(test_redis_add_once_across_hosts);
	T_RUN(test_redis_counter_across_hosts);
	T_RUN(test_redis_lease_single_flight_across_hosts);
	T_RUN(test_redis_waiter_woken_by_release);
	T_RUN(test_redis_dead_holder_reaped);
	T_RUN(test_redis_unreachable_falls_back_to_shm);
	T_RUN(test_redis_killed_and_restarted);
	T_RUN(test_redis_frozen_server_bounded_by_timeout);
	T_RUN(test_redis_upstream_slots_stay_per_host);
	T_RUN(test_redis_acl_user_password);
	T_RUN(test_redis_tls_shared_across_hosts);
	T_RUN(test_redis_tls_certificate_of_other_ca_refused);
	T_RUN(test_redis_tls_wrong_server_name_refused);
	T_RUN(test_redis_tls_client_certificate_required);
	T_RUN(test_redis_tls_to_plain_server_falls_back);
	T_RUN(test_redis_tls_bad_settings_refused_at_open);
	T_RUN(test_redis_tls_stalled_handshake_bounded_by_timeout);
	T_RUN(test_redis_oversized_reply_cut_off);
	return T_DONE();
}
