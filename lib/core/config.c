/*
 * config.c - one table of keys; keytab.c reads the file, the table checks it.
 *
 * A value is parsed by its row's type and bounds.  Unknown keys, repeated
 * keys, missing required keys and contradicting keys are errors naming
 * the file, the key and the problem.  Secret files are read last.
 */
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/config.h"
#include "util/keytab.h"
#include "core/log.h"
#include "util/str.h"
#include "util/nelem.h"

static const char *const dialect_names[] = {
	"v7",	/* INTAKE_DIALECT_V7 */
	"v8",	/* INTAKE_DIALECT_V8 */
};
INTAKE_ROWS(dialect_names, INTAKE_DIALECT__MAX);

/*
 * What the checks below need to know of each dialect; everything else
 * about a dialect is in its own file (integrify/v7.c, integrify/v8.c).
 */
static const struct dialect_traits {
	bool	apikey;		/* offers the API-key flow */
} dialect_traits[] = {
	{ .apikey = false },	/* INTAKE_DIALECT_V7 */
	{ .apikey = true },	/* INTAKE_DIALECT_V8 */
};
INTAKE_ROWS(dialect_traits, INTAKE_DIALECT__MAX);

static const char *const flow_names[] = {
	"impersonate",	/* INTAKE_FLOW_IMPERSONATE */
	"jwt",		/* INTAKE_FLOW_JWT */
	"apikey",	/* INTAKE_FLOW_APIKEY */
};
INTAKE_ROWS(flow_names, INTAKE_FLOW__MAX);

static const char *const fetch_names[] = {
	"csv",	/* INTAKE_FETCH_CSV */
	"json",	/* INTAKE_FETCH_JSON */
};
INTAKE_ROWS(fetch_names, INTAKE_FETCH__MAX);

static const char *const lookup_names[] = {
	"search",	/* INTAKE_LOOKUP_SEARCH */
	"list",		/* INTAKE_LOOKUP_LIST */
};
INTAKE_ROWS(lookup_names, INTAKE_LOOKUP__MAX);

static const char *const cache_kind_names[] = {
	"shm",		/* INTAKE_CACHE_SHM */
	"redis",	/* INTAKE_CACHE_REDIS */
};
INTAKE_ROWS(cache_kind_names, INTAKE_CACHE__MAX);

/* Rows of struct intake_config (C_*) and of struct intake_source (S_*). */
#define C_STR(sec, k, m, def, req)	INTAKE_KEY_STR(struct intake_config, sec, k, m, def, req)
#define C_INT(sec, k, m, lo, hi, def)	INTAKE_KEY_INT(struct intake_config, sec, k, m, lo, hi, def)
#define C_BOOL(sec, k, m, def)		INTAKE_KEY_BOOL(struct intake_config, sec, k, m, def)
#define C_MODE(sec, k, m, hi, def)	INTAKE_KEY_MODE(struct intake_config, sec, k, m, hi, def)
#define C_ENUM(sec, k, m, n, def, req)	INTAKE_KEY_ENUM(struct intake_config, sec, k, m, n, def, req)
#define S_STR(k, m, def, req)		INTAKE_KEY_STR(struct intake_source, NULL, k, m, def, req)
#define S_INT(k, m, lo, hi, def)	INTAKE_KEY_INT(struct intake_source, NULL, k, m, lo, hi, def)
#define S_ENUM(k, m, n, def)		INTAKE_KEY_ENUM(struct intake_source, NULL, k, m, n, def, false)

