/*
 * probe.h - the config checked against the tenant (intake -T).
 *
 * The probe asks Integrify, as the service account and through the same
 * calls intake makes at run time (the token flow, the dialect's report
 * run, process list and request search), whether every source, report
 * and form of the config fits the tenant (read by tenant.h), and which
 * variant of each uncertain reply the tenant speaks.  It prints one line
 * per check: "OK ...", "FAIL ... hint" or "SKIP ... why".  It never
 * starts a request and never prints a secret or a token.
 */
#ifndef INTAKE_PROBE_H
#define INTAKE_PROBE_H

#include <stdio.h>

#include "core/ctx.h"

/*
 * Run every check against ctx's tenant (ctx->cfg, ctx->forms), printing
 * one line per check to out.  Returns the number of FAIL lines.
 */
int		intake_probe_run(struct intake_ctx *ctx, FILE *out);

#endif
