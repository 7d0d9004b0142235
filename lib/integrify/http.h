/*
 * http.h - the one libcurl wrapper.
 *
 * One handle per worker, made after fork.  Every call has connect and
 * total timeouts, a cap on the reply size, TLS verification on, no
 * redirects, and http(s) only.  URLs, bodies and tokens are never logged.
 * The handle keeps its connections (idle less than keepalive_s) and TLS
 * sessions across calls, POSTs included, and uses HTTP/2 where offered.
 * A POST is never sent twice by libcurl: when a reused connection dies
 * before the answer, libcurl's own resend is refused (http.c says how)
 * and the call ends with no reply, "it may have got through".
 */
#ifndef INTAKE_HTTP_H
#define INTAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "core/config.h"
#include "util/err.h"

struct intake_http;

struct intake_http_call {
	const char	*method;	/* "GET" or "POST" */
	const char	*url;		/* absolute */
	const char	*bearer;	/* token for Authorization, or NULL */
	const char	*content_type;	/* for a body, or NULL */
	const void	*body;
	size_t		 bodylen;
};

struct intake_http_resp {
	long			status;		/* HTTP status, 0 before a reply */
	long			retry_after;	/* seconds from Retry-After, -1: none */
	bool			unsent;		/* nothing reached the server (no connection) */
	char			content_type[128];
	struct intake_buf	body;		/* capped at response_max */
};

/* Make a handle for cfg (which must outlive it).  Call after fork. */
enum intake_err	intake_http_new(const struct intake_config *cfg, struct intake_http **out);
void		intake_http_free(struct intake_http *h);

/*
 * From now on every call of h must end by deadline_ms (epoch ms; 0: no
 * deadline, the config's timeouts alone): a call's connect and total
 * timeouts are cut to what is left, and a call with nothing left is not
 * sent at all (INTAKE_ETIMEOUT with resp->unsent).  A call cut short ends
 * in INTAKE_ETIMEOUT like any timeout: for a start, "it may have got
 * through".
 */
void	intake_http_deadline(struct intake_http *h, int64_t deadline_ms);

/* h's deadline (epoch ms), 0 when it has none. */
int64_t	intake_http_deadline_ms(const struct intake_http *h);

/* Whether h has a deadline and it has passed (a timeout was the deadline's). */
bool	intake_http_deadline_passed(const struct intake_http *h);

/* Forget a handle inherited over fork without touching its connections. */
void		intake_http_forget(struct intake_http *h);

void	intake_http_resp_init(struct intake_http_resp *r, size_t max);
void	intake_http_resp_free(struct intake_http_resp *r);

/*
 * Perform call.  INTAKE_OK means a complete HTTP reply of any status is in
 * *resp; INTAKE_ETIMEOUT, INTAKE_EUPSTREAM (connect/TLS/transport) and
 * INTAKE_ETOOBIG (reply over the cap) mean there is none.
 */
enum intake_err	intake_http_do(struct intake_http *h, const struct intake_http_call *call,
		    struct intake_http_resp *resp);

#endif
