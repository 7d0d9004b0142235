/*
 * dialect.h - the seam between what intake does with Integrify and how
 * each of its API dialects says it, in the manner of cache/backend.h.
 *
 * A dialect is one const struct of function pointers and data, defined
 * in a file of its own (v7.c, v8.c), and picked from [integrify] dialect
 * by intake_dialect_of() through one table in dialect.c.  Nothing else
 * asks which dialect is in use: callers ask the struct, and a NULL
 * member is a step the dialect does not have.  A third dialect is one
 * new file and one row of that table.
 *
 *   v8: reports run by POST /api/reports/{sid}/run; a request starts
 *       with its values in one call; a start whose answer was lost is
 *       found by the reference its name carries.
 *   v7: reports through the legacy grid; a request starts empty and its
 *       values go to its data-container task; a start whose answer was
 *       lost leaves an empty request behind (an orphan) to be filled.
 *
 * Also here: the types that cross the seam (a report's filter values,
 * a start's options, result, uploaded files and claims), and the few
 * helpers more than one dialect uses (dialect.c).
 */
#ifndef INTAKE_DIALECT_H
#define INTAKE_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "form/form.h"
#include "form/value.h"
#include "integrify/reply.h"
#include "util/buf.h"
#include "util/err.h"

struct intake_ctx;
struct intake_http_resp;
struct json_object;

#define INTAKE_DIALECT_BODY_MAX		(8u << 20)		/* a start's body */
#define INTAKE_DIALECT_PATH_MAX		(INTAKE_URL_MAX + 4096)	/* a path and query we build */
#define INTAKE_DIALECT_FILE_KEY_MAX	128	/* an uploaded file's key, with NUL */

/* A request's values for the source's filter.PARAM keys, in config order. */
struct intake_filter_value {
	const struct intake_filter_param	*param;
	const char				*value;	/* NULL or "": no filter */
};

/* The one call that runs a report; the dialect fills it in. */
struct intake_report_call {
	const char		*method;	/* "GET" or "POST" */
	const char		*ctype;		/* the body's Content-Type; NULL: no body */
	struct intake_buf	 path;		/* path and query (caller inits and frees) */
	struct intake_buf	 body;		/* (caller inits and frees) */
};

struct intake_reqstart_result {
	char	instance_sid[128];	/* the new request's SID */
	char	instance_id[64];	/* its number, "" when the reply has none */
	long	status;			/* a failed call's HTTP status, 0: no reply */
	long	retry_after;		/* its Retry-After in seconds, -1: none */
	bool	unsure;			/* a failed start call may have started it anyway */
};

/* How to start: the name, the reference, and (two-step dialects) where a retry resumes. */
struct intake_reqstart_opts {
	const char	*request_name;	/* "" or NULL: none */
	const char	*reference;	/* sent as the form's reference_key, if it has one */
	const char	*resume_sid;	/* two-step (v7): the request these values already started */
	/*
	 * Two-step (v7): called when the request exists, before its values
	 * are sent, so the caller can note the SID; an error from it stops
	 * there.
	 */
	enum intake_err	(*started)(void *arg, const struct intake_reqstart_result *r);
	void		*arg;
};

/* An uploaded file's key per value (key[i] for values[i]); "" for none. */
struct intake_reqstart_files {
	char	key[INTAKE_FIELDS_MAX][INTAKE_DIALECT_FILE_KEY_MAX];
};

/* The caller's claims on requests, for the orphan search. */
struct intake_reqstart_claims {
	/* Atomically "this one is mine" (or was already); false: another's. */
	bool	(*claim)(void *arg, const char *sid);
	/* The request just claimed has its values already: let it go. */
	void	(*unclaim)(void *arg, const char *sid);
	/*
	 * Was sid claimed for this submission before this search (a peek,
	 * taking nothing)?  NULL: none was.  Such a request is tried first:
	 * no other submission may fill it, so passing it over leaves it empty.
	 */
	bool	(*held)(void *arg, const char *sid);
	void	 *arg;
	/* The submission's reference: a request named for another one is not adopted; NULL: none. */
	const char *reference;
};

