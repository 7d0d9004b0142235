/*
 * cache.c - key composition and backend dispatch (see cache.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/backend.h"
#include "intake/str.h"

struct intake_cache {
	const struct intake_cache_backend	*be;
	void					*state;
};

/*
 * "section:name", or "section:#<sha256 of name>" when that would not fit,
 * so a long name never truncates into another key.
 */
static enum intake_err
make_key(const char *section, const char *name, char key[INTAKE_CACHE_KEY_MAX])
{
	char	hex[65];
	int	n;

	n = snprintf(key, INTAKE_CACHE_KEY_MAX, "%s:%s", section, name);
	if (n >= 0 && n < INTAKE_CACHE_KEY_MAX)
		return INTAKE_OK;
	intake_sha256_hex(name, strlen(name), hex);
	n = snprintf(key, INTAKE_CACHE_KEY_MAX, "%s:#%s", section, hex);
	if (n < 0 || n >= INTAKE_CACHE_KEY_MAX)
		return INTAKE_EINVAL;
	return INTAKE_OK;
}

static enum intake_err
cache_open(const struct intake_cache_geometry *g, bool fresh, struct intake_cache **out)
{
	struct intake_cache	*c;
	enum intake_err		 err;

	c = intake_xcalloc(1, sizeof(*c));
	c->be = &intake_cache_shm;
	err = c->be->open(g, fresh, &c->state);
	if (err != INTAKE_OK) {
		free(c);
		return err;
	}
	*out = c;
	return INTAKE_OK;
}

enum intake_err
intake_cache_open(const struct intake_config *cfg, bool fresh, struct intake_cache **out)
{
	struct intake_cache_geometry	g = { cfg->cache_file, cfg->cache_entries,
					    cfg->cache_entry_max };

	return cache_open(&g, fresh, out);
}

#define MARK_VALUE_MAX	512	/* a nonce's receipt or a counter */

/* A cache of its own in the file cache_file + suffix, of that shape. */
static enum intake_err
open_beside(const struct intake_config *cfg, const char *suffix, long long entries,
    long long entry_max, bool fresh, struct intake_cache **out)
{
	struct intake_cache_geometry	g;
	char				path[INTAKE_PATH_MAX + 8];
	int				n;

	n = snprintf(path, sizeof(path), "%s%s", cfg->cache_file, suffix);
	if (n < 0 || (size_t)n >= sizeof(path))
		return INTAKE_ECONFIG;
	g.path = path;
	g.entries = entries;
	g.entry_max = entry_max;
	return cache_open(&g, fresh, out);
}

enum intake_err
intake_cache_open_marks(const struct intake_config *cfg, bool fresh,
    struct intake_cache **out)
{
	return open_beside(cfg, ".marks", cfg->mark_entries, MARK_VALUE_MAX, fresh, out);
}

enum intake_err
intake_cache_open_lists(const struct intake_config *cfg, bool fresh,
    struct intake_cache **out)
{
	return open_beside(cfg, ".lists", cfg->filtered_entries, cfg->cache_entry_max, fresh,
	    out);
}

enum intake_err
intake_cache_child_init(struct intake_cache *c)
{
	return c->be->child_init(c->state);
}

void
intake_cache_close(struct intake_cache *c)
{
	if (c == NULL)
		return;
	c->be->close(c->state);
	free(c);
}

const char *
intake_cache_backend_name(const struct intake_cache *c)
{
	return c->be->name;
}

enum intake_err
intake_cache_get(struct intake_cache *c, const char *section, const char *name,
    void *val, size_t cap, size_t *len, bool *hit)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->get(c->state, key, val, cap, len, hit);
}

enum intake_err
intake_cache_set(struct intake_cache *c, const char *section, const char *name,
    const void *val, size_t len, int64_t expires_ms)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->set(c->state, key, val, len, expires_ms);
}

enum intake_err
intake_cache_del(struct intake_cache *c, const char *section, const char *name,
    const void *if_val, size_t if_len)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->del(c->state, key, if_val, if_len);
}

enum intake_err
intake_cache_add(struct intake_cache *c, const char *section, const char *name,
    const void *val, size_t len, int64_t expires_ms, bool *added)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->add(c->state, key, val, len, expires_ms, added);
}

enum intake_err
intake_cache_incr(struct intake_cache *c, const char *section, const char *name,
    int64_t expires_ms, long long *count)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->incr(c->state, key, expires_ms, count);
}

enum intake_err
intake_cache_lease(struct intake_cache *c, const char *section, const char *name,
    int64_t lease_ms, bool *leader)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->lease(c->state, key, lease_ms, leader);
}

enum intake_err
intake_cache_release(struct intake_cache *c, const char *section, const char *name)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->release(c->state, key);
}

enum intake_err
intake_cache_wait(struct intake_cache *c, const char *section, const char *name,
    int64_t timeout_ms)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(section, name, key);
	if (err != INTAKE_OK)
		return err;
	return c->be->wait(c->state, key, timeout_ms);
}

void
intake_cache_reap(struct intake_cache *c, pid_t pid)
{
	c->be->reap(c->state, pid);
}
