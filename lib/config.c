/*
 * config.c - one table of keys; libinih reads the file, the table checks it.
 *
 * A value is parsed by its row's type and bounds.  Unknown keys, repeated
 * keys, missing required keys and contradicting keys are errors naming
 * the file, the key and the problem.  Secret files are read last.
 */
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "intake/config.h"
#include "intake/form.h"
#include "intake/str.h"

enum opt_type {
	OPT_STR,	/* char[] of the row's size */
	OPT_INT,	/* long long within [min, max] */
	OPT_MODE,	/* octal file mode */
	OPT_BOOL,	/* bool */
	OPT_LEVEL,	/* enum intake_log_level */
	OPT_DIALECT,	/* enum intake_dialect */
	OPT_FLOW,	/* enum intake_flow */
	OPT_FETCH,	/* enum intake_fetch */
};

#define OPT_REQUIRED	0x01

struct opt {
	const char	*section;
	const char	*key;
	enum opt_type	 type;
	size_t		 off;	/* offset in struct intake_config */
	size_t		 size;	/* for OPT_STR */
	const char	*def;	/* default value as text, NULL: none */
	long long	 min, max;
	unsigned	 flags;
};

#define S(m)	offsetof(struct intake_config, m), sizeof(((struct intake_config *)0)->m)
#define N(m)	offsetof(struct intake_config, m), 0

static const struct opt opts[] = {
	{ "server", "listen", OPT_STR, S(listen), "unix:/run/intake/intake.sock", 0, 0, 0 },
	{ "server", "socket_mode", OPT_MODE, N(socket_mode), "0660", 0, 0777, 0 },
	{ "server", "workers", OPT_INT, N(workers), "4", 1, 256, 0 },
	{ "server", "max_requests", OPT_INT, N(max_requests), "10000", 0, 1000000000, 0 },
	{ "server", "backlog", OPT_INT, N(backlog), "1024", 16, 65535, 0 },
	{ "server", "shutdown_timeout", OPT_INT, N(shutdown_timeout), "30", 1, 3600, 0 },
	{ "server", "log_level", OPT_LEVEL, N(log_level), "info", 0, 0, 0 },
	{ "server", "cache_file", OPT_STR, S(cache_file), "/run/intake/cache.shm", 0, 0, 0 },
	{ "server", "cache_entries", OPT_INT, N(cache_entries), "256", 8, 65536, 0 },
	{ "server", "cache_entry_max", OPT_INT, N(cache_entry_max), "65536", 4096, 16777216, 0 },
	{ "server", "mark_entries", OPT_INT, N(mark_entries), "65536", 64, 4194304, 0 },
	{ "server", "cors_origins", OPT_STR, S(cors_origins), "", 0, 0, 0 },
	{ "server", "forms_dir", OPT_STR, S(forms_dir), "", 0, 0, 0 },
	{ "server", "form_key_file", OPT_STR, S(form_key_file), "", 0, 0, 0 },
	{ "server", "form_token_ttl", OPT_INT, N(form_token_ttl), "7200", 60, 604800, 0 },
	{ "server", "body_max", OPT_INT, N(body_max), "10485760", 1024, 104857600, 0 },
	{ "server", "rate_per_client", OPT_INT, N(rate_per_client), "10", 0, 1000000, 0 },
	{ "server", "rate_per_form", OPT_INT, N(rate_per_form), "600", 0, 100000000, 0 },
	{ "server", "rate_window", OPT_INT, N(rate_window), "60", 1, 86400, 0 },
	{ "spool", "dir", OPT_STR, S(spool_dir), "/var/spool/intake", 0, 0, 0 },
	{ "spool", "retry_base", OPT_INT, N(spool_retry_base), "2", 1, 3600, 0 },
	{ "spool", "retry_max", OPT_INT, N(spool_retry_max), "300", 1, 86400, 0 },
	{ "spool", "max_age", OPT_INT, N(spool_max_age), "604800", 60, 31536000, 0 },
	{ "spool", "keep_done", OPT_INT, N(spool_keep_done), "1209600", 3600, 31536000, 0 },
	{ "spool", "scan_interval_ms", OPT_INT, N(spool_scan_ms), "500", 50, 60000, 0 },
	{ "spool", "dedupe", OPT_BOOL, N(spool_dedupe), "yes", 0, 0, 0 },
	{ "spool", "breaker_failures", OPT_INT, N(breaker_failures), "5", 1, 1000, 0 },
	{ "spool", "breaker_cooldown", OPT_INT, N(breaker_cooldown), "10", 1, 3600, 0 },
	{ "integrify", "dialect", OPT_DIALECT, N(dialect), NULL, 0, 0, OPT_REQUIRED },
	{ "integrify", "flow", OPT_FLOW, N(flow), NULL, 0, 0, OPT_REQUIRED },
	{ "integrify", "base_url", OPT_STR, S(base_url), NULL, 0, 0, OPT_REQUIRED },
	{ "integrify", "connect_to", OPT_STR, S(connect_to), "", 0, 0, 0 },
	{ "integrify", "user", OPT_STR, S(user), NULL, 0, 0, OPT_REQUIRED },
	{ "integrify", "tenant", OPT_STR, S(tenant), "", 0, 0, 0 },
	{ "integrify", "key_file", OPT_STR, S(key_file), NULL, 0, 0, OPT_REQUIRED },
	{ "integrify", "secret_file", OPT_STR, S(secret_file), "", 0, 0, 0 },
	{ "integrify", "ca_file", OPT_STR, S(ca_file), "", 0, 0, 0 },
	{ "integrify", "allow_http", OPT_BOOL, N(allow_http), "no", 0, 0, 0 },
	{ "integrify", "token_lifetime", OPT_INT, N(token_lifetime), "3600", 2, 864000, 0 },
	{ "integrify", "refresh_ahead", OPT_INT, N(refresh_ahead), "60", 0, 86400, 0 },
	{ "integrify", "fetch_failure_ttl", OPT_INT, N(fetch_failure_ttl), "5", 0, 3600, 0 },
	{ "integrify", "connect_timeout_ms", OPT_INT, N(connect_timeout_ms), "3000", 100, 60000, 0 },
	{ "integrify", "timeout_ms", OPT_INT, N(timeout_ms), "10000", 100, 300000, 0 },
	{ "integrify", "response_max", OPT_INT, N(response_max), "8388608", 4096, 268435456, 0 },
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))

