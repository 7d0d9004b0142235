/*
 * offered.h - is a value one of a choice field's live options?
 *
 * The domain check behind form validation (form_valid.h's
 * intake_offered_fn): a choice must be one the field's [source:NAME]
 * list offers now, read through the report cache, exactly as sent.
 */
#ifndef INTAKE_OFFERED_H
#define INTAKE_OFFERED_H

#include <stdbool.h>

#include "form/form.h"

/*
 * Is value one of the values (value column) of fd's source list?  ctx is
 * the struct intake_ctx * of the request (void * to be an
 * intake_offered_fn).  With parent (the value sent for fd's parent
 * field; NULL: none), only the rows whose fd->parent_column holds parent
 * count, read from the whole list in the cache (no filtered fetch).
 * false when it is not, and when the source is unknown or its list (or
 * that column) cannot be had: a value that cannot be checked is not
 * taken.
 */
bool	intake_field_offered(void *ctx, const struct intake_field *fd, const char *value,
	    const char *parent);

#endif
