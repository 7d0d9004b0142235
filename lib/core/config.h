/*
 * config.h - the one configuration file, loaded and checked at start.
 *
 * The file is INI (read with libinih).  Every key is a row of one table
 * in config.c; intake_config_keys() lists them so a test can check that
 * conf/intake.conf.example documents each one.  Secrets are read from the
 * files the config names and live only in this struct: never in argv,
 * the environment or a log line.
 */
#ifndef INTAKE_CONFIG_H
#define INTAKE_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "core/log.h"

#define INTAKE_PATH_MAX		512
#define INTAKE_URL_MAX		512
#define INTAKE_NAME_MAX		128
#define INTAKE_SECRET_MAX	1024

enum intake_dialect_id {
	INTAKE_DIALECT_V7,	/* legacy API, site root */
	INTAKE_DIALECT_V8,	/* /api/... on the tenant's HostHeader */
	INTAKE_DIALECT__MAX
};

enum intake_flow {
	INTAKE_FLOW_IMPERSONATE,	/* v7 GET /access/impersonate */
	INTAKE_FLOW_JWT,		/* v7 POST /oauth2/token, HS256 assertion */
	INTAKE_FLOW_APIKEY,		/* v8 GET /api/auth/apikey/.../impersonate/... */
	INTAKE_FLOW__MAX
};

#define INTAKE_SOURCES_MAX	64	/* [source:NAME] plus [report:NAME] sections */
#define INTAKE_FILTERS_MAX	8	/* filter.NAME keys per source */
#define INTAKE_SOURCE_NAME_MAX	64

/* Where the shared state lives ([cache] backend). */
enum intake_cache_kind {
	INTAKE_CACHE_SHM,	/* this host's shared memory (cache_file) */
	INTAKE_CACHE_REDIS,	/* Redis, shared by every host; shm is the fallback */
	INTAKE_CACHE__MAX
};

/* How a retry looks for an earlier start whose answer was lost (one-step dialects). */
enum intake_lookup {
	INTAKE_LOOKUP_SEARCH,	/* the request search, by the reference */
	INTAKE_LOOKUP_LIST,	/* the service account's request list, read back to the submission */
	INTAKE_LOOKUP__MAX
};

enum intake_fetch {
	INTAKE_FETCH_CSV,	/* the report's CSV export */
	INTAKE_FETCH_JSON,	/* the report's JSON run */
	INTAKE_FETCH__MAX
};

enum intake_source_kind {
	INTAKE_SOURCE_CHOICES,	/* [source:NAME]: /api/choices/NAME */
	INTAKE_SOURCE_REPORT,	/* [report:NAME]: /api/reports/NAME */
	INTAKE_SOURCE_KIND__MAX
};

/*
 * How a filter value from a request is checked before anything is fetched
 * (check.NAME): every filter.NAME must say.
 */
enum intake_check {
	INTAKE_CHECK_NONE,	/* not declared yet (refused at load) */
	INTAKE_CHECK_SOURCE,	/* "source:NAME": a value that [source:NAME] offers */
	INTAKE_CHECK_PATTERN,	/* "pattern:ERE": the whole value matches */
	INTAKE_CHECK_VALUES,	/* "values:A|B|C": one of these, exactly */
	INTAKE_CHECK__MAX
};

#define INTAKE_CHECK_ARG_MAX	192	/* a check's text after its "kind:" */

/* A request parameter allowed to feed one of the report's exposed filters. */
struct intake_filter_param {
	char	param[32];		/* request parameter name, e.g. "parent" */
	char	expose[INTAKE_NAME_MAX];	/* the report filter's Expose name */
	enum intake_check check;
	char	check_arg[INTAKE_CHECK_ARG_MAX];	/* source name, pattern or values */
	size_t	check_source;		/* SOURCE: index in cfg->sources */
	regex_t	re;			/* PATTERN: compiled, anchored */
	bool	has_re;
};