/* Keys of a [source:NAME] or [report:NAME] section, offsets in struct intake_source. */
#define SS(m)	offsetof(struct intake_source, m), sizeof(((struct intake_source *)0)->m)
#define SN(m)	offsetof(struct intake_source, m), 0

static const struct opt source_opts[] = {
	{ "*", "report", OPT_STR, SS(report), NULL, 0, 0, OPT_REQUIRED },
	{ "*", "fetch", OPT_FETCH, SN(fetch), "csv", 0, 0, 0 },
	{ "*", "value_column", OPT_STR, SS(value_column), "", 0, 0, 0 },
	{ "*", "label_column", OPT_STR, SS(label_column), "", 0, 0, 0 },
	{ "*", "title", OPT_STR, SS(title), "", 0, 0, 0 },
	{ "*", "columns", OPT_STR, SS(columns), "", 0, 0, 0 },
	{ "*", "ttl", OPT_INT, SN(ttl), "300", 1, 86400, 0 },
	{ "*", "stale_ttl", OPT_INT, SN(stale_ttl), "86400", 0, 2592000, 0 },
	{ "*", "page_size", OPT_INT, SN(page_size), "100", 1, 1000, 0 },
	{ "*", "max_rows", OPT_INT, SN(max_rows), "10000", 1, 100000, 0 },
};
#define NSOURCE_OPTS	(sizeof(source_opts) / sizeof(source_opts[0]))

static const char *const kind_prefixes[] = {
	"source:",	/* INTAKE_SOURCE_CHOICES */
	"report:",	/* INTAKE_SOURCE_REPORT */
};
_Static_assert(sizeof(kind_prefixes) / sizeof(kind_prefixes[0]) == INTAKE_SOURCE_KIND__MAX,
    "kind_prefixes[] needs one row per source kind");

