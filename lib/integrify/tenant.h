/*
 * tenant.h - a tenant's shape, read as the service account: its process
 * list, a process's first-task fields, a report's exposed filters, and
 * the pure readers of Integrify's type words and reply variants.
 *
 * The probe (probe.h) checks a config against what these read, and -F
 * (formgen.h) writes a form definition from it.  Nothing here starts a
 * request or prints; an Integrify call's error comes back as an enum
 * intake_err, and intake_tenant_call_hint says what it means.
 */
#ifndef INTAKE_TENANT_H
#define INTAKE_TENANT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "core/ctx.h"
#include "form/form.h"
#include "util/buf.h"
#include "util/err.h"

#define INTAKE_TENANT_QUESTIONS_MAX	128	/* questions of one task read */

/* What a value of an Integrify question or data-container key may be. */
enum intake_tenant_kind {
	INTAKE_TENANT_ANY,	/* unknown type, or a v7 string key: anything fits */
	INTAKE_TENANT_TEXT,	/* one line or more of text */
	INTAKE_TENANT_NUMBER,
	INTAKE_TENANT_DATE,
	INTAKE_TENANT_CHOICE,	/* one value of a list (drop-down, radio) */
	INTAKE_TENANT_MANY,	/* several values of a list (checkboxes) */
	INTAKE_TENANT_FILE,
	INTAKE_TENANT_KIND__MAX
};

/* One question of a task's form (v8), or one key of a data container (v7). */
struct intake_tenant_question {
	char			id[128];	/* what a field's key must be */
	char			label[256];	/* "" for a data-container key */
	char			type[64];	/* Integrify's word for the type */
	enum intake_tenant_kind	kind;
	bool			required;
	/* Fixed choices as a form's choices key (escaped); "": none or too long. */
	char			choices[1024];
	size_t			nchoices;	/* choices Integrify listed */
};

/* The fields of a task, read for a form or a definition. */
struct intake_tenant_fields {
	char				task[128];	/* the task they belong to */
	struct intake_tenant_question	q[INTAKE_TENANT_QUESTIONS_MAX];
	size_t				n;
};

/*
 * Does ctx's dialect read a task's fields from a data container (its
 * start fills one afterwards: v7) rather than from the first task's
 * form (v8)?  The one place this choice is made.
 */
bool		intake_tenant_in_container(struct intake_ctx *ctx);

/* The service account's process list (the dialect's path) as JSON into *root; caller puts it. */
enum intake_err	intake_tenant_processes(struct intake_ctx *ctx, struct json_object **root);

/*
 * The process of the list procs (a process-list reply) whose SID is
 * want, or else whose name is want (case aside, *by_name set); NULL when
 * none.  The result is borrowed from procs.
 */
struct json_object *intake_tenant_find_process(struct json_object *procs, const char *want,
		    bool *by_name);

/* Report report's exposed-filter definitions as JSON into *root; caller puts it. */
enum intake_err	intake_tenant_filters(struct intake_ctx *ctx, const char *report,
		    struct json_object **root);

/*
 * Is name one of the exposed filters defs (a list of filter
 * definitions) names?  When not, *mapping_of is the filter whose
 * mapping value name is (borrowed from defs), or NULL.
 */
bool		intake_tenant_exposed(struct json_object *defs, const char *name,
		    const char **mapping_of);

/* The exposed names of defs, each quoted and ", "-joined ("none": no filters), appended to b. */
void		intake_tenant_exposed_names(struct json_object *defs, struct intake_buf *b);

/*
 * The fields of process's first task into tf (zeroed first): the
 * questions of task's form (task "" : the first task with a form) for a
 * one-step dialect, the keys of the data container an open request of
 * the process waits at for a two-step one (intake_tenant_in_container).
 * INTAKE_ENOTFOUND when they cannot be found, an Integrify call's error
 * otherwise; why in msg either way.
 */
enum intake_err	intake_tenant_task_fields(struct intake_ctx *ctx, const char *process,
		    const char *task, struct intake_tenant_fields *tf, char *msg, size_t msgsz);

/* The question of tf whose id is key, or (by_label) whose label is key, case aside; NULL: none. */
const struct intake_tenant_question *
		intake_tenant_find_question(const struct intake_tenant_fields *tf, const char *key,
		    bool by_label);

/* What an Integrify call's error means, as a hint for an admin (static text). */
const char	*intake_tenant_call_hint(enum intake_err err);

/* The kind of an Integrify question type or data-container value type (case aside). */
enum intake_tenant_kind intake_tenant_kind_of(const char *type);

/* Can a field of type t send a value a question of kind k takes? */
bool		intake_tenant_fits(enum intake_field_type t, enum intake_tenant_kind k);

/*
 * Append one fixed choice to b in a form's choices syntax: " | " before
 * all but the first, value, and " = label" when label is another text;
 * '|', '=' and '\\' escaped, control bytes made spaces.
 */
void		intake_tenant_choice_add(struct intake_buf *b, const char *value, const char *label);

/* The field type a generated definition gives a question of kind k without its choices. */
enum intake_field_type intake_tenant_field_type(enum intake_tenant_kind k, const char *type);

/* Does the body of len bytes start with a UTF-8 byte order mark? */
bool		intake_tenant_has_bom(const char *body, size_t len);

/*
 * Where a JSON reply (len bytes) holds its list, into out: "a bare
 * array", "an object, the list under 'items'", "nested under 'x'" or
 * "no list".
 */
void		intake_tenant_list_shape(const char *body, size_t len, char *out, size_t outsz);

#endif