/* One Integrify report reachable through intake, as a list or a table. */
struct intake_source {
	enum intake_source_kind	kind;
	char			name[INTAKE_SOURCE_NAME_MAX];
	char			report[INTAKE_NAME_MAX];	/* the report's SID */
	enum intake_fetch	fetch;
	char			value_column[INTAKE_NAME_MAX];	/* "": the first */
	char			label_column[INTAKE_NAME_MAX];	/* "": the second */
	char			title[256];
	char			columns[1024];	/* shown columns, comma-separated; "": all */
	long long		ttl;		/* seconds a fetched list is fresh */
	long long		stale_ttl;	/* seconds more it may serve when Integrify fails */
	long long		page_size;
	long long		max_rows;
	struct intake_filter_param filters[INTAKE_FILTERS_MAX];
	size_t			nfilters;
};

struct intake_config {
	char	path[INTAKE_PATH_MAX];		/* the file this came from */

	/* [server] */
	char	listen[INTAKE_PATH_MAX];	/* "unix:/path" or "host:port" */
	char	admin_listen[INTAKE_PATH_MAX];	/* /metrics, /status: like listen; "": off */
	bool	public_processes;		/* /api/processes on the public socket too */
	long long socket_mode;			/* unix socket permissions */
	char	socket_owner[64];		/* its owner, "": whoever binds it */
	char	socket_group[64];		/* its group, "": the binder's */
	char	run_user[64];			/* started as root: become this user */
	char	run_group[64];			/* ... and this group ("": the user's) */
	long long workers;
	long long max_requests;			/* 0: never recycle */
	long long backlog;
	long long shutdown_timeout;		/* seconds to drain on SIGTERM */
	enum intake_log_level log_level;
	char	log_file[INTAKE_PATH_MAX];	/* "": standard error; else reopened on SIGUSR1 */
	char	cache_file[INTAKE_PATH_MAX];	/* shared memory file */
	char	publish_dir[INTAKE_PATH_MAX];	/* unfiltered lists as files nginx serves; "": off */
	long long cache_entries;
	long long cache_entry_max;		/* bytes per entry value */
	long long mark_entries;			/* small entries: nonces, rate counters */
	long long filtered_entries;		/* lists keyed by client-chosen values */
	long long filtered_fetch_rate;		/* their fetches per source a minute; 0: off */
	char	cors_origins[1024];		/* space-separated allowed origins */
	char	public_origins[1024];		/* space-separated origins of the form pages */
	char	forms_dir[INTAKE_PATH_MAX];	/* form definitions (pool.c loads them); "": none */
	char	form_key_file[INTAKE_PATH_MAX];	/* form token key; "": random per start */
	long long form_token_ttl;		/* seconds a rendered form stays valid */
	long long combobox_threshold;		/* a select of more options is a combobox; 0: never */
	long long rate_per_client;		/* form posts per client per rate_window; 0: off */
	long long rate_per_form;		/* form posts per form per rate_window; 0: off */
	long long rate_window;			/* seconds */
	long long body_max;			/* bytes of a request body; = nginx client_max_body_size */
	long long upstream_slots;		/* upstream work at once, all processes; 0: workers/2 */
	long long upstream_wait_ms;		/* longest wait on another process's fetch */

	/* [spool] */
	char	spool_dir[INTAKE_PATH_MAX];	/* the durable spool of submissions */
	long long spool_retry_base;		/* seconds before the first retry */
	long long spool_retry_max;		/* longest wait between retries, seconds */
	long long spool_max_age;		/* seconds before an undelivered one is set aside */
	long long spool_keep_done;		/* seconds a delivery receipt is kept */
	long long spool_scan_ms;		/* how often the dispatcher looks */
	bool	spool_dedupe;			/* look for an earlier start before a retry */
	enum intake_lookup spool_lookup;	/* how (one-step dialects) */
	long long breaker_failures;		/* failures in a row that open the breaker */
	long long breaker_cooldown;		/* seconds it stays open */
	long long spool_inline_budget_ms;	/* a worker's own start attempt; then queued */