static const char *const fetch_names[] = {
	"csv",	/* INTAKE_FETCH_CSV */
	"json",	/* INTAKE_FETCH_JSON */
};
_Static_assert(sizeof(fetch_names) / sizeof(fetch_names[0]) == INTAKE_FETCH__MAX,
    "fetch_names[] needs one row per fetch");

/* Request parameters a filter may not take: the endpoints' own. */
static const char *const reserved_params[] = {
	"q", "term", "page", "per_page", "format", "selected", "_type", NULL
};

static const char *const dialect_names[] = {
	"v7",	/* INTAKE_DIALECT_V7 */
	"v8",	/* INTAKE_DIALECT_V8 */
};
_Static_assert(sizeof(dialect_names) / sizeof(dialect_names[0]) == INTAKE_DIALECT__MAX,
    "dialect_names[] needs one row per dialect");

static const char *const flow_names[] = {
	"impersonate",	/* INTAKE_FLOW_IMPERSONATE */
	"jwt",		/* INTAKE_FLOW_JWT */
	"apikey",	/* INTAKE_FLOW_APIKEY */
};
_Static_assert(sizeof(flow_names) / sizeof(flow_names[0]) == INTAKE_FLOW__MAX,
    "flow_names[] needs one row per flow");

/* Parsing state handed through libinih. */
struct load {
	struct intake_config	*cfg;
	unsigned char		 seen[NOPTS];
	unsigned char		 source_seen[INTAKE_SOURCES_MAX][NSOURCE_OPTS];
	char			*err;
	size_t			 errsz;
	int			 failed;
};

const char *
intake_dialect_name(enum intake_dialect d)
{
	return (unsigned)d < INTAKE_DIALECT__MAX ? dialect_names[d] : "?";
}

const char *
intake_flow_name(enum intake_flow f)
{
	return (unsigned)f < INTAKE_FLOW__MAX ? flow_names[f] : "?";
}

/* Index of value in names[n], or -1. */
static int
name_index(const char *const *names, size_t n, const char *value)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

/* Store value into the field of row o; returns a problem or NULL. */
static const char *
opt_set(void *base, const struct opt *o, const char *value)
{
	char		*field = (char *)base + o->off;
	long long	 v;
	const char	*end;
	int		 idx;
	bool		 b;

	switch (o->type) {
	case OPT_STR:
		if (intake_strlcpy(field, value, o->size) != INTAKE_OK)
			return "value too long";
		return NULL;
	case OPT_INT:
		if (intake_parse_int(value, o->min, o->max, &v) != INTAKE_OK)
			return "not a whole number in the allowed range";
		*(long long *)(void *)field = v;
		return NULL;
	case OPT_MODE:
		/* Octal is the one base strtoll is not needed for: digits 0-7. */
		v = 0;
		for (end = value; *end >= '0' && *end <= '7' && end - value < 5; end++)
			v = v * 8 + (*end - '0');
		if (*value == '\0' || *end != '\0' || end - value > 4 || v > o->max)
			return "not an octal file mode such as 0660";
		*(long long *)(void *)field = v;
		return NULL;
	case OPT_BOOL:
		if (intake_parse_bool(value, &b) != INTAKE_OK)
			return "not yes or no";
		*(bool *)(void *)field = b;
		return NULL;
	case OPT_LEVEL:
		if (intake_log_parse_level(value, (enum intake_log_level *)(void *)field)
		    != INTAKE_OK)
			return "not one of debug, info, warn, error";
		return NULL;
	case OPT_DIALECT:
		idx = name_index(dialect_names, INTAKE_DIALECT__MAX, value);
		if (idx < 0)
			return "not one of v7, v8";
		*(enum intake_dialect *)(void *)field = (enum intake_dialect)idx;
		return NULL;
	case OPT_FLOW:
		idx = name_index(flow_names, INTAKE_FLOW__MAX, value);
		if (idx < 0)
			return "not one of impersonate, jwt, apikey";
		*(enum intake_flow *)(void *)field = (enum intake_flow)idx;
		return NULL;
	case OPT_FETCH:
		idx = name_index(fetch_names, INTAKE_FETCH__MAX, value);
		if (idx < 0)
			return "not one of csv, json";
		*(enum intake_fetch *)(void *)field = (enum intake_fetch)idx;
		return NULL;
	}
	return "unknown key type";
}

