/*
 * reply.h - one reader of Integrify's JSON replies, blind to key case.
 *
 * Integrify's reply shapes are partly undocumented and differ between
 * tenants, versions and endpoints: "sid", "Sid", "SID", "instanceSid" and
 * "instance_sid" all name one thing.  Every reader of a reply (report
 * runs, searches, start and upload replies, token replies, process lists)
 * asks for a field here, and a member matches a spelling when the two are
 * equal after ASCII case folding with '_' and '-' dropped.  The spellings
 * of each field are one row of one table in reply.c.
 *
 * Every json_object returned is borrowed from the caller's root.
 */
#ifndef INTAKE_REPLY_H
#define INTAKE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "util/err.h"

/* A field of a reply; each has its spellings, in order of preference. */
enum intake_reply_field {
	INTAKE_REPLY_LIST,		/* a list's items: items, rows, data, results, ... */
	INTAKE_REPLY_SID,		/* a request's SID: instanceSid, sid, requestSid */
	INTAKE_REPLY_ID,		/* a request's number: instanceId, id, requestId */
	INTAKE_REPLY_NAME,		/* a request's name: name, requestName, instanceName */
	INTAKE_REPLY_PROCESS_SID,	/* a process's SID: sid, processSid */
	INTAKE_REPLY_PROCESS_NAME,	/* a process's name: name, processName */
	INTAKE_REPLY_STARTED,		/* when a request started: startDate, createdDate, ... */
	INTAKE_REPLY_REQUEST,		/* the object a start reply may wrap: request */
	INTAKE_REPLY_ENDPOINTS,		/* v7 data-container endpoints */
	INTAKE_REPLY_FILE_V8,		/* an upload's key, v8 order: sid, file, key */
	INTAKE_REPLY_FILE_V7,		/* an upload's key, v7 order: file, sid, key */
	INTAKE_REPLY_TOKEN,		/* a token: token, access_token, jwt */
	INTAKE_REPLY_EXPIRES_IN,	/* seconds a token lives: expires_in */
	INTAKE_REPLY_EXPOSE,		/* a report filter's exposed name */
	INTAKE_REPLY_MAPPING,		/* a report filter's mapping value */
	INTAKE_REPLY_OPERATOR,		/* a report filter's operator */
	INTAKE_REPLY_TOTAL,		/* a list's count of items: total, totalCount, ... */
	INTAKE_REPLY__MAX
};

/* Bytes of a quoted item (escaped, one line, cut with "..."), NUL included. */
#define INTAKE_REPLY_QUOTE_MAX	320

/* Does key name the spelling (case, '_' and '-' aside)?  spelling is lower case. */
bool		intake_reply_key_is(const char *key, const char *spelling);

/*
 * obj's first member whose key is spelling (case, '_' and '-' aside, as
 * intake_reply_key_is); NULL when obj is not an object or has none.
 */
struct json_object *intake_reply_member_spelled(struct json_object *obj, const char *spelling);

/* obj's member for f (NULL when obj is not an object or has none). */
struct json_object *intake_reply_member(struct json_object *obj, enum intake_reply_field f);

/* obj's first member for f that is of type; NULL when none is. */
struct json_object *intake_reply_typed(struct json_object *obj, enum intake_reply_field f,
		    enum json_type type);

/* obj's first member for f that is a string; NULL when none is. */
const char	*intake_reply_str(struct json_object *obj, enum intake_reply_field f);

/*
 * obj's member for f as an identifier, into out (outsz bytes): a whole
 * number as decimal, or a string of 1 to outsz-1 printable ASCII bytes
 * without spaces.  False (out untouched) when no spelling holds one.
 */
bool		intake_reply_id(struct json_object *obj, enum intake_reply_field f, char *out,
		    size_t outsz);

/*
 * The list a reply holds: root itself when it is an array, else the
 * INTAKE_REPLY_LIST member, looked for in root and in objects nested up
 * to three levels down; at a level where no list spelling matches, the
 * one member that is an array, if there is exactly one.  NULL when none.
 */
struct json_object *intake_reply_list(struct json_object *root);

/*
 * Is root an object that holds no list but says it has none: a total
 * (INTAKE_REPLY_TOTAL, a number or a string) of 0?
 */
bool		intake_reply_zero_total(struct json_object *root);

/*
 * obj as compact JSON for a log line or a note: printable ASCII only
 * (other bytes as \xNN), at most INTAKE_REPLY_QUOTE_MAX - 1 bytes, cut
 * with "...".
 */
void		intake_reply_quote(struct json_object *obj, char out[INTAKE_REPLY_QUOTE_MAX]);

/* Bytes of Integrify's reason for a refusal (intake_reply_reason()), NUL included. */
#define INTAKE_REPLY_REASON_MAX	201

/*
 * Integrify's reason for refusing a call, from its error reply (len
 * bytes of body), for a log line: of a JSON object, the strings under
 * error, message, title, error_description, description and detail
 * (also inside an "error" object), the distinct ones joined with ": ";
 * a JSON string as it is; any other body that is not JSON, as text.
 * Runs of white space become one space; the result is cut on a UTF-8
 * character boundary to at most INTAKE_REPLY_REASON_MAX - 1 bytes
 * (ending in "..." when cut).  "" when there is none.  The caller
 * escapes it (the log does) and keeps it from users.
 */
void		intake_reply_reason(const char *body, size_t len,
		    char out[INTAKE_REPLY_REASON_MAX]);

/* What a search for a reference found. */
enum intake_reply_match {
	INTAKE_REPLY_NONE,		/* no item names the reference */
	INTAKE_REPLY_FOUND,		/* an item names it, and its SID could be read */
	INTAKE_REPLY_UNREADABLE,	/* Integrify names it, but no SID could be read */
	INTAKE_REPLY_MATCH__MAX
};

/* A search's answer: the request found, or the item that could not be read. */
struct intake_reply_hit {
	enum intake_reply_match	match;
	char			sid[128];	/* FOUND: the request's SID */
	char			id[64];		/* FOUND: its number, "" when none */
	char			item[INTAKE_REPLY_QUOTE_MAX];	/* FOUND, UNREADABLE: the item */
};

/* Does any string inside v (at any depth) hold reference, ASCII case aside? */
bool		intake_reply_names(struct json_object *v, const char *reference);

/*
 * Read a search reply (len bytes of body) for requests whose name holds
 * reference.  An item names the reference when any string in it holds
 * it, under whatever key: an item is any object in any array of the
 * reply.  The rule is "a reference seen in Integrify is never started
 * again", so:
 *  - an item that names it, with a SID: INTAKE_REPLY_FOUND;
 *  - an item that names it without a readable SID, or a reference that
 *    stands anywhere else in the reply but in a root member echoing the
 *    search (search, query, q, term, filter, keyword), or in a reply
 *    that is not JSON: INTAKE_REPLY_UNREADABLE;
 *  - else INTAKE_REPLY_NONE.
 * INTAKE_EPROTO (hit->match NONE) only when the reply is not JSON or has
 * no list, and the reference is nowhere in it.  reference must be
 * non-empty.
 */
enum intake_err	intake_reply_search(const char *body, size_t len, const char *reference,
		    struct intake_reply_hit *hit);

#endif
