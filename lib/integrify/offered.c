/*
 * offered.c - a choice checked against its source's live list (see
 * offered.h).
 */
#include <string.h>

#include "core/config.h"
#include "core/ctx.h"
#include "integrify/offered.h"
#include "integrify/report.h"

/*
 * Is value in the row of src's unfiltered list whose parent column
 * (fd->parent_column) holds parent?  The whole list is read from the
 * cache, never a filtered one: a parent value sent by a client costs no
 * fetch.  false when the list cannot be had or lacks the column.
 */
static bool
offered_under(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_field *fd, const char *value, const char *parent)
{
	struct intake_report_view	 v;
	const char			*cv, *cp;
	long				 pc;
	size_t				 r;

	if (intake_report_get(ctx, src, NULL, 0, &v) != INTAKE_OK)
		return false;
	pc = intake_table_column(v.table, fd->parent_column);
	if (pc < 0)
		return false;
	for (r = 0; r < v.table->nrows; r++) {
		cv = intake_table_cell(v.table, r, (size_t)v.value_col);
		cp = intake_table_cell(v.table, r, (size_t)pc);
		if (cv != NULL && cp != NULL && strcmp(cv, value) == 0 && strcmp(cp, parent) == 0)
			return true;
	}
	return false;
}

bool
intake_field_offered(void *arg, const struct intake_field *fd, const char *value,
    const char *parent)
{
	struct intake_ctx		*ctx = arg;
	const struct intake_source	*src;
	bool				 offered = false;

	src = intake_config_source(ctx->cfg, INTAKE_SOURCE_CHOICES, fd->source,
	    strlen(fd->source));
	if (src == NULL)
		return false;
	if (parent != NULL && fd->parent[0] != '\0')
		return offered_under(ctx, src, fd, value, parent);
	if (intake_report_offers(ctx, src, value, &offered) != INTAKE_OK)
		return false;
	return offered;
}