static void
load_fail(struct load *l, const char *section, const char *key, const char *problem)
{
	if (l->failed)
		return;
	l->failed = 1;
	(void)snprintf(l->err, l->errsz, "%s: [%s] %s: %s", l->cfg->path,
	    section, key, problem);
}

/* A source or filter name: [a-z0-9_-], 1 to max-1 bytes. */
static int
name_ok(const char *s, size_t max)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '_' || s[n] == '-'))
			return 0;
	return n > 0 && n < max;
}

/* The source for section "source:NAME"/"report:NAME", created on first use. */
static struct intake_source *
source_for(struct load *l, enum intake_source_kind kind, const char *name, size_t *idx)
{
	struct intake_config	*c = l->cfg;
	struct intake_source	*src;
	size_t			 i;

	for (i = 0; i < c->nsources; i++)
		if (c->sources[i].kind == kind && strcmp(c->sources[i].name, name) == 0) {
			*idx = i;
			return &c->sources[i];
		}
	if (c->nsources == INTAKE_SOURCES_MAX)
		return NULL;
	src = &c->sources[c->nsources];
	memset(src, 0, sizeof(*src));
	src->kind = kind;
	(void)intake_strlcpy(src->name, name, sizeof(src->name));
	for (i = 0; i < NSOURCE_OPTS; i++)
		if (source_opts[i].def != NULL)
			(void)opt_set(src, &source_opts[i], source_opts[i].def);
	*idx = c->nsources++;
	return src;
}

/* A key of a [source:NAME] or [report:NAME] section. */
static int
on_source_key(struct load *l, enum intake_source_kind kind, const char *section,
    const char *key, const char *value)
{
	struct intake_source		*src;
	struct intake_filter_param	*f;
	const char			*name = section + strlen(kind_prefixes[kind]);
	const char			*problem;
	size_t				 idx, i;

	if (!name_ok(name, INTAKE_SOURCE_NAME_MAX)) {
		load_fail(l, section, key, "section name must be 1-63 of a-z 0-9 _ -");
		return 0;
	}
	src = source_for(l, kind, name, &idx);
	if (src == NULL) {
		load_fail(l, section, key, "too many [source:] and [report:] sections");
		return 0;
	}
	if (strncmp(key, "filter.", 7) == 0) {
		if (!name_ok(key + 7, sizeof(f->param))) {
			load_fail(l, section, key, "filter parameter must be 1-31 of a-z 0-9 _ -");
			return 0;
		}
		for (i = 0; reserved_params[i] != NULL; i++)
			if (strcmp(key + 7, reserved_params[i]) == 0) {
				load_fail(l, section, key, "filter parameter name is reserved");
				return 0;
			}
		for (i = 0; i < src->nfilters; i++)
			if (strcmp(src->filters[i].param, key + 7) == 0) {
				load_fail(l, section, key, "set twice");
				return 0;
			}
		if (src->nfilters == INTAKE_FILTERS_MAX) {
			load_fail(l, section, key, "too many filter keys");
			return 0;
		}
		f = &src->filters[src->nfilters];
		if (*value == '\0' || intake_strlcpy(f->expose, value, sizeof(f->expose)) != INTAKE_OK) {
			load_fail(l, section, key, "must name the report's exposed filter");
			return 0;
		}
		(void)intake_strlcpy(f->param, key + 7, sizeof(f->param));
		src->nfilters++;
		return 1;
	}
	for (i = 0; i < NSOURCE_OPTS; i++) {
		if (strcmp(source_opts[i].key, key) != 0)
			continue;
		if (l->source_seen[idx][i]) {
			load_fail(l, section, key, "set twice");
			return 0;
		}
		l->source_seen[idx][i] = 1;
		problem = opt_set(src, &source_opts[i], value);
		if (problem != NULL) {
			load_fail(l, section, key, problem);
			return 0;
		}
		return 1;
	}
	load_fail(l, section, key, "unknown key (see intake.conf.example)");
	return 0;
}