struct intake_dialect {
	const char	*name;
	/*
	 * Run a report: the call that runs src with the filter values f (n
	 * of them) into call.  May itself ask Integrify (v7: the report's
	 * filter definitions); errors are the call's (call.h), or
	 * INTAKE_EPROTO / INTAKE_ETOOBIG, logged here.
	 */
	enum intake_err	(*report_call)(struct intake_ctx *ctx, const struct intake_source *src,
			    const struct intake_filter_value *f, size_t n,
			    struct intake_report_call *call);
	/* Start: the path of the call that creates a request of form, into path. */
	enum intake_err	(*start_path)(const struct intake_form *form,
			    const struct intake_reqstart_opts *o, struct intake_buf *path);
	/* Start: the values (and the reference) as this dialect sends them, into body. */
	enum intake_err	(*values_body)(const struct intake_form *form,
			    const struct intake_form_value *values, size_t n,
			    const struct intake_reqstart_files *files,
			    const struct intake_reqstart_opts *o, struct intake_buf *body);
	/*
	 * NULL: the call that creates a request carries its values (one
	 * step).  Else (two steps) that call carries create_body's body
	 * (or "{}"), and fill sends body to request sid afterwards;
	 * resuming says an earlier attempt created it, and then a request
	 * that no longer waits for values is INTAKE_OK (they were stored).
	 * A failed call is noted in res.
	 */
	enum intake_err	(*fill)(struct intake_ctx *ctx, const struct intake_form *form,
			    const char *sid, bool resuming, const struct intake_buf *body,
			    struct intake_reqstart_result *res);
	/*
	 * Two-step: the body of the call that creates the request (a JSON
	 * object: its name), into body.  NULL: "{}".
	 */
	enum intake_err	(*create_body)(const struct intake_reqstart_opts *o,
			    struct intake_buf *body);
	/*
	 * A start reply that gave the request's SID alone: look up its id
	 * (its number, as staff see it) into res->instance_id; INTAKE_OK
	 * with "" when Integrify lists none.  NULL: a reply always has it.
	 */
	enum intake_err	(*request_id)(struct intake_ctx *ctx, const struct intake_form *form,
			    const char *sid, struct intake_reqstart_result *res);
	/* Upload: the path files are posted to (multipart, one part "file"). */
	enum intake_err	(*upload_path)(const struct intake_config *cfg, struct intake_buf *path);
	/* Upload: the reply field that holds the file's key. */
	enum intake_reply_field	 file_key;
	/*
	 * Find the request an earlier attempt may have started, by the
	 * reference its name holds (reqstart.h, intake_reqstart_find()).
	 * NULL: the dialect cannot search.
	 */
	enum intake_err	(*find)(struct intake_ctx *ctx, const char *reference,
			    struct intake_reqstart_result *out, struct intake_reply_hit *hit);
	/*
	 * Find and claim a request a lost start left without values
	 * (reqstart.h, intake_reqstart_orphan()).  NULL: starts leave none.
	 */
	enum intake_err	(*orphan)(struct intake_ctx *ctx, const struct intake_form *form,
			    int64_t since_ms, const struct intake_reqstart_claims *cl,
			    struct intake_reqstart_result *out, struct intake_reply_hit *hit);
	/* List processes: the GET path and query (read with INTAKE_REPLY_PROCESS_*). */
	const char	*processes_path;
	/*
	 * Where the probe and -F read a task's fields (tenant.h); each path
	 * is [0], an escaped SID, then [1].  With fill set (two steps), the
	 * keys of the data container an open request waits at: fields_list
	 * lists the process's open requests (newest first), fields_item a
	 * request's data-container endpoints, of which only paths starting
	 * with fields_container are read.  Else the first task's form:
	 * fields_list lists the process's first tasks, fields_item a form's
	 * questions.
	 */
	const char	*fields_list[2];
	const char	*fields_item[2];
	const char	*fields_container;	/* NULL without fill */
};

extern const struct intake_dialect intake_dialect_v7;
extern const struct intake_dialect intake_dialect_v8;

/* The dialect d names; never NULL (an out-of-range d gets the first row). */
const struct intake_dialect *intake_dialect_of(enum intake_dialect_id d);

/* The dialect ctx's config names; never NULL. */
const struct intake_dialect *intake_dialect_ctx(const struct intake_ctx *ctx);

/*
 * How a failed call ended, into res; start marks the call that creates
 * the request (res->unsure: it may have been created all the same).
 */
void		intake_dialect_failed(struct intake_reqstart_result *res,
		    const struct intake_http_resp *resp, enum intake_err err, bool start);

/*
 * GET path_query from Integrify and parse its reply into *root (the
 * caller puts it; NULL on failure).  A failed call is noted in res; a
 * reply that is not JSON is INTAKE_EPROTO, logged as what's.
 */
enum intake_err	intake_dialect_get_json(struct intake_ctx *ctx, const char *path_query,
		    const char *what, struct intake_reqstart_result *res,
		    struct json_object **root);

/* Does the value (or its uploaded file, file_key) give the field anything to send? */
bool		intake_dialect_has_value(const struct intake_form_value *v,
		    const char *file_key);

/* Append the value as a JSON string: file_key for a file, else the non-empty values "|"-joined. */
enum intake_err	intake_dialect_value_string(struct intake_buf *b,
		    const struct intake_form_value *v, const char *file_key);

/* Does the request carry the submission's reference in a field of its own? */
bool		intake_dialect_reference_wanted(const struct intake_form *form,
		    const struct intake_reqstart_opts *o);

/*
 * The legacy grid's filters for the values given, from GET
 * /reports/{sid}/filters (each value by its report filter's exposed
 * name), appended to out as a JSON array; nothing appended (and no call
 * made) when no value is given.  INTAKE_EPROTO when the report exposes
 * no filter of a given name.
 */
enum intake_err	intake_dialect_grid_filters(struct intake_ctx *ctx,
		    const struct intake_source *src, const struct intake_filter_value *f,
		    size_t n, struct intake_buf *out);

/* An ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.fff][Z]" (or NULL) as epoch ms; -1 when not one. */
int64_t		intake_dialect_iso_ms(const char *s);

/*
 * Look for the request an earlier attempt may have started among the
 * service account's requests of process (GET /instances/mine, which v8
 * keeps from v7), newest first, down to those started before since_ms
 * (a request's start, or its last milestone, which is later).
 * hit->match FOUND (out->instance_sid / instance_id set): a request
 * names reference and its SID can be read; UNREADABLE: it names it
 * without a readable SID, or a request in that window has no readable
 * name (it could be the one); else NONE.  INTAKE_EPROTO when a reply
 * holds no list; INTAKE_ETOOBIG (logged) when the window holds more
 * requests than are read; a failed call as intake_reqstart().
 */
enum intake_err	intake_dialect_find_listed(struct intake_ctx *ctx, const char *process,
		    const char *reference, int64_t since_ms, struct intake_reqstart_result *out,
		    struct intake_reply_hit *hit);

#endif