	/* [cache] */
	enum intake_cache_kind cache_backend;
	char	redis_host[256];		/* host name or address */
	long long redis_port;
	char	redis_socket[INTAKE_PATH_MAX];	/* unix socket; "": host and port */
	char	redis_user[INTAKE_NAME_MAX];	/* ACL user; "": the default user */
	char	redis_password_file[INTAKE_PATH_MAX];	/* "": no AUTH */
	long long redis_timeout_ms;		/* connect and every command */
	long long redis_retry_ms;		/* first wait before reconnecting */
	char	redis_prefix[64];		/* every key starts with it */
	char	redis_seal_key_file[INTAKE_PATH_MAX];	/* AES-256-GCM key of values */
	bool	redis_tls;			/* TLS to redis_host:redis_port */
	char	redis_tls_ca_file[INTAKE_PATH_MAX];	/* "": the system's CA store */
	char	redis_tls_cert_file[INTAKE_PATH_MAX];	/* client certificate; "": none */
	char	redis_tls_key_file[INTAKE_PATH_MAX];	/* its private key */
	char	redis_tls_server_name[256];	/* name in the certificate; "": redis_host */

	/* [integrify] */
	enum intake_dialect_id dialect;
	enum intake_flow flow;
	char	base_url[INTAKE_URL_MAX];	/* scheme://host[:port], no path */
	char	connect_to[INTAKE_NAME_MAX];	/* optional host[:port] to dial instead */
	char	user[INTAKE_NAME_MAX];		/* service account user name */
	char	tenant[INTAKE_NAME_MAX];	/* v8 tenant id */
	char	key_file[INTAKE_PATH_MAX];
	char	secret_file[INTAKE_PATH_MAX];
	char	ca_file[INTAKE_PATH_MAX];
	bool	allow_http;
	long long token_lifetime;		/* seconds asked for */
	long long refresh_ahead;		/* seconds before expiry to renew */
	long long fetch_failure_ttl;		/* seconds a failed fetch is remembered */
	long long connect_timeout_ms;
	long long timeout_ms;
	long long response_max;
	long long keepalive_s;			/* reuse a connection idle less than this; 0: POSTs never */

	/* [source:NAME] and [report:NAME], in file order */
	struct intake_source sources[INTAKE_SOURCES_MAX];
	size_t	nsources;

	/* Loaded from key_file / secret_file / form_key_file; never logged. */
	char	key[INTAKE_SECRET_MAX];
	char	secret[INTAKE_SECRET_MAX];
	unsigned char form_key[32];		/* HMAC key of form tokens */
	char	redis_password[INTAKE_SECRET_MAX];	/* from redis_password_file */
	unsigned char redis_seal_key[32];	/* from redis_seal_key_file */
};

/*
 * Load and check path.  On failure returns INTAKE_ECONFIG and writes a
 * message naming the file, the key and the problem into errbuf.
 * The caller owns *out and frees it with intake_config_free().
 */
enum intake_err	intake_config_load(const char *path, struct intake_config **out,
		    char *errbuf, size_t errsz);
void		intake_config_free(struct intake_config *cfg);

/*
 * The "section.key" names of every key, NULL-terminated.  Keys of named
 * sections read "source:NAME.report"; a filter key is "filter.NAME".
 */
const char *const *intake_config_keys(void);

const char	*intake_dialect_name(enum intake_dialect_id d);
const char	*intake_flow_name(enum intake_flow f);
/* "shm" or "redis". */
const char	*intake_cache_kind_name(enum intake_cache_kind k);

/* The source of kind called name, or NULL. */
const struct intake_source *intake_config_source(const struct intake_config *cfg,
		    enum intake_source_kind kind, const char *name, size_t namelen);

/*
 * Does value pass filter f's pattern or allow-list check?  A SOURCE check
 * needs the source's list (intake_report_offers()) and answers true here.
 */
bool		intake_filter_value_ok(const struct intake_filter_param *f, const char *value);

/* Is origin (exactly, e.g. "https://intranet.example") in cors_origins? */
bool		intake_config_origin_allowed(const struct intake_config *cfg,
		    const char *origin);

/*
 * Is origin (exactly, as a browser sends it in Origin) one of
 * public_origins, the origins the form pages are served from?
 */
bool		intake_config_origin_public(const struct intake_config *cfg,
		    const char *origin);

#endif
