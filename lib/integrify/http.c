/*
 * http.c - libcurl with every option in one place (see http.h).
 *
 * Connections are kept and reused, POSTs included.  The hazard that once
 * made every POST fresh: when a reused connection dies before the first
 * byte of an answer, libcurl sends the same request again on a new
 * connection by itself (lib/transfer.c Curl_retry_request(), "Connection
 * died, retrying a fresh connect"; for HTTP it does so whatever the
 * method, and for HTTP/2 also on a refused stream).  If Integrify had
 * processed the first one (it closed right after a start), a start would
 * be made twice.  libcurl never resends a byte of body without rewinding
 * first (state.rewindbeforesend, set when any body byte was written), and
 * a body it does not own (a read callback instead of POSTFIELDS) is
 * rewound only through CURLOPT_SEEKFUNCTION.  So a POST's body goes
 * through on_read(), and on_seek() refuses to rewind a body once libcurl
 * has read some of it: the transfer fails with CURLE_SEND_FAIL_REWIND, no
 * reply, which the start's caller takes as "unsure" (dialect.c) and the
 * spool settles by looking before it retries (deliver.c).  A retry before
 * any body byte was written is left to libcurl: the server cannot have
 * had a whole request (a POST with an empty body, whole with its head,
 * always gets a new connection instead).  Connections idle longer than keepalive_s are not
 * reused (CURLOPT_MAXAGE_CONN), and libcurl drops a kept connection the
 * server has already closed before it uses it, so the race with a
 * server's idle timeout stays rare.  HTTP/2 is used where the server
 * offers it (ALPN); a stream refused by GOAWAY is taken as unsure too (the
 * seek callback cannot tell it from a dead connection), which costs a
 * look before the retry, never a second start.  The one
 * handle of a worker keeps its connections and TLS sessions across calls
 * (curl_easy_reset() keeps both).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "integrify/http.h"
#include "core/log.h"
#include "core/metrics.h"
#include "util/str.h"

struct intake_http {
	CURL				*curl;
	const struct intake_config	*cfg;
	char				 connect_to[INTAKE_URL_MAX * 2];
	int64_t				 deadline_ms;	/* every call ends by then; 0: none */
	/* The call in progress (intake_http_do() sets them). */
	const char			*body;		/* a POST's body, read by on_read() */
	size_t				 bodylen;
	size_t				 bodyread;	/* bytes of it libcurl has read */
	long				 connects;	/* new connections counted so far */
	bool				 refused;	/* on_seek() refused a resend */
};

/* Set one option; a failure is logged with the option's name. */
#define SETOPT(h, opt, val)						\
	do {								\
		CURLcode rc_ = curl_easy_setopt((h)->curl, opt, val);	\
		if (rc_ != CURLE_OK) {					\
			intake_log_err("http: curl_easy_setopt(%s): %s",	\
			    #opt, curl_easy_strerror(rc_));		\
			err = INTAKE_ESYS;				\
			goto out;					\
		}							\
	} while (0)

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct intake_http_resp	*r = user;
	size_t			 n = size * nmemb;

	if (intake_buf_add(&r->body, ptr, n) != INTAKE_OK)
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct intake_http_resp	*r = user;
	size_t			 n = size * nmemb, vlen;
	const char		*v;
	long long		 secs;

	if (n > 13 && strncasecmp(ptr, "Content-Type:", 13) == 0) {
		for (v = ptr + 13; v < ptr + n && (*v == ' ' || *v == '\t'); v++)
			;
		vlen = (size_t)(ptr + n - v);
		while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
			vlen--;
		if (vlen >= sizeof(r->content_type))
			vlen = sizeof(r->content_type) - 1;
		memcpy(r->content_type, v, vlen);
		r->content_type[vlen] = '\0';
	} else if (n > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
		for (v = ptr + 12; v < ptr + n && (*v == ' ' || *v == '\t'); v++)
			;
		vlen = (size_t)(ptr + n - v);
		while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
			vlen--;
		/* Only the delta-seconds form; an HTTP date is ignored. */
		if (intake_parse_intn(v, vlen, 0, 86400, &secs) == INTAKE_OK)
			r->retry_after = (long)secs;
	}
	return n;
}

/* A POST's body, handed to libcurl as it asks (see the header comment). */
static size_t
on_read(char *buf, size_t size, size_t nitems, void *user)
{
	struct intake_http	*h = user;
	size_t			 n = size * nitems, left = h->bodylen - h->bodyread;

	if (n > left)
		n = left;
	memcpy(buf, h->body + h->bodyread, n);
	h->bodyread += n;
	return n;
}

