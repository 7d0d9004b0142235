/*
 * formgen.h - a form definition (a file of conf/forms/) generated from
 * a process's first task, for intake -F; the admin edits the result.
 */
#ifndef INTAKE_FORMGEN_H
#define INTAKE_FORMGEN_H

#include <stddef.h>
#include <stdio.h>

#include "core/ctx.h"
#include "integrify/tenant.h"
#include "util/err.h"

/*
 * Write to out a form definition for process (its SID or its name, case
 * aside) from its first task: the questions of its form (one-step
 * dialects) or the keys of its data container (two-step).
 * INTAKE_ENOTFOUND when the process or its fields cannot be found, with
 * why in msg; an Integrify call's error otherwise.
 */
enum intake_err	intake_formgen_write(struct intake_ctx *ctx, const char *process, FILE *out,
		    char *msg, size_t msgsz);

/*
 * A field name (a-z 0-9 _, at most outsz - 1 bytes, never empty) made
 * from a label or key: lower case, every other run of bytes one '_'.
 */
void		intake_formgen_field_name(const char *from, char *out, size_t outsz);

/*
 * Write q as a [field:NAME] section to out: a question with fixed choices
 * Integrify lists (at most 64) as a select, radio, checkboxes or
 * multiselect with a choices key; one whose choices cannot be listed as
 * text, with a comment saying why and how to give it a source.
 */
void		intake_formgen_write_field(FILE *out, const struct intake_tenant_question *q,
		    const char *name);

#endif