/* libinih callback: one key at a time. Returns 0 to stop on error. */
static int
on_key(void *user, const char *section, const char *key, const char *value)
{
	struct load	*l = user;
	const char	*problem;
	size_t		 i;

	for (i = 0; i < INTAKE_SOURCE_KIND__MAX; i++)
		if (strncmp(section, kind_prefixes[i], strlen(kind_prefixes[i])) == 0)
			return on_source_key(l, (enum intake_source_kind)i, section, key, value);

	for (i = 0; i < NOPTS; i++) {
		if (strcmp(opts[i].section, section) != 0 ||
		    strcmp(opts[i].key, key) != 0)
			continue;
		if (l->seen[i]) {
			load_fail(l, section, key, "set twice");
			return 0;
		}
		l->seen[i] = 1;
		problem = opt_set(l->cfg, &opts[i], value);
		if (problem != NULL) {
			load_fail(l, section, key, problem);
			return 0;
		}
		return 1;
	}
	load_fail(l, section, key, "unknown key (see intake.conf.example)");
	return 0;
}

/*
 * Read a secret file: the first line, surrounding whitespace trimmed.
 * Returns a problem or NULL.
 */
static const char *
read_secret(const char *path, char *out, size_t outsz)
{
	char	 buf[INTAKE_SECRET_MAX + 2];
	ssize_t	 n;
	size_t	 len, start;
	int	 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return errno == ENOENT ? "file not found" : "file cannot be read";
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n < 0)
		return "file cannot be read";
	len = (size_t)n;
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL)
		return "file holds a NUL byte";
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	for (start = 0; buf[start] == ' ' || buf[start] == '\t'; start++)
		;
	if (buf[start] == '\0')
		return "file is empty";
	if (len - start >= outsz)
		return "secret too long";
	memcpy(out, buf + start, len - start + 1);
	return NULL;
}

/* A base URL is scheme://host[:port] with no path, query or credentials. */
static const char *
check_base_url(const struct intake_config *cfg)
{
	const char	*u = cfg->base_url, *host;
	size_t		 hostlen;

	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0) {
		if (!cfg->allow_http)
			return "http:// needs allow_http = yes (use https in production)";
		host = u + 7;
	} else
		return "must start with https://";
	hostlen = strcspn(host, "/?#@ ");
	if (hostlen == 0)
		return "has no host";
	if (host[hostlen] == '/' && host[hostlen + 1] == '\0')
		return NULL;
	if (host[hostlen] != '\0')
		return "must be scheme://host[:port] with no path, query or user";
	return NULL;
}

static const char *
check_listen(const char *listen)
{
	struct sockaddr_un	sun;
	const char		*colon;

	if (strncmp(listen, "unix:", 5) == 0) {
		if (listen[5] != '/')
			return "unix socket path must be absolute";
		if (strlen(listen + 5) >= sizeof(sun.sun_path))
			return "unix socket path too long";
		return NULL;
	}
	colon = strrchr(listen, ':');
	if (colon == NULL || colon == listen || colon[1] == '\0')
		return "must be unix:/path or host:port";
	return NULL;
}