static const struct intake_keyrow opts[] = {
	C_STR("server", "listen", listen, "unix:/run/intake/intake.sock", false),
	C_MODE("server", "socket_mode", socket_mode, 0777, "0660"),
	C_STR("server", "admin_listen", admin_listen, "", false),
	C_BOOL("server", "public_processes", public_processes, "no"),
	C_STR("server", "socket_owner", socket_owner, "", false),
	C_STR("server", "socket_group", socket_group, "", false),
	C_STR("server", "user", run_user, "", false),
	C_STR("server", "group", run_group, "", false),
	C_INT("server", "workers", workers, 1, 256, "4"),
	C_INT("server", "max_requests", max_requests, 0, 1000000000, "10000"),
	C_INT("server", "backlog", backlog, 16, 65535, "1024"),
	C_INT("server", "shutdown_timeout", shutdown_timeout, 1, 3600, "30"),
	C_ENUM("server", "log_level", log_level, intake_log_level_names, "info", false),
	C_STR("server", "log_file", log_file, "", false),
	C_STR("server", "cache_file", cache_file, "/run/intake/cache.shm", false),
	C_STR("server", "publish_dir", publish_dir, "", false),
	C_INT("server", "cache_entries", cache_entries, 8, 65536, "256"),
	C_INT("server", "cache_entry_max", cache_entry_max, 4096, 16777216, "65536"),
	C_INT("server", "mark_entries", mark_entries, 64, 4194304, "65536"),
	C_INT("server", "filtered_entries", filtered_entries, 8, 65536, "256"),
	C_INT("server", "filtered_fetch_rate", filtered_fetch_rate, 0, 1000000, "60"),
	C_STR("server", "cors_origins", cors_origins, "", false),
	C_STR("server", "public_origins", public_origins, "", false),
	C_STR("server", "forms_dir", forms_dir, "", false),
	C_STR("server", "form_key_file", form_key_file, "", false),
	C_INT("server", "form_token_ttl", form_token_ttl, 60, 604800, "7200"),
	C_INT("server", "combobox_threshold", combobox_threshold, 0, 1000000, "50"),
	C_INT("server", "body_max", body_max, 1024, 104857600, "10485760"),
	C_INT("server", "upstream_slots", upstream_slots, 0, 256, "0"),
	C_INT("server", "upstream_wait_ms", upstream_wait_ms, 0, 300000, "2000"),
	C_INT("server", "rate_per_client", rate_per_client, 0, 1000000, "10"),
	C_INT("server", "rate_per_form", rate_per_form, 0, 100000000, "600"),
	C_INT("server", "rate_window", rate_window, 1, 86400, "60"),
	C_STR("spool", "dir", spool_dir, "/var/spool/intake", false),
	C_INT("spool", "retry_base", spool_retry_base, 1, 3600, "2"),
	C_INT("spool", "retry_max", spool_retry_max, 1, 86400, "300"),
	C_INT("spool", "max_age", spool_max_age, 60, 31536000, "604800"),
	C_INT("spool", "keep_done", spool_keep_done, 3600, 31536000, "1209600"),
	C_INT("spool", "scan_interval_ms", spool_scan_ms, 50, 60000, "500"),
	C_BOOL("spool", "dedupe", spool_dedupe, "yes"),
	C_ENUM("spool", "lookup", spool_lookup, lookup_names, "search", false),
	C_INT("spool", "breaker_failures", breaker_failures, 1, 1000, "5"),
	C_INT("spool", "breaker_cooldown", breaker_cooldown, 1, 3600, "10"),
	C_INT("spool", "inline_budget_ms", spool_inline_budget_ms, 100, 300000, "3000"),
	C_ENUM("cache", "backend", cache_backend, cache_kind_names, "shm", false),
	C_STR("cache", "redis_host", redis_host, "127.0.0.1", false),
	C_INT("cache", "redis_port", redis_port, 1, 65535, "6379"),
	C_STR("cache", "redis_socket", redis_socket, "", false),
	C_STR("cache", "redis_user", redis_user, "", false),
	C_STR("cache", "redis_password_file", redis_password_file, "", false),
	C_INT("cache", "redis_timeout_ms", redis_timeout_ms, 10, 60000, "250"),
	C_INT("cache", "redis_retry_ms", redis_retry_ms, 10, 60000, "500"),
	C_STR("cache", "redis_prefix", redis_prefix, "intake:", false),
	C_STR("cache", "redis_seal_key_file", redis_seal_key_file, "", false),
	C_BOOL("cache", "redis_tls", redis_tls, "no"),
	C_STR("cache", "redis_tls_ca_file", redis_tls_ca_file, "", false),
	C_STR("cache", "redis_tls_cert_file", redis_tls_cert_file, "", false),
	C_STR("cache", "redis_tls_key_file", redis_tls_key_file, "", false),
	C_STR("cache", "redis_tls_server_name", redis_tls_server_name, "", false),
	C_ENUM("integrify", "dialect", dialect, dialect_names, NULL, true),
	C_ENUM("integrify", "flow", flow, flow_names, NULL, true),
	C_STR("integrify", "base_url", base_url, NULL, true),
	C_STR("integrify", "connect_to", connect_to, "", false),
	C_STR("integrify", "user", user, NULL, true),
	C_STR("integrify", "tenant", tenant, "", false),
	C_STR("integrify", "key_file", key_file, NULL, true),
	C_STR("integrify", "secret_file", secret_file, "", false),
	C_STR("integrify", "ca_file", ca_file, "", false),
	C_BOOL("integrify", "allow_http", allow_http, "no"),
	C_INT("integrify", "token_lifetime", token_lifetime, 2, 864000, "3600"),
	C_INT("integrify", "refresh_ahead", refresh_ahead, 0, 86400, "60"),
	C_INT("integrify", "fetch_failure_ttl", fetch_failure_ttl, 0, 3600, "5"),
	C_INT("integrify", "connect_timeout_ms", connect_timeout_ms, 100, 60000, "3000"),
	C_INT("integrify", "timeout_ms", timeout_ms, 100, 300000, "10000"),
	C_INT("integrify", "response_max", response_max, 4096, 268435456, "8388608"),
	C_INT("integrify", "keepalive_s", keepalive_s, 0, 3600, "30"),
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))

