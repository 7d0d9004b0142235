/*
 * arena.h - per-request memory: allocate freely, release all at once.
 *
 * Everything derived from one request comes from its arena, which is
 * reset after the response is finished.  The arena has a maximum, so a
 * hostile request cannot make a worker grow without bound.
 */
#ifndef INTAKE_ARENA_H
#define INTAKE_ARENA_H

#include <stddef.h>

struct intake_arena_chunk;

struct intake_arena {
	struct intake_arena_chunk	*head;	/* newest chunk first */
	size_t				 used;	/* bytes handed out, all chunks */
	size_t				 max;
};

void	 intake_arena_init(struct intake_arena *a, size_t max);
/* Free every chunk but the first, so a steady worker does not churn. */
void	 intake_arena_reset(struct intake_arena *a);
void	 intake_arena_free(struct intake_arena *a);

/* NULL when the arena would pass its maximum. Aligned for any type. */
void	*intake_arena_alloc(struct intake_arena *a, size_t n);
/* A NUL-terminated copy of n bytes of s, or NULL. */
char	*intake_arena_strndup(struct intake_arena *a, const char *s, size_t n);
char	*intake_arena_strdup(struct intake_arena *a, const char *s);

#endif