/* Checks that span keys. Returns 0 or fails l. */
static int
check_all(struct load *l)
{
	struct intake_config	*c = l->cfg;
	const char		*p;
	size_t			 i;

	for (i = 0; i < NOPTS; i++)
		if ((opts[i].flags & OPT_REQUIRED) && !l->seen[i]) {
			load_fail(l, opts[i].section, opts[i].key, "required but missing");
			return -1;
		}
	if ((p = check_listen(c->listen)) != NULL) {
		load_fail(l, "server", "listen", p);
		return -1;
	}
	if (c->cache_file[0] != '/') {
		load_fail(l, "server", "cache_file", "must be an absolute path");
		return -1;
	}
	if (c->spool_dir[0] != '/') {
		load_fail(l, "spool", "dir", "must be an absolute path");
		return -1;
	}
	if (c->spool_retry_max < c->spool_retry_base) {
		load_fail(l, "spool", "retry_max", "must not be less than retry_base");
		return -1;
	}
	/* A replayed form must still find its receipt: receipts outlive tokens. */
	if (c->spool_keep_done < 2 * c->form_token_ttl) {
		load_fail(l, "spool", "keep_done", "must be at least twice server.form_token_ttl");
		return -1;
	}
	if ((p = check_base_url(c)) != NULL) {
		load_fail(l, "integrify", "base_url", p);
		return -1;
	}
	i = strlen(c->base_url);
	if (i > 0 && c->base_url[i - 1] == '/')
		c->base_url[i - 1] = '\0';
	if (c->flow == INTAKE_FLOW_APIKEY && c->dialect != INTAKE_DIALECT_V8) {
		load_fail(l, "integrify", "flow", "apikey needs dialect = v8");
		return -1;
	}
	if (c->flow == INTAKE_FLOW_APIKEY && c->tenant[0] == '\0') {
		load_fail(l, "integrify", "tenant", "required with flow = apikey");
		return -1;
	}
	if (c->flow == INTAKE_FLOW_JWT && c->secret_file[0] == '\0') {
		load_fail(l, "integrify", "secret_file", "required with flow = jwt");
		return -1;
	}
	if (c->refresh_ahead >= c->token_lifetime) {
		load_fail(l, "integrify", "refresh_ahead", "must be less than token_lifetime");
		return -1;
	}
	if (c->timeout_ms < c->connect_timeout_ms) {
		load_fail(l, "integrify", "timeout_ms", "must not be less than connect_timeout_ms");
		return -1;
	}
	for (i = 0; i < c->nsources; i++) {
		char section[INTAKE_SOURCE_NAME_MAX + 8];

		(void)snprintf(section, sizeof(section), "%s%s", kind_prefixes[c->sources[i].kind],
		    c->sources[i].name);
		if (c->sources[i].report[0] == '\0') {
			load_fail(l, section, "report", "required but missing");
			return -1;
		}
		if (strpbrk(c->sources[i].report, "/?#&%\\ ") != NULL) {
			load_fail(l, section, "report", "must be a report SID");
			return -1;
		}
	}
	if ((p = read_secret(c->key_file, c->key, sizeof(c->key))) != NULL) {
		load_fail(l, "integrify", "key_file", p);
		return -1;
	}
	if (c->secret_file[0] != '\0' &&
	    (p = read_secret(c->secret_file, c->secret, sizeof(c->secret))) != NULL) {
		load_fail(l, "integrify", "secret_file", p);
		return -1;
	}
	if (c->form_key_file[0] != '\0') {
		char keytext[INTAKE_SECRET_MAX];

		if ((p = read_secret(c->form_key_file, keytext, sizeof(keytext))) != NULL) {
			load_fail(l, "server", "form_key_file", p);
			return -1;
		}
		if (strlen(keytext) < 32) {
			OPENSSL_cleanse(keytext, sizeof(keytext));
			load_fail(l, "server", "form_key_file", "needs at least 32 characters");
			return -1;
		}
		SHA256((const unsigned char *)keytext, strlen(keytext), c->form_key);
		OPENSSL_cleanse(keytext, sizeof(keytext));
	} else if (RAND_bytes(c->form_key, sizeof(c->form_key)) != 1) {
		load_fail(l, "server", "form_key_file", "no random key could be made");
		return -1;
	}
	if (c->forms_dir[0] != '\0' && intake_forms_load(c->forms_dir, c, &c->forms,
	    &c->nforms, l->err, l->errsz) != INTAKE_OK) {
		l->failed = 1;
		return -1;
	}
	return 0;
}

/*
 * libinih reads at most INI_MAX_LINE - 1 bytes of a line and hands the
 * rest over as a line of its own, so a long value would be cut silently.
 * Refuse such lines first.  Returns the 1-based number of the first long
 * line, 0 when none, -1 when the file cannot be read.
 */
static long
long_line(const char *path)
{
	FILE	*f;
	long	 line = 1, bad = 0;
	size_t	 n = 0;
	int	 c;

	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while ((c = getc(f)) != EOF) {
		if (c == '\n') {
			line++;
			n = 0;
			continue;
		}
		if (++n >= INI_MAX_LINE - 1 && bad == 0)
			bad = line;
	}
	(void)fclose(f);
	return bad;
}