/* Keys of a [source:NAME] or [report:NAME] section. */
static const struct intake_keyrow source_opts[] = {
	S_STR("report", report, NULL, true),
	S_ENUM("fetch", fetch, fetch_names, "csv"),
	S_STR("value_column", value_column, "", false),
	S_STR("label_column", label_column, "", false),
	S_STR("title", title, "", false),
	S_STR("columns", columns, "", false),
	S_INT("ttl", ttl, 1, 86400, "300"),
	S_INT("stale_ttl", stale_ttl, 0, 2592000, "86400"),
	S_INT("page_size", page_size, 1, 1000, "100"),
	S_INT("max_rows", max_rows, 1, 100000, "10000"),
};
#define NSOURCE_OPTS	(sizeof(source_opts) / sizeof(source_opts[0]))

static const char *const kind_prefixes[] = {
	"source:",	/* INTAKE_SOURCE_CHOICES */
	"report:",	/* INTAKE_SOURCE_REPORT */
};
INTAKE_ROWS(kind_prefixes, INTAKE_SOURCE_KIND__MAX);

/* Request parameters a filter may not take: the endpoints' own. */
static const char *const reserved_params[] = {
	"q", "term", "page", "per_page", "format", "selected", "_type", NULL
};

/* Parsing state handed through the INI reader (keytab.h). */
struct load {
	struct intake_keyload	 kl;	/* the file, its first problem */
	struct intake_config	*cfg;
	unsigned char		 seen[NOPTS];
	unsigned char		 source_seen[INTAKE_SOURCES_MAX][NSOURCE_OPTS];
};

const char *
intake_dialect_name(enum intake_dialect_id d)
{
	return (unsigned)d < INTAKE_DIALECT__MAX ? dialect_names[d] : "?";
}

const char *
intake_flow_name(enum intake_flow f)
{
	return (unsigned)f < INTAKE_FLOW__MAX ? flow_names[f] : "?";
}

const char *
intake_cache_kind_name(enum intake_cache_kind k)
{
	return (unsigned)k < INTAKE_CACHE__MAX ? cache_kind_names[k] : "?";
}

/* Note the config's problem (the first one wins); -1, for "return load_fail(...)". */
	static int
	load_fail(struct load *l, const char *section, const char *key, const char *problem)
	{
		intake_keyload_fail(&l->kl, section, key, problem);
	return -1;
}

/* One key of a table into base; 0 (with the error noted) to stop. */
static int
set_key(struct load *l, void *base, const struct intake_keyrow *rows, size_t n,
    unsigned char *seen, const char *section, const char *key, const char *value)
{
	return intake_keyload_set(&l->kl, base, rows, n, seen, section, key, value);
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
	(void)intake_keytab_defaults(src, source_opts, NSOURCE_OPTS);	/* checked at load */
	*idx = c->nsources++;
	return src;
}

static const char *const check_names[] = {
	"",		/* INTAKE_CHECK_NONE */
	"source:",	/* INTAKE_CHECK_SOURCE */
	"pattern:",	/* INTAKE_CHECK_PATTERN */
	"values:",	/* INTAKE_CHECK_VALUES */
};
INTAKE_ROWS(check_names, INTAKE_CHECK__MAX);

/* The filter slot of src for request parameter param, made on first use; NULL if full. */
static struct intake_filter_param *
filter_for(struct intake_source *src, const char *param)
{
	struct intake_filter_param	*f;
	size_t				 i;

	for (i = 0; i < src->nfilters; i++)
		if (strcmp(src->filters[i].param, param) == 0)
			return &src->filters[i];
	if (src->nfilters == INTAKE_FILTERS_MAX)
		return NULL;
	f = &src->filters[src->nfilters++];
	memset(f, 0, sizeof(*f));
	(void)intake_strlcpy(f->param, param, sizeof(f->param));
	return f;
}

