/*
 * memo.c - rendered listing answers per list version (memo.h).
 *
 * A list is its source (kind and name) and its rows' version; each list
 * holds a ring of variants.  As in the report cache's level 1, the two
 * classes of lists are kept apart: an unfiltered list has its source's
 * own place, which a new version takes over, and filtered lists share
 * MEMO_FILTERED places, least recently used first out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/handler/memo.h"
#include "util/str.h"

#define MEMO_UNFILTERED	INTAKE_SOURCES_MAX	/* one per source: never evicted */
#define MEMO_FILTERED	32			/* filtered lists, per worker */
#define MEMO_LISTS	(MEMO_UNFILTERED + MEMO_FILTERED)
#define MEMO_VARIANTS	16			/* bodies remembered per list */
#define SOURCE_KEY_MAX	(INTAKE_NAME_MAX + 16)
#define VERSION_MAX	65

struct memo_variant {
	char			*variant;	/* NULL: free */
	struct intake_buf	 body;
	char			 etag[INTAKE_MEMO_ETAG_MAX];
};

struct memo_list {
	char			 source[SOURCE_KEY_MAX];	/* "kind|name"; "": free */
	char			 version[VERSION_MAX];
	uint64_t		 used;		/* memo_clock when last used */
	struct memo_variant	 v[MEMO_VARIANTS];
	size_t			 next;		/* the ring's next slot */
};

/* One per process (memo.h says why that is enough). */
static struct memo_list	memo_lists[MEMO_LISTS];
static uint64_t		memo_clock;

/* "kind|name": which source the rows are of. */
static void
source_key(const struct intake_source *src, char key[SOURCE_KEY_MAX])
{
	(void)snprintf(key, SOURCE_KEY_MAX, "%d|%s", (int)src->kind, src->name);
}

static void
list_clear(struct memo_list *l)
{
	size_t	i;

	for (i = 0; i < MEMO_VARIANTS; i++) {
		free(l->v[i].variant);
		intake_buf_free(&l->v[i].body);
	}
	memset(l, 0, sizeof(*l));
}

/* The places of a class of lists: [*lo, *hi). */
static void
region(bool filtered, size_t *lo, size_t *hi)
{
	*lo = filtered ? MEMO_UNFILTERED : 0;
	*hi = filtered ? MEMO_LISTS : MEMO_UNFILTERED;
}

/* The list of key in its class; any version when version is NULL. */
static struct memo_list *
list_find(const char *key, const char *version, bool filtered)
{
	struct memo_list	*l;
	size_t			 i, lo, hi;

	region(filtered, &lo, &hi);
	for (i = lo; i < hi; i++) {
		l = &memo_lists[i];
		if (l->source[0] != '\0' && strcmp(l->source, key) == 0 &&
		    (version == NULL || strcmp(l->version, version) == 0))
			return l;
	}
	return NULL;
}

const struct intake_buf *
intake_memo_get(const struct intake_source *src, const char *version, bool filtered,
    const char *variant, const char **etag)
{
	struct memo_list	*l;
	char			 key[SOURCE_KEY_MAX];
	size_t			 i;

	source_key(src, key);
	l = list_find(key, version, filtered);
	if (l == NULL)
		return NULL;
	l->used = ++memo_clock;
	for (i = 0; i < MEMO_VARIANTS; i++)
		if (l->v[i].variant != NULL && strcmp(l->v[i].variant, variant) == 0) {
			*etag = l->v[i].etag;
			return &l->v[i].body;
		}
	return NULL;
}

/*
 * The place for key at version, emptied when it held anything else: an
 * unfiltered list's own place (whatever version it held), else a free
 * place of the class, else its least recently used one.
 */
static struct memo_list *
list_take(const char *key, const char *version, bool filtered)
{
	struct memo_list	*l, *lru = NULL;
	size_t			 i, lo, hi;

	l = list_find(key, filtered ? version : NULL, filtered);
	if (l != NULL && strcmp(l->version, version) == 0)
		return l;
	if (l == NULL) {
		region(filtered, &lo, &hi);
		for (i = lo; i < hi; i++) {
			l = &memo_lists[i];
			if (l->source[0] == '\0')
				break;
			if (lru == NULL || l->used < lru->used)
				lru = l;
		}
		if (i == hi)
			l = lru;
	}
	list_clear(l);
	(void)intake_strlcpy(l->source, key, sizeof(l->source));
	(void)intake_strlcpy(l->version, version, sizeof(l->version));
	return l;
}

void
intake_memo_put(const struct intake_source *src, const char *version, bool filtered,
    const char *variant, struct intake_buf *body, const char *etag)
{
	struct memo_list	*l;
	struct memo_variant	*m;
	char			 key[SOURCE_KEY_MAX];

	source_key(src, key);
	l = list_take(key, version, filtered);
	l->used = ++memo_clock;
	m = &l->v[l->next];
	l->next = (l->next + 1) % MEMO_VARIANTS;
	free(m->variant);
	intake_buf_free(&m->body);
	m->variant = intake_xstrdup(variant);
	m->body = *body;
	intake_buf_init(body, body->max);
	(void)intake_strlcpy(m->etag, etag, sizeof(m->etag));
}

void
intake_memo_clear(void)
{
	size_t	i;

	for (i = 0; i < MEMO_LISTS; i++)
		list_clear(&memo_lists[i]);
	memo_clock = 0;
}