enum intake_err
intake_config_load(const char *path, struct intake_config **out, char *errbuf,
    size_t errsz)
{
	long	 bad;
	struct intake_config	*cfg;
	struct load		 l;
	size_t			 i;
	int			 rc;

	cfg = intake_xcalloc(1, sizeof(*cfg));
	memset(&l, 0, sizeof(l));
	l.cfg = cfg;
	l.err = errbuf;
	l.errsz = errsz;
	if (intake_strlcpy(cfg->path, path, sizeof(cfg->path)) != INTAKE_OK) {
		(void)snprintf(errbuf, errsz, "config path too long");
		free(cfg);
		return INTAKE_ECONFIG;
	}
	for (i = 0; i < NOPTS; i++)
		if (opts[i].def != NULL)
			(void)opt_set(cfg, &opts[i], opts[i].def);

	bad = long_line(path);
	if (bad > 0) {
		(void)snprintf(errbuf, errsz, "%s: line %ld: longer than %d bytes", path, bad,
		    INI_MAX_LINE - 2);
		intake_config_free(cfg);
		return INTAKE_ECONFIG;
	}
	rc = ini_parse(path, on_key, &l);
	if (rc == -1 && !l.failed)
		(void)snprintf(errbuf, errsz, "%s: cannot open: %s", path, strerror(errno));
	else if (rc > 0 && !l.failed)
		(void)snprintf(errbuf, errsz, "%s: line %d: syntax error", path, rc);
	else if (rc != 0 && !l.failed)
		(void)snprintf(errbuf, errsz, "%s: cannot be read", path);
	if (rc != 0 || l.failed || check_all(&l) != 0) {
		intake_config_free(cfg);
		return INTAKE_ECONFIG;
	}
	*out = cfg;
	return INTAKE_OK;
}

void
intake_config_free(struct intake_config *cfg)
{
	if (cfg == NULL)
		return;
	intake_forms_free(cfg->forms, cfg->nforms);
	/* Do not leave secrets behind in freed memory. */
	OPENSSL_cleanse(cfg->key, sizeof(cfg->key));
	OPENSSL_cleanse(cfg->secret, sizeof(cfg->secret));
	OPENSSL_cleanse(cfg->form_key, sizeof(cfg->form_key));
	free(cfg);
}

const char *const *
intake_config_keys(void)
{
	static char		 names[NOPTS + INTAKE_SOURCE_KIND__MAX * (NSOURCE_OPTS + 1)][64];
	static const char	*list[sizeof(names) / sizeof(names[0]) + 1];
	size_t			 i, k, n = 0;

	for (i = 0; i < NOPTS; i++)
		(void)snprintf(names[n++], sizeof(names[0]), "%s.%s", opts[i].section,
		    opts[i].key);
	for (k = 0; k < INTAKE_SOURCE_KIND__MAX; k++) {
		for (i = 0; i < NSOURCE_OPTS; i++)
			(void)snprintf(names[n++], sizeof(names[0]), "%sNAME.%s", kind_prefixes[k],
			    source_opts[i].key);
		(void)snprintf(names[n++], sizeof(names[0]), "%sNAME.filter.NAME", kind_prefixes[k]);
	}
	for (i = 0; i < n; i++)
		list[i] = names[i];
	list[n] = NULL;
	return list;
}

const struct intake_source *
intake_config_source(const struct intake_config *cfg, enum intake_source_kind kind,
    const char *name, size_t namelen)
{
	size_t	i;

	for (i = 0; i < cfg->nsources; i++)
		if (cfg->sources[i].kind == kind && strlen(cfg->sources[i].name) == namelen &&
		    memcmp(cfg->sources[i].name, name, namelen) == 0)
			return &cfg->sources[i];
	return NULL;
}

bool
intake_config_origin_allowed(const struct intake_config *cfg, const char *origin)
{
	const char	*p = cfg->cors_origins, *end;
	size_t		 n = strlen(origin);

	if (n == 0)
		return false;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p + strcspn(p, " \t,");
		if ((size_t)(end - p) == n && memcmp(p, origin, n) == 0)
			return true;
		p = end;
	}
	return false;
}