/* "source:NAME", "pattern:ERE" or "values:A|B" into f.  NULL, or the problem. */
static const char *
parse_check(struct intake_filter_param *f, const char *value)
{
	char	anchored[INTAKE_CHECK_ARG_MAX + 8];
	size_t	i, n;

	for (i = 1; i < INTAKE_CHECK__MAX; i++) {
		n = strlen(check_names[i]);
		if (strncmp(value, check_names[i], n) == 0)
			break;
	}
	if (i == INTAKE_CHECK__MAX)
		return "must be source:NAME, pattern:REGEX or values:A|B|C";
	value += strlen(check_names[i]);
	if (*value == '\0')
		return "says nothing after its kind";
	if (intake_strlcpy(f->check_arg, value, sizeof(f->check_arg)) != INTAKE_OK)
		return "too long";
	f->check = (enum intake_check)i;
	if (f->check == INTAKE_CHECK_SOURCE && !name_ok(value, INTAKE_SOURCE_NAME_MAX))
		return "source: must name a [source:NAME] section";
	if (f->check == INTAKE_CHECK_PATTERN) {
		/* The whole value must match, as with a form field's pattern. */
		(void)snprintf(anchored, sizeof(anchored), "^(%s)$", value);
		if (regcomp(&f->re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
			return "pattern: is not a POSIX extended regular expression";
		f->has_re = true;
	}
	return NULL;
}

/*
 * filter.PARAM = EXPOSE (the parameter feeds the report's exposed filter)
 * or check.PARAM = CHECK (which values it takes), in either order.
 */
static int
on_filter_key(struct load *l, struct intake_source *src, const char *section,
    const char *key, const char *value)
{
	struct intake_filter_param	*f;
	const char			*param = strchr(key, '.') + 1, *problem;
	size_t				 i;
	bool				 is_filter = key[0] == 'f';

	if (!name_ok(param, sizeof(f->param))) {
		load_fail(l, section, key, "filter parameter must be 1-31 of a-z 0-9 _ -");
		return 0;
	}
	for (i = 0; reserved_params[i] != NULL; i++)
		if (strcmp(param, reserved_params[i]) == 0) {
			load_fail(l, section, key, "filter parameter name is reserved");
			return 0;
		}
	f = filter_for(src, param);
	if (f == NULL) {
		load_fail(l, section, key, "too many filter keys");
		return 0;
	}
	if ((is_filter && f->expose[0] != '\0') || (!is_filter && f->check != INTAKE_CHECK_NONE)) {
		load_fail(l, section, key, "set twice");
		return 0;
	}
	if (is_filter) {
		if (*value == '\0' ||
		    intake_strlcpy(f->expose, value, sizeof(f->expose)) != INTAKE_OK) {
			load_fail(l, section, key, "must name the report's exposed filter");
			return 0;
		}
		return 1;
	}
	if ((problem = parse_check(f, value)) != NULL) {
		load_fail(l, section, key, problem);
		return 0;
	}
	return 1;
}

/*
 * Every filter has both keys, and a source: check names a [source:] list.
 * Returns 0 or fails l.
 */
static int
check_filters(struct load *l, struct intake_source *src, const char *section)
{
	struct intake_config		*c = l->cfg;
	struct intake_filter_param	*f;
	const struct intake_source	*other;
	char				 key[48], hint[200];
	size_t				 i;

	for (i = 0; i < src->nfilters; i++) {
		f = &src->filters[i];
		if (f->expose[0] == '\0') {
			(void)snprintf(key, sizeof(key), "check.%s", f->param);
			load_fail(l, section, key, "has no filter.NAME of the same name");
			return -1;
		}
		if (f->check == INTAKE_CHECK_NONE) {
			/* Unchecked values would each cost a fetch and a cache entry. */
			(void)snprintf(key, sizeof(key), "filter.%s", f->param);
			(void)snprintf(hint, sizeof(hint), "needs check.%s: the values it takes "
			    "(source:NAME of a list offering them, pattern:REGEX or values:A|B)",
			    f->param);
			load_fail(l, section, key, hint);
			return -1;
		}
		if (f->check != INTAKE_CHECK_SOURCE)
			continue;
		other = intake_config_source(c, INTAKE_SOURCE_CHOICES, f->check_arg,
		    strlen(f->check_arg));
		if (other == NULL) {
			(void)snprintf(key, sizeof(key), "check.%s", f->param);
			load_fail(l, section, key, "no [source:NAME] of that name in the config");
			return -1;
		}
		f->check_source = (size_t)(other - c->sources);
	}
	return 0;
}

/* A key of a [source:NAME] or [report:NAME] section. */
static int
on_source_key(struct load *l, enum intake_source_kind kind, const char *section,
    const char *key, const char *value)
{
	struct intake_source	*src;
	const char		*name = section + strlen(kind_prefixes[kind]);
	size_t			 idx;

	if (!name_ok(name, INTAKE_SOURCE_NAME_MAX)) {
		load_fail(l, section, key, "section name must be 1-63 of a-z 0-9 _ -");
		return 0;
	}
	src = source_for(l, kind, name, &idx);
	if (src == NULL) {
		load_fail(l, section, key, "too many [source:] and [report:] sections");
		return 0;
	}
	if (strncmp(key, "filter.", 7) == 0 || strncmp(key, "check.", 6) == 0)
		return on_filter_key(l, src, section, key, value);
	return set_key(l, src, source_opts, NSOURCE_OPTS, l->source_seen[idx], section, key,
	    value);
}

/*
 * Is section one of the key table's?  Else note it as unknown, with the
 * nearest known name (the table's sections, [source:NAME], [report:NAME]).
 */
static int
known_section(struct load *l, const char *section)
{
	const char	*known[NOPTS + INTAKE_SOURCE_KIND__MAX];
	char		 kinds[INTAKE_SOURCE_KIND__MAX][32];
	size_t		 i, j, n = 0;

	if (section[0] == '\0')
		return 1;	/* a key before any section: told as an unknown key */
	for (i = 0; i < NOPTS; i++) {
		if (strcmp(opts[i].section, section) == 0)
			return 1;
		for (j = 0; j < n && strcmp(known[j], opts[i].section) != 0; j++)
			;
		if (j == n)
			known[n++] = opts[i].section;
	}
	for (i = 0; i < INTAKE_SOURCE_KIND__MAX; i++) {
		(void)snprintf(kinds[i], sizeof(kinds[i]), "%sNAME", kind_prefixes[i]);
		known[n++] = kinds[i];
	}
	intake_keyload_unknown_section(&l->kl, section, known, n);
	return 0;
}

/* The reader's callback: one key at a time. Returns 0 to stop on error. */
static int
on_key(void *user, const char *section, const char *key, const char *value)
{
	struct load	*l = user;
	size_t		 i;

	for (i = 0; i < INTAKE_SOURCE_KIND__MAX; i++)
		if (strncmp(section, kind_prefixes[i], strlen(kind_prefixes[i])) == 0)
			return on_source_key(l, (enum intake_source_kind)i, section, key, value);
	if (!known_section(l, section))
		return 0;
	return set_key(l, l->cfg, opts, NOPTS, l->seen, section, key, value);
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

/*
 * Read an AES-256 key file: exactly 32 raw bytes, or 64 hex digits with
 * optional surrounding whitespace.  Returns a problem or NULL.
 */
static const char *
read_key32(const char *path, unsigned char out[32])
{
	unsigned char	 buf[130];
	ssize_t		 n;
	size_t		 len, start, i;
	int		 fd, hi, lo;
	const char	*problem = NULL;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return errno == ENOENT ? "file not found" : "file cannot be read";
	n = read(fd, buf, sizeof(buf));
	(void)close(fd);
	if (n < 0)
		return "file cannot be read";
	len = (size_t)n;
	if (len == 32) {
		memcpy(out, buf, 32);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	for (start = 0; start < len && (buf[start] == ' ' || buf[start] == '\t'); start++)
		;
	if (len - start != 64) {
		problem = "must hold 32 raw bytes or 64 hex digits";
		goto out;
	}
	for (i = 0; i < 32; i++) {
		hi = intake_hex_digit((char)buf[start + 2 * i]);
		lo = intake_hex_digit((char)buf[start + 2 * i + 1]);
		if (hi < 0 || lo < 0) {
			problem = "must hold 32 raw bytes or 64 hex digits";
			break;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return problem;
}

/* The [cache] keys that span each other, and the Redis secrets.  0 or fails l. */
static int
check_cache(struct load *l)
{
	struct intake_config	*c = l->cfg;
	const char		*p;
	struct sockaddr_un	 sun;

	if (c->cache_backend != INTAKE_CACHE_REDIS)
		return 0;
	if (c->redis_socket[0] != '\0' && (c->redis_socket[0] != '/' ||
	    strlen(c->redis_socket) >= sizeof(sun.sun_path)))
		return load_fail(l, "cache", "redis_socket", "must be an absolute path that fits a "
		    "unix socket address");
	if (c->redis_socket[0] == '\0' && c->redis_host[0] == '\0')
		return load_fail(l, "cache", "redis_host", "required with backend = redis and no "
		    "redis_socket");
	if (c->redis_prefix[0] == '\0' || strpbrk(c->redis_prefix, " \t\r\n") != NULL)
		return load_fail(l, "cache", "redis_prefix", "must be non-empty, without blanks");
	/* Values leave the process: nothing goes to Redis unsealed. */
	if (c->redis_seal_key_file[0] == '\0')
		return load_fail(l, "cache", "redis_seal_key_file", "required with backend = redis");
	if ((p = read_key32(c->redis_seal_key_file, c->redis_seal_key)) != NULL)
		return load_fail(l, "cache", "redis_seal_key_file", p);
	if (c->redis_password_file[0] != '\0' && (p = read_secret(c->redis_password_file,
	    c->redis_password, sizeof(c->redis_password))) != NULL)
		return load_fail(l, "cache", "redis_password_file", p);
	if (c->redis_user[0] != '\0' && c->redis_password_file[0] == '\0')
		return load_fail(l, "cache", "redis_user", "needs redis_password_file");
	return 0;
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

/* Characters separating the origins of a list. */
#define ORIGIN_SEP	" \t,"

/*
 * One origin as a browser serialises it: http or https, a lowercase host
 * (a name, an IPv4 address or a bracketed IPv6 address), a port only when
 * it is not the scheme's own, and nothing after.  Returns a problem or NULL.
 */
static const char *
check_origin(const char *o, size_t len)
{
	size_t		 i, port_at, host_at;
	unsigned long	 port = 0;
	bool		 tls;

	if (len >= 8 && strncmp(o, "https://", 8) == 0) {
		tls = true;
		host_at = 8;
	} else if (len >= 7 && strncmp(o, "http://", 7) == 0) {
		tls = false;
		host_at = 7;
	} else
		return "each origin must start with https:// or http:// (lowercase)";
	i = host_at;
	if (i < len && o[i] == '[') {
		for (i++; i < len && o[i] != ']'; i++)
			if (!((o[i] >= '0' && o[i] <= '9') || (o[i] >= 'a' && o[i] <= 'f') ||
			    o[i] == ':' || o[i] == '.'))
				return "an IPv6 origin must be [lowercase hex]";
		if (i == len)
			return "an IPv6 origin lacks its ']'";
		i++;
	} else
		for (; i < len && o[i] != ':'; i++) {
			if (o[i] >= 'A' && o[i] <= 'Z')
				return "each origin's host must be lowercase, as browsers send it";
			if (o[i] == '/' || o[i] == '?' || o[i] == '#')
				return "each origin must be scheme://host[:port], with no path "
				    "(not even a trailing /)";
			if (!((o[i] >= 'a' && o[i] <= 'z') || (o[i] >= '0' && o[i] <= '9') ||
			    o[i] == '.' || o[i] == '-'))
				return "an origin's host must be a name (in punycode) or an address";
		}
	if (i == host_at || (i == host_at + 2 && o[host_at] == '['))
		return "an origin has no host";
	if (i == len)
		return NULL;
	if (o[i] != ':')
		return "each origin must be scheme://host[:port], with no path "
		    "(not even a trailing /)";
	port_at = ++i;
	for (; i < len; i++) {
		if (o[i] < '0' || o[i] > '9' || i - port_at >= 5)
			return "an origin's port must be a number (1-65535)";
		port = port * 10 + (unsigned long)(o[i] - '0');
	}
	if (i == port_at || port < 1 || port > 65535)
		return "an origin's port must be a number (1-65535)";
	if (port == (tls ? 443u : 80u))
		return "leave out the scheme's own port (browsers send the origin without it)";
	return NULL;
}

/* Every origin of a list (space-separated).  Returns a problem or NULL. */
static const char *
check_origins(const char *list)
{
	const char	*p = list, *problem;
	size_t		 n;

	for (;;) {
		p += strspn(p, ORIGIN_SEP);
		if (*p == '\0')
			return NULL;
		n = strcspn(p, ORIGIN_SEP);
		if ((problem = check_origin(p, n)) != NULL)
			return problem;
		p += n;
	}
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

/* The [server] keys that must hold together.  0 or fails l. */
static int
check_server(struct load *l)
{
	struct intake_config	*c = l->cfg;
	const char		*p;

	if ((p = check_listen(c->listen)) != NULL)
		return load_fail(l, "server", "listen", p);
	if (c->admin_listen[0] != '\0' && (p = check_listen(c->admin_listen)) != NULL)
		return load_fail(l, "server", "admin_listen", p);
	if (c->admin_listen[0] != '\0' && strcmp(c->admin_listen, c->listen) == 0)
		return load_fail(l, "server", "admin_listen", "must differ from listen");
	if (c->cache_file[0] != '/')
		return load_fail(l, "server", "cache_file", "must be an absolute path");
	if (c->log_file[0] != '\0' && c->log_file[0] != '/')
		return load_fail(l, "server", "log_file", "must be an absolute path");
	/* Room for "/api/choices/" and a list's file name under it (cache/publish.c). */
	_Static_assert(INTAKE_PATH_MAX - 96 == 416, "the message says 416");
	if (c->publish_dir[0] != '\0' && (c->publish_dir[0] != '/' ||
	    strlen(c->publish_dir) > INTAKE_PATH_MAX - 96))
		return load_fail(l, "server", "publish_dir", "must be an absolute path of at most "
		    "416 bytes");
	return 0;
}

/* The [spool] keys, and what they promise the forms.  0 or fails l. */
static int
check_spool(struct load *l)
{
	struct intake_config	*c = l->cfg;
	const char		*p;

	if (c->spool_dir[0] != '/')
		return load_fail(l, "spool", "dir", "must be an absolute path");
	if (c->spool_retry_max < c->spool_retry_base)
		return load_fail(l, "spool", "retry_max", "must not be less than retry_base");
	/* A replayed form must still find its receipt: receipts outlive tokens. */
	if (c->spool_keep_done < 2 * c->form_token_ttl)
		return load_fail(l, "spool", "keep_done", "must be at least twice server.form_token_ttl");
	if ((p = check_origins(c->public_origins)) != NULL)
		return load_fail(l, "server", "public_origins", p);
	return 0;
}

/* The [integrify] keys: the URL, and flow, dialect and times that fit.  0 or fails l. */
static int
check_integrify(struct load *l)
{
	struct intake_config	*c = l->cfg;
	const char		*p;
	size_t			 n;

	if ((p = check_base_url(c)) != NULL)
		return load_fail(l, "integrify", "base_url", p);
	n = strlen(c->base_url);
	if (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[n - 1] = '\0';
	if (c->flow == INTAKE_FLOW_APIKEY && !dialect_traits[c->dialect].apikey)
		return load_fail(l, "integrify", "flow", "apikey needs dialect = v8");
	if (c->flow == INTAKE_FLOW_APIKEY && c->tenant[0] == '\0')
		return load_fail(l, "integrify", "tenant", "required with flow = apikey");
	if (c->flow == INTAKE_FLOW_JWT && c->secret_file[0] == '\0')
		return load_fail(l, "integrify", "secret_file", "required with flow = jwt");
	if (c->refresh_ahead >= c->token_lifetime)
		return load_fail(l, "integrify", "refresh_ahead", "must be less than token_lifetime");
	if (c->timeout_ms < c->connect_timeout_ms)
		return load_fail(l, "integrify", "timeout_ms", "must not be less than connect_timeout_ms");
	return 0;
}

/* Every [source:] and [report:] section, and room for them all.  0 or fails l. */
static int
check_sources(struct load *l)
{
	struct intake_config		*c = l->cfg;
	const struct intake_keyrow	*missing;
	char				 section[INTAKE_SOURCE_NAME_MAX + 8];
	size_t				 i;

	/* The token, every unfiltered list and their leases never evict each other. */
	if (c->cache_entries < 2 * (long long)c->nsources + 4)
		return load_fail(l, "server", "cache_entries", "must hold the token and every list with "
		    "its lease: at least 2 x ([source:] + [report:] sections) + 4");
	for (i = 0; i < c->nsources; i++) {
		(void)snprintf(section, sizeof(section), "%s%s", kind_prefixes[c->sources[i].kind],
		    c->sources[i].name);
		if ((missing = intake_keytab_missing(source_opts, NSOURCE_OPTS,
		    l->source_seen[i])) != NULL)
			return load_fail(l, section, missing->key, "required but missing");
		if (c->sources[i].report[0] == '\0' ||
		    strpbrk(c->sources[i].report, "/?#&%\\ ") != NULL)
			return load_fail(l, section, "report", "must be a report SID");
		if (check_filters(l, &c->sources[i], section) != 0)
			return -1;
	}
	return 0;
}

/*
 * The form token key: SHA-256 of form_key_file's text (32 characters at
 * least), or random for this start.  0 or fails l.
 */
static int
read_form_key(struct load *l)
{
	struct intake_config	*c = l->cfg;
	const char		*p;
	char			 keytext[INTAKE_SECRET_MAX];

	if (c->form_key_file[0] == '\0') {
		if (RAND_bytes(c->form_key, sizeof(c->form_key)) == 1)
			return 0;
		load_fail(l, "server", "form_key_file", "no random key could be made");
		return -1;
	}
	if ((p = read_secret(c->form_key_file, keytext, sizeof(keytext))) != NULL)
		return load_fail(l, "server", "form_key_file", p);
	if (strlen(keytext) < 32) {
		OPENSSL_cleanse(keytext, sizeof(keytext));
		load_fail(l, "server", "form_key_file", "needs at least 32 characters");
		return -1;
	}
	SHA256((const unsigned char *)keytext, strlen(keytext), c->form_key);
	OPENSSL_cleanse(keytext, sizeof(keytext));
	return 0;
}

/* The Integrify secrets and the form key, read last.  0 or fails l. */
static int
read_secrets(struct load *l)
{
	struct intake_config	*c = l->cfg;
	const char		*p;

	if ((p = read_secret(c->key_file, c->key, sizeof(c->key))) != NULL)
		return load_fail(l, "integrify", "key_file", p);
	if (c->secret_file[0] != '\0' &&
	    (p = read_secret(c->secret_file, c->secret, sizeof(c->secret))) != NULL)
		return load_fail(l, "integrify", "secret_file", p);
	return read_form_key(l);
}

/* Checks that span keys, in this order; the first problem is the one told. */
static int (*const checks[])(struct load *) = {
	check_server, check_spool, check_integrify, check_sources, read_secrets, check_cache,
};

/* Checks that span keys. Returns 0 or fails l. */
static int
check_all(struct load *l)
{
	struct intake_config		*c = l->cfg;
	const struct intake_keyrow	*missing;
	size_t				 i;

	if ((missing = intake_keytab_missing(opts, NOPTS, l->seen)) != NULL)
		return load_fail(l, missing->section, missing->key, "required but missing");
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (checks[i](l) != 0)
			return -1;
	/* Fail closed, loudly: without its origins no form post can be told genuine. */
	if (c->forms_dir[0] != '\0' && c->public_origins[0] == '\0')
		intake_log_warn("%s: [server] public_origins is empty: every form post will be "
		    "refused (403); set it to the origin(s) the forms are served from", c->path);
	return 0;
}

enum intake_err
intake_config_load(const char *path, struct intake_config **out, char *errbuf,
    size_t errsz)
{
	struct intake_config	*cfg;
	struct load		 l;
	const char		*bad_default;

	cfg = intake_xcalloc(1, sizeof(*cfg));
	memset(&l, 0, sizeof(l));
	l.cfg = cfg;
	intake_keyload_init(&l.kl, cfg->path, "unknown key (see intake.conf.example)", errbuf,
	    errsz);
	if (intake_strlcpy(cfg->path, path, sizeof(cfg->path)) != INTAKE_OK) {
		(void)snprintf(errbuf, errsz, "config path too long");
		free(cfg);
		return INTAKE_ECONFIG;
	}
	if ((bad_default = intake_keytab_defaults(cfg, opts, NOPTS)) != NULL ||
	    (bad_default = intake_keytab_defaults(&(struct intake_source){ 0 }, source_opts,
	    NSOURCE_OPTS)) != NULL) {
		(void)snprintf(errbuf, errsz, "internal: the default of %s is refused", bad_default);
		free(cfg);
		return INTAKE_ECONFIG;
	}

	if (intake_keyload_parse(&l.kl, NULL, on_key, &l) != INTAKE_OK || check_all(&l) != 0) {
		intake_config_free(cfg);
		return INTAKE_ECONFIG;
	}
	*out = cfg;
	return INTAKE_OK;
}

void
intake_config_free(struct intake_config *cfg)
{
	size_t	i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nsources; i++)
		for (j = 0; j < cfg->sources[i].nfilters; j++)
			if (cfg->sources[i].filters[j].has_re)
				regfree(&cfg->sources[i].filters[j].re);
	/* Do not leave secrets behind in freed memory. */
	OPENSSL_cleanse(cfg->key, sizeof(cfg->key));
	OPENSSL_cleanse(cfg->secret, sizeof(cfg->secret));
	OPENSSL_cleanse(cfg->form_key, sizeof(cfg->form_key));
	OPENSSL_cleanse(cfg->redis_password, sizeof(cfg->redis_password));
	OPENSSL_cleanse(cfg->redis_seal_key, sizeof(cfg->redis_seal_key));
	free(cfg);
}

const char *const *
intake_config_keys(void)
{
	static char		 names[NOPTS + INTAKE_SOURCE_KIND__MAX * (NSOURCE_OPTS + 2)][64];
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
		(void)snprintf(names[n++], sizeof(names[0]), "%sNAME.check.NAME", kind_prefixes[k]);
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
intake_filter_value_ok(const struct intake_filter_param *f, const char *value)
{
	const char	*p = f->check_arg, *end;
	size_t		 n = strlen(value);

	switch (f->check) {
	case INTAKE_CHECK_SOURCE:
		return true;
	case INTAKE_CHECK_PATTERN:
		return f->has_re && regexec(&f->re, value, 0, NULL, 0) == 0;
	case INTAKE_CHECK_VALUES:
		for (;;) {
			end = p + strcspn(p, "|");
			if ((size_t)(end - p) == n && memcmp(p, value, n) == 0)
				return true;
			if (*end == '\0')
				return false;
			p = end + 1;
		}
	case INTAKE_CHECK_NONE:		/* refused at load: never reached */
	case INTAKE_CHECK__MAX:
		return false;
	}
	return false;
}

/* Is origin exactly one of the list's (space-separated) origins? */
static bool
origin_in(const char *list, const char *origin)
{
	const char	*p = list, *end;
	size_t		 n = strlen(origin);

	if (n == 0)
		return false;
	while (*p != '\0') {
		p += strspn(p, ORIGIN_SEP);
		end = p + strcspn(p, ORIGIN_SEP);
		if ((size_t)(end - p) == n && memcmp(p, origin, n) == 0)
			return true;
		p = end;
	}
	return false;
}

bool
intake_config_origin_allowed(const struct intake_config *cfg, const char *origin)
{
	return origin_in(cfg->cors_origins, origin);
}

bool
intake_config_origin_public(const struct intake_config *cfg, const char *origin)
{
	return origin_in(cfg->public_origins, origin);
}