/*
 * libcurl wants the body from the start: allowed while it has read none
 * of it, refused once it has (it means to send the request again on a
 * new connection, and the first one may have been processed).
 */
static int
on_seek(void *user, curl_off_t offset, int origin)
{
	struct intake_http	*h = user;

	if (offset == 0 && origin == SEEK_SET && h->bodyread == 0)
		return CURL_SEEKFUNC_OK;
	h->refused = true;
	return CURL_SEEKFUNC_FAIL;
}

/*
 * Called once a connection is ready for a request: a new one (libcurl's
 * count went up) is counted, with how its TLS handshake went.
 */
static int
on_prereq(void *user, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	struct intake_http		*h = user;
	struct curl_tlssessioninfo	*tsi = NULL;
	long				 n = 0;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &n) != CURLE_OK || n <= h->connects)
		return CURL_PREREQFUNC_OK;
	h->connects = n;
	intake_metrics_count(INTAKE_METRIC_UPSTREAM_CONNECT);
	if (curl_easy_getinfo(h->curl, CURLINFO_TLS_SSL_PTR, &tsi) != CURLE_OK || tsi == NULL ||
	    tsi->backend != CURLSSLBACKEND_OPENSSL || tsi->internals == NULL)
		return CURL_PREREQFUNC_OK;
	intake_metrics_count(SSL_session_reused((SSL *)tsi->internals) ?
	    INTAKE_METRIC_UPSTREAM_TLS_RESUMED : INTAKE_METRIC_UPSTREAM_TLS_FULL);
	return CURL_PREREQFUNC_OK;
}

void
intake_http_resp_init(struct intake_http_resp *r, size_t max)
{
	r->status = 0;
	r->retry_after = -1;
	r->unsent = true;
	r->content_type[0] = '\0';
	intake_buf_init(&r->body, max);
}

void
intake_http_resp_free(struct intake_http_resp *r)
{
	intake_buf_free(&r->body);
}

/*
 * For connect_to, curl wants "HOST:PORT:CONNECT-HOST:CONNECT-PORT"; an
 * empty HOST and PORT applies it to every request of this handle.
 */
static enum intake_err
make_connect_to(struct intake_http *h)
{
	const char	*ct = h->cfg->connect_to;
	int		 n;

	if (ct[0] == '\0') {
		h->connect_to[0] = '\0';
		return INTAKE_OK;
	}
	if (strchr(ct, ':') != NULL)
		n = snprintf(h->connect_to, sizeof(h->connect_to), "::%s", ct);
	else
		n = snprintf(h->connect_to, sizeof(h->connect_to), "::%s:", ct);
	if (n < 0 || (size_t)n >= sizeof(h->connect_to))
		return INTAKE_ECONFIG;
	return INTAKE_OK;
}

enum intake_err
intake_http_new(const struct intake_config *cfg, struct intake_http **out)
{
	struct intake_http	*h;
	enum intake_err		 err;

	h = intake_xcalloc(1, sizeof(*h));
	h->cfg = cfg;
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		intake_log_err("http: curl_easy_init failed");
		free(h);
		return INTAKE_ENOMEM;
	}
	err = make_connect_to(h);
	if (err != INTAKE_OK) {
		intake_http_free(h);
		return err;
	}
	*out = h;
	return INTAKE_OK;
}

void
intake_http_free(struct intake_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h);
}

void
intake_http_deadline(struct intake_http *h, int64_t deadline_ms)
{
	h->deadline_ms = deadline_ms;
}

int64_t
intake_http_deadline_ms(const struct intake_http *h)
{
	return h->deadline_ms;
}

bool
intake_http_deadline_passed(const struct intake_http *h)
{
	return h->deadline_ms != 0 && intake_now_ms() >= h->deadline_ms;
}

void
intake_http_forget(struct intake_http *h)
{
	/* The connections belong to the parent; leak the handle on purpose. */
	(void)h;
}

/*
 * Options that are the same for every call.  The timeouts are the
 * config's, cut to what is left before the handle's deadline (left_ms).
 */
