/*
 * fake_http.h - the one fake HTTP server of the unit tests.
 *
 * fake_http_start() forks a server on 127.0.0.1 (an ephemeral port) that
 * dies with the test.  It takes one connection at a time, reads one
 * request (the head, and a body by Content-Length), records it and
 * answers with "Connection: close".  Its state lives in shared memory, so
 * the test scripts replies and reads what was received at any time:
 *
 *	- routes: a fixed reply for every request whose request line holds
 *	  a substring ("GET /access/impersonate"), first match wins; each
 *	  counts its hits;
 *	- calls: every request no route matches is a call, numbered from 0,
 *	  recorded in req[i] and answered with script[i], or with the
 *	  fallback when call i is not scripted;
 *	- a reply can wait, close without a byte, promise more body than it
 *	  sends, add headers, pad its body to any size, or be chunked.
 *
 *	struct fake_http	*srv = fake_http_start();
 *
 *	fake_http_route(srv, "GET /access/impersonate", 200, TOKEN);
 *	fake_http_script(srv, 0, 200, "{\"sid\":\"S-1\"}");
 *	... code under test calls http://127.0.0.1:srv->port ...
 *	T_EQ_INT(fake_http_calls(srv), 1);
 *	fake_http_stop(srv);
 */
#ifndef INTAKE_FAKE_HTTP_H
#define INTAKE_FAKE_HTTP_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#define FAKE_HTTP_ROUTES	8
#define FAKE_HTTP_CALLS		16		/* calls scripted and recorded */
#define FAKE_HTTP_REQ_BYTES	(64 * 1024)	/* one recorded request, head and body */
#define FAKE_HTTP_BODY_BYTES	4096		/* one scripted body (pad for more) */

/* What the server does with a request. */
enum fake_http_act {
	FAKE_HTTP_ANSWER,	/* send the reply */
	FAKE_HTTP_CLOSE,	/* close the connection without a byte of reply */
	FAKE_HTTP_SHORT,	/* send the head and half the body, then close */
};

/* One scripted reply. */
struct fake_http_reply {
	enum fake_http_act	act;
	int			status;		/* 0 in a script entry: not scripted */
	int			delay_ms;	/* wait before answering */
	bool			chunked;	/* Transfer-Encoding: chunked, no Content-Length */
	size_t			pad;		/* this many 'x' after the body */
	char			ctype[64];	/* Content-Type; "": none sent */
	char			headers[512];	/* extra header lines, each ending in "\r\n" */
	char			body[FAKE_HTTP_BODY_BYTES];	/* "{seq}": the request's number */
};

/* One request as received. */
struct fake_http_request {
	size_t	len;
	char	raw[FAKE_HTTP_REQ_BYTES + 1];	/* NUL-terminated; may hold NULs */
};

struct fake_http_route {
	char			match[128];	/* in the request line; "": a free slot */
	int			hits;
	struct fake_http_reply	reply;
};

/* The server's state, in memory shared with the server process. */
struct fake_http {
	pid_t				pid;		/* the server; 0 once killed */
	int				port;
	int				requests;	/* every request, routed or not */
	int				calls;		/* requests no route matched */
	struct fake_http_route		routes[FAKE_HTTP_ROUTES];
	struct fake_http_reply		script[FAKE_HTTP_CALLS];
	struct fake_http_reply		fallback;	/* default: 500 "{}" */
	struct fake_http_request	req[FAKE_HTTP_CALLS];	/* call i as received */
	struct fake_http_request	last;		/* the last request of any kind */
};

/* Start a server (aborts when it cannot); stop it with fake_http_stop(). */
struct fake_http	*fake_http_start(void);

/* Kill the server and release its state; srv is invalid afterwards. */
void	fake_http_stop(struct fake_http *srv);

/* Kill the server only: from now on its port refuses connections. */
void	fake_http_kill(struct fake_http *srv);

/*
 * Answer every request whose request line contains match with status and
 * body (replacing the route of the same match, if any).  The reply is
 * returned for the caller to change further (delay, headers...).
 */
struct fake_http_reply	*fake_http_route(struct fake_http *srv, const char *match, int status,
			    const char *body);

/* Answer call i (0-based, since the last rewind) with status and body. */
struct fake_http_reply	*fake_http_script(struct fake_http *srv, int i, int status,
			    const char *body);

/* Answer unrouted, unscripted calls with status and body. */
struct fake_http_reply	*fake_http_fallback(struct fake_http *srv, int status, const char *body);

/* Requests answered so far (all), calls answered (unrouted), hits of a route. */
int	fake_http_requests(const struct fake_http *srv);
int	fake_http_calls(const struct fake_http *srv);
int	fake_http_hits(const struct fake_http *srv, const char *match);

/* Forget the calls so far: the next one is call 0 again (its script stays). */
void	fake_http_rewind(struct fake_http *srv);

/* Call i as received (all zero when it never came). */
const struct fake_http_request	*fake_http_req(const struct fake_http *srv, int i);

/* r's body (after the head) and its length; "" when r has no head. */
const char	*fake_http_body(const struct fake_http_request *r, size_t *len);

/* The value of header name in r into out ("" and false when absent). */
bool	fake_http_header(const struct fake_http_request *r, const char *name, char *out,
	    size_t outsz);

/* Whether r's request line is exactly "METHOD TARGET HTTP/..."; prints it when not. */
bool	fake_http_line_is(const struct fake_http_request *r, const char *method,
	    const char *target);

#endif
