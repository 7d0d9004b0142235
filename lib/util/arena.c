/*
 * arena.c - a chunked bump allocator (see arena.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

#define CHUNK_MIN	16384

struct intake_arena_chunk {
	struct intake_arena_chunk	*next;
	size_t				 size;	/* bytes in data */
	size_t				 off;	/* next free byte */
	max_align_t			 data[];
};

void
intake_arena_init(struct intake_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
}

void
intake_arena_reset(struct intake_arena *a)
{
	struct intake_arena_chunk	*c, *next;

	if (a->head == NULL)
		return;
	/* Keep the oldest chunk (the tail); it is the usual working size. */
	for (c = a->head; c->next != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = c;
	c->off = 0;
	a->used = 0;
}

void
intake_arena_free(struct intake_arena *a)
{
	struct intake_arena_chunk	*c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}

void *
intake_arena_alloc(struct intake_arena *a, size_t n)
{
	struct intake_arena_chunk	*c;
	size_t				 align = sizeof(max_align_t), size;
	void				*p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - align)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	if (n > a->max || a->used > a->max - n)
		return NULL;
	c = a->head;
	if (c == NULL || c->size - c->off < n) {
		size = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->size = size;
		c->off = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->off;
	c->off += n;
	a->used += n;
	return p;
}

char *
intake_arena_strndup(struct intake_arena *a, const char *s, size_t n)
{
	char	*p;

	if (n == SIZE_MAX)
		return NULL;
	p = intake_arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
intake_arena_strdup(struct intake_arena *a, const char *s)
{
	return intake_arena_strndup(a, s, strlen(s));
}