static enum intake_err
set_common(struct intake_http *h, struct intake_http_resp *resp, int64_t left_ms)
{
	const struct intake_config	*cfg = h->cfg;
	enum intake_err			 err = INTAKE_OK;
	long				 total = (long)cfg->timeout_ms;
	long				 conn = (long)cfg->connect_timeout_ms;

	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, cfg->allow_http ? "http,https" : "https");
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_file[0] != '\0')
		SETOPT(h, CURLOPT_CAINFO, cfg->ca_file);
	if (left_ms < total)
		total = (long)left_ms;
	if (total < conn)
		conn = total;
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, conn);
	SETOPT(h, CURLOPT_TIMEOUT_MS, total);
	SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->response_max);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, resp);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, resp);
	SETOPT(h, CURLOPT_USERAGENT, "intake/1");
	SETOPT(h, CURLOPT_ACCEPT_ENCODING, "");
	/* HTTP/2 where the server offers it, else HTTP/1.1 kept alive. */
	SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (cfg->keepalive_s > 0)
		SETOPT(h, CURLOPT_MAXAGE_CONN, (long)cfg->keepalive_s);
	SETOPT(h, CURLOPT_PREREQFUNCTION, on_prereq);
	SETOPT(h, CURLOPT_PREREQDATA, h);
out:
	return err;
}

/* Headers must not carry CR or LF (header injection). */
static bool
header_safe(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* Append one formatted header line to *hdrs; line is scratch space. */
static enum intake_err	add_header(struct curl_slist **, struct intake_buf *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static enum intake_err
add_header(struct curl_slist **hdrs, struct intake_buf *line, const char *fmt, ...)
{
	struct curl_slist	*tmp;
	enum intake_err		 err;
	va_list			 ap;

	intake_buf_reset(line);
	va_start(ap, fmt);
	err = intake_buf_vprintf(line, fmt, ap);
	va_end(ap);
	if (err != INTAKE_OK)
		return err;
	tmp = curl_slist_append(*hdrs, intake_buf_str(line));
	if (tmp == NULL)
		return INTAKE_ENOMEM;
	*hdrs = tmp;
	return INTAKE_OK;
}

/* Forget what an earlier call left in resp. */
static void
resp_reset(struct intake_http_resp *resp)
{
	intake_buf_reset(&resp->body);
	resp->status = 0;
	resp->retry_after = -1;
	resp->unsent = true;
	resp->content_type[0] = '\0';
}

/*
 * Whether call may be sent: its header values hold no CR or LF, and time
 * is left before h's deadline (*left: the milliseconds left, INT64_MAX
 * without a deadline).
 */
static enum intake_err
check_call(const struct intake_http *h, const struct intake_http_call *call, int64_t *left)
{
	*left = INT64_MAX;
	if (!header_safe(call->bearer) || !header_safe(call->content_type))
		return INTAKE_EINVAL;
	if (h->deadline_ms == 0)
		return INTAKE_OK;
	*left = h->deadline_ms - intake_now_ms();
	if (*left <= 0) {
		/* Nothing is sent: a retry cannot make a duplicate of this call. */
		intake_log_info("http: no time left for an Integrify call");
		return INTAKE_ETIMEOUT;
	}
	return INTAKE_OK;
}

/* The request headers of call, appended to *hdrs; line is scratch space. */
static enum intake_err
make_headers(const struct intake_http_call *call, struct curl_slist **hdrs,
    struct intake_buf *line)
{
	enum intake_err	err;

	err = add_header(hdrs, line, "Accept: application/json, text/csv;q=0.9, */*;q=0.5");
	if (err != INTAKE_OK)
		return err;
	if (call->bearer != NULL) {
		err = add_header(hdrs, line, "Authorization: Bearer %s", call->bearer);
		if (err != INTAKE_OK)
			return err;
	}
	if (call->content_type != NULL) {
		err = add_header(hdrs, line, "Content-Type: %s", call->content_type);
		if (err != INTAKE_OK)
			return err;
	}
	/* No "Expect: 100-continue" round trip. */
	return add_header(hdrs, line, "Expect:");
}

/* The method of call: GET, or POST with its body; anything else is refused. */
static enum intake_err
set_method(struct intake_http *h, const struct intake_http_call *call)
{
	enum intake_err	err = INTAKE_OK;

	if (strcmp(call->method, "GET") == 0)
		return INTAKE_OK;
	if (strcmp(call->method, "POST") != 0)
		return INTAKE_EINVAL;
	/*
	 * The body through on_read(), never POSTFIELDS: libcurl would resend
	 * POSTFIELDS on a new connection by itself when a reused one dies
	 * before the answer, and on_seek() refuses exactly that (see the
	 * header comment).  keepalive_s 0: no reuse for a POST at all.  An
	 * empty body has no byte to refuse a rewind of (its request is whole
	 * with its head), so it never rides a reused connection either.
	 */
	h->body = call->body != NULL ? call->body : "";
	h->bodylen = call->body != NULL ? call->bodylen : 0;
	if (h->cfg->keepalive_s == 0 || h->bodylen == 0)
		SETOPT(h, CURLOPT_FRESH_CONNECT, 1L);
	SETOPT(h, CURLOPT_POST, 1L);
	SETOPT(h, CURLOPT_READFUNCTION, on_read);
	SETOPT(h, CURLOPT_READDATA, h);
	SETOPT(h, CURLOPT_SEEKFUNCTION, on_seek);
	SETOPT(h, CURLOPT_SEEKDATA, h);
	SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->bodylen);
out:
	return err;
}

/*
 * The URL, connect_to, headers and method of call.  The lists made go to
 * *hdrs and *ct, which the caller frees after the transfer.
 */
static enum intake_err
set_request(struct intake_http *h, const struct intake_http_call *call,
    struct curl_slist **hdrs, struct curl_slist **ct, struct intake_buf *line)
{
	enum intake_err	err = INTAKE_OK;

	SETOPT(h, CURLOPT_URL, call->url);
	if (h->connect_to[0] != '\0') {
		*ct = curl_slist_append(NULL, h->connect_to);
		if (*ct == NULL)
			return INTAKE_ENOMEM;
		SETOPT(h, CURLOPT_CONNECT_TO, *ct);
	}
	err = make_headers(call, hdrs, line);
	if (err != INTAKE_OK)
		goto out;
	SETOPT(h, CURLOPT_HTTPHEADER, *hdrs);
	err = set_method(h, call);
out:
	return err;
}

/* What a failed transfer (rc) means for the caller, logged once. */
static enum intake_err
transfer_failed(const struct intake_http *h, CURLcode rc, struct intake_http_resp *resp)
{
	if (h->refused) {
		/* No reply: the caller takes a start as "unsure", never sent twice. */
		intake_metrics_count(INTAKE_METRIC_UPSTREAM_RESEND_REFUSED);
		intake_log_event(INTAKE_LOG_WARN, "upstream_failed", "error", "closed", "msg",
		    "http: the connection closed before Integrify answered a POST; "
		    "it may have been processed, so it is not resent", NULL);
		return INTAKE_EUPSTREAM;
	}
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		intake_log_event(INTAKE_LOG_WARN, "upstream_failed", "error", "timeout", "msg",
		    "http: Integrify call timed out", NULL);
		return INTAKE_ETIMEOUT;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		intake_log_event(INTAKE_LOG_WARN, "upstream_failed", "error", "too_large", "msg",
		    "http: Integrify reply over response_max", NULL);
		return INTAKE_ETOOBIG;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		/*
		 * Nothing was sent: a retry cannot make a duplicate.  Unless
		 * libcurl had read body bytes for a reused connection first.
		 */
		resp->unsent = h->bodyread == 0;
		intake_log_event(INTAKE_LOG_WARN, "upstream_failed", "error", "connect", "msg",
		    curl_easy_strerror(rc), NULL);
		return INTAKE_EUPSTREAM;
	default:
		/* libcurl's own codes (about a hundred): all a broken transfer. */
		intake_log_event(INTAKE_LOG_WARN, "upstream_failed", "error", "transfer", "msg",
		    curl_easy_strerror(rc), NULL);
		return INTAKE_EUPSTREAM;
	}
}

