/*
 * offered.c - a choice checked against its source's live list (see
 * offered.h).
 */
#include <string.h>

#include "core/config.h"
#include "core/ctx.h"
#include "integrify/offered.h"
#include "integrify/report.h"

bool
intake_field_offered(void *arg, const struct intake_field *fd, const char *value)
{
	struct intake_ctx		*ctx = arg;
	const struct intake_source	*src;
	bool				 offered = false;

	src = intake_config_source(ctx->cfg, INTAKE_SOURCE_CHOICES, fd->source,
	    strlen(fd->source));
	if (src == NULL || intake_report_offers(ctx, src, value, &offered) != INTAKE_OK)
		return false;
	return offered;
}
