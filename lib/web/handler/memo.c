/*
 * memo.c - rendered listing answers per list version (memo.h).
 *
 * A list is its source's kind and name and its rows' version; each list
 * holds a ring of variants, and lists are evicted least recently used.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/handler/memo.h"
#include "util/str.h"

#define MEMO_LISTS	32	/* lists remembered by this worker */
#define MEMO_VARIANTS	16	/* bodies remembered per list */
#define LIST_KEY_MAX	(INTAKE_NAME_MAX + 64)

struct memo_variant {
	char			*variant;	/* NULL: free */
	struct intake_buf	 body;
	char			 etag[INTAKE_MEMO_ETAG_MAX];
};

struct memo_list {
	char			 key[LIST_KEY_MAX];	/* "": free */
	uint64_t		 used;			/* memo_clock when last used */
	struct memo_variant	 v[MEMO_VARIANTS];
	size_t			 next;			/* the ring's next slot */
};

/* One per process (memo.h says why that is enough). */
static struct memo_list	memo_lists[MEMO_LISTS];
static uint64_t		memo_clock;

/* "kind|name|version": which list of which source the rows are. */
static void
list_key(const struct intake_source *src, const char *version, char key[LIST_KEY_MAX])
{
	(void)snprintf(key, LIST_KEY_MAX, "%d|%s|%s", (int)src->kind, src->name, version);
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

static struct memo_list *
list_find(const char *key)
{
	size_t	i;

	for (i = 0; i < MEMO_LISTS; i++)
		if (memo_lists[i].key[0] != '\0' && strcmp(memo_lists[i].key, key) == 0)
			return &memo_lists[i];
	return NULL;
}

const struct intake_buf *
intake_memo_get(const struct intake_source *src, const char *version, const char *variant,
    const char **etag)
{
	struct memo_list	*l;
	char			 key[LIST_KEY_MAX];
	size_t			 i;

	list_key(src, version, key);
	l = list_find(key);
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

/* The list for key, made (in a free or the least recently used place) when new. */
static struct memo_list *
list_take(const char *key)
{
	struct memo_list	*l, *lru = NULL;
	size_t			 i;

	l = list_find(key);
	if (l != NULL)
		return l;
	for (i = 0; i < MEMO_LISTS; i++) {
		l = &memo_lists[i];
		if (l->key[0] == '\0')
			break;
		if (lru == NULL || l->used < lru->used)
			lru = l;
	}
	if (i == MEMO_LISTS)
		l = lru;
	list_clear(l);
	(void)intake_strlcpy(l->key, key, sizeof(l->key));
	return l;
}

void
intake_memo_put(const struct intake_source *src, const char *version, const char *variant,
    struct intake_buf *body, const char *etag)
{
	struct memo_list	*l;
	struct memo_variant	*m;
	char			 key[LIST_KEY_MAX];

	list_key(src, version, key);
	l = list_take(key);
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