enum intake_err
intake_http_do(struct intake_http *h, const struct intake_http_call *call,
    struct intake_http_resp *resp)
{
	struct curl_slist	*hdrs = NULL;
	struct curl_slist	*ct = NULL;
	struct intake_buf	 line;
	enum intake_err		 err;
	CURLcode		 rc;
	long			 status;
	int64_t			 left, t0 = intake_metrics_now_us();

	intake_buf_init(&line, INTAKE_SECRET_MAX * 8);
	curl_easy_reset(h->curl);
	resp_reset(resp);
	h->body = NULL;
	h->bodylen = 0;
	h->bodyread = 0;
	h->connects = 0;
	h->refused = false;
	err = check_call(h, call, &left);
	if (err != INTAKE_OK)
		goto out;
	err = set_common(h, resp, left);
	if (err != INTAKE_OK)
		goto out;
	err = set_request(h, call, &hdrs, &ct, &line);
	if (err != INTAKE_OK)
		goto out;
	resp->unsent = false;
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		err = transfer_failed(h, rc, resp);
		goto out;
	}
	(void)curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
out:
	intake_metrics_upstream(call->url, resp->status, err, intake_metrics_now_us() - t0);
	/* Leave no pointer to freed lists inside the handle. */
	(void)curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	(void)curl_easy_setopt(h->curl, CURLOPT_CONNECT_TO, NULL);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(ct);
	if (line.ptr != NULL)
		OPENSSL_cleanse(line.ptr, line.cap);
	intake_buf_free(&line);
	return err;
}
