/*
 * probe.h - the config checked against the tenant (intake -T), and form
 * definitions generated from a process (intake -F).
 *
 * The probe asks Integrify, as the service account and through the same
 * calls intake makes at run time (the token flow, the dialect's report
 * run, process list and request search), whether every source, report
 * and form of the config fits the tenant, and which variant of each
 * uncertain reply the tenant speaks.  It prints one line per check:
 * "OK ...", "FAIL ... hint" or "SKIP ... why".  It never starts a
 * request and never prints a secret or a token.
 */
#ifndef INTAKE_PROBE_H
#define INTAKE_PROBE_H

#include <stdbool.h>
#include <stdio.h>

#include "core/ctx.h"
#include "form/form.h"
#include "util/err.h"

#define INTAKE_PROBE_QUESTIONS_MAX	128	/* questions of one task read */

/* What a value of an Integrify question or data-container key may be. */
enum intake_probe_kind {
	INTAKE_PROBE_ANY,	/* unknown type, or a v7 string key: anything fits */
	INTAKE_PROBE_TEXT,	/* one line or more of text */
	INTAKE_PROBE_NUMBER,
	INTAKE_PROBE_DATE,
	INTAKE_PROBE_CHOICE,	/* one value of a list (drop-down, radio) */
	INTAKE_PROBE_MANY,	/* several values of a list (checkboxes) */
	INTAKE_PROBE_FILE,
	INTAKE_PROBE_KIND__MAX
};

/* One question of a task's form (v8), or one key of a data container (v7). */
struct intake_probe_question {
	char			id[128];	/* what a field's key must be */
	char			label[256];	/* "" for a data-container key */
	char			type[64];	/* Integrify's word for the type */
	enum intake_probe_kind	kind;
	bool			required;
	char			choices[1024];	/* fixed choices, "|"-joined; "": none */
};

/*
 * Run every check against ctx's tenant (ctx->cfg, ctx->forms), printing
 * one line per check to out.  Returns the number of FAIL lines.
 */
int		intake_probe_run(struct intake_ctx *ctx, FILE *out);

/*
 * Write to out a form definition (a file of conf/forms/) for process (its
 * SID or its name, case aside) from its first task: the questions of
 * its form (one-step dialects) or the keys of its data container
 * (two-step).  INTAKE_ENOTFOUND when the process or its fields cannot
 * be found, with why in msg; an Integrify call's error otherwise.
 */
enum intake_err	intake_probe_form_for(struct intake_ctx *ctx, const char *process, FILE *out,
		    char *msg, size_t msgsz);

/* The kind of an Integrify question type or data-container value type (case aside). */
enum intake_probe_kind intake_probe_kind_of(const char *type);

/* Can a field of type t send a value a question of kind k takes? */
bool		intake_probe_fits(enum intake_field_type t, enum intake_probe_kind k);

/* The field type a generated definition gives a question of kind k. */
enum intake_field_type intake_probe_field_type(enum intake_probe_kind k, const char *type);

/*
 * A field name (a-z 0-9 _, at most outsz - 1 bytes, never empty) made
 * from a label or key: lower case, every other run of bytes one '_'.
 */
void		intake_probe_field_name(const char *from, char *out, size_t outsz);

/* Does the body of len bytes start with a UTF-8 byte order mark? */
bool		intake_probe_has_bom(const char *body, size_t len);

/*
 * Where a JSON reply (len bytes) holds its list, into out: "a bare
 * array", "an object, the list under 'items'", "nested under 'x'" or
 * "no list".
 */
void		intake_probe_list_shape(const char *body, size_t len, char *out, size_t outsz);

#endif
