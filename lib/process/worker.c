/*
 * worker.c - one worker process: accept, answer, finish, repeat.
 *
 * SIGTERM stays blocked: it is read from a signalfd in the worker's epoll
 * set, so a request in hand is always finished, and a SIGTERM that
 * arrives mid-request ends the worker when it next waits, after at most
 * INTAKE_WORKER_BATCH requests taken in a row.  (It was unblocked in
 * epoll_pwait() before; but epoll_pwait() returns ready events without
 * delivering a pending signal, so a worker whose socket always had a
 * connection waiting never saw SIGTERM, and was SIGKILLed at
 * shutdown_timeout with a request in hand.)  Each worker waits in its
 * own epoll set, the socket added EPOLLEXCLUSIVE, so a connection wakes
 * one idle worker, not all of them.  The socket is non-blocking: should
 * another worker win the connection all the same, accept() says EAGAIN
 * and this one goes back to sleep.
 *
 * With [server] admin_listen the worker sleeps on both sockets, with one
 * FCGX_Request each; a request from the admin socket is routed to the
 * admin pages, one from the public socket never is.
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "core/log.h"
#include "core/metrics.h"
#include "process/proc.h"
#include "process/worker.h"
#include "spool/spool.h"
#include "web/req.h"
#include "web/route.h"

/* Connections accepted in a row on a ready socket before the worker sleeps again. */
#define INTAKE_WORKER_BATCH	32

/* What an event of the worker's epoll set is: its data.u32. */
#define WAIT_PUBLIC	0u	/* the public socket (fd[0], fr[0]) */
#define WAIT_ADMIN	1u	/* the admin socket (fd[1], fr[1]) */
#define WAIT_SIGNAL	2u	/* the signalfd: SIGTERM */

static bool	stop_requested;

/*
 * SIGTERM asks the worker to stop: the one signal blocked (whatever mask
 * the worker was forked with), and read from the signalfd this returns
 * (-1 on failure, logged).  SIGHUP, SIGINT and SIGPIPE are ignored;
 * SIGUSR1 keeps the log's handler (core/log.h).
 */
static int
worker_signals(void)
{
	struct sigaction	sa;
	sigset_t		term;
	int			sfd;

	memset(&sa, 0, sizeof(sa));
	(void)sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigemptyset(&term);
	(void)sigaddset(&term, SIGTERM);
	(void)sigprocmask(SIG_SETMASK, &term, NULL);
	sfd = signalfd(-1, &term, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd == -1)
		intake_log_err("worker: signalfd: %s", strerror(errno));
	return sfd;
}

/* Serve one accepted request (admin: from the admin socket), and count it. */
static void
serve(struct intake_req *req, struct intake_ctx *ctx, FCGX_Request *fr, bool admin)
{
	enum intake_route	route = INTAKE_ROUTE__MAX;
	enum intake_err		err;
	int64_t			t0 = intake_metrics_now_us();

	intake_metrics_busy(true);
	err = intake_req_begin(req, ctx, fr, fr->envp);
	if (err != INTAKE_OK)
		(void)intake_resp_error(req, 431, "headers_too_large",
		    "The request headers are too large.");
	else
		route = intake_route_dispatch(req, admin);
	intake_metrics_request((int)route, req->status, intake_metrics_now_us() - t0);
	intake_metrics_busy(false);
}

/*
 * The worker's own epoll set of its nfd sockets (fd[k], reported as k),
 * each added EPOLLEXCLUSIVE: a new connection wakes one idle worker, not
 * every one (with ppoll() all woke, and all but one found nothing to
 * accept); and of its signalfd sfd (WAIT_SIGNAL), its own.  -1 on
 * failure (logged).
 */
static int
wait_set(const int *fd, int nfd, int sfd)
{
	struct epoll_event	e;
	int			k, ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1) {
		intake_log_err("worker: epoll_create1: %s", strerror(errno));
		return -1;
	}
	for (k = 0; k <= nfd; k++) {
		memset(&e, 0, sizeof(e));
		e.events = k < nfd ? EPOLLIN | EPOLLEXCLUSIVE : EPOLLIN;
		e.data.u32 = k < nfd ? (uint32_t)k : WAIT_SIGNAL;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, k < nfd ? fd[k] : sfd, &e) == -1) {
			intake_log_err("worker: epoll_ctl: %s", strerror(errno));
			(void)close(ep);
			return -1;
		}
	}
	return ep;
}

/*
 * Accept and answer requests on each of the sockets among the nev events
 * epoll found ready (WAIT_PUBLIC, WAIT_ADMIN), at most budget in all;
 * none once SIGTERM is among them (WAIT_SIGNAL).  On a socket that had a
 * connection, the worker accepts again at once, up to
 * INTAKE_WORKER_BATCH in a row: under load the next
 * connection is usually waiting, and taking it costs an accept(), not an
 * epoll_wait() and then an accept().  The batch is bounded because
 * SIGTERM is seen only when the worker waits, and so that the other
 * socket is looked at too.  Another worker may have won a connection,
 * and a socket may have none left (EAGAIN): neither is an error.  Returns
 * how many were answered.
 */
static long long
serve_ready(struct intake_req *req, struct intake_ctx *ctx, FCGX_Request *fr,
    const struct epoll_event *ev, int nev, long long budget)
{
	long long	served = 0;
	uint32_t	k;
	int		i, n, rc;

	for (i = 0; i < nev; i++)
		if (ev[i].data.u32 == WAIT_SIGNAL)
			stop_requested = true;
	for (i = 0; i < nev; i++) {
		k = ev[i].data.u32;
		if (k == WAIT_SIGNAL)
			continue;
		for (n = 0; n < INTAKE_WORKER_BATCH && served < budget && !stop_requested; n++) {
			rc = FCGX_Accept_r(&fr[k]);
			if (rc < 0) {
				if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
				    rc == -ECONNABORTED)
					break;
				intake_log_err("worker: accept failed (%d)", rc);
				stop_requested = true;
				break;
			}
			serve(req, ctx, &fr[k], k == WAIT_ADMIN);
			FCGX_Finish_r(&fr[k]);
			intake_req_end(req);
			/* Answered: the next submission's spool file is made now, not on its path. */
			if (ctx->spool != NULL)
				intake_spool_prepare(ctx->spool);
			served++;
		}
	}
	return served;
}

int
intake_worker_run(const struct intake_config *cfg, const struct intake_forms *forms,
    struct intake_cache *cache, struct intake_cache *marks, int listen_fd, int admin_fd)
{
	struct intake_ctx	ctx;
	struct intake_req	req;
	struct epoll_event	ev[3];
	FCGX_Request		fr[2];
	long long		served = 0;
	enum intake_err		err;
	const int		fd[2] = { listen_fd, admin_fd };
	int			nfd = admin_fd != -1 ? 2 : 1, k, rc, ep, sfd;

	sfd = worker_signals();
	if (sfd == -1)
		return 1;
	memset(fr, 0, sizeof(fr));
	err = intake_proc_ctx_child(&ctx, cfg, forms, cache, marks);
	/* Only the pool's workers publish lists: its supervisor removes them when they end. */
	ctx.publish = cfg->publish_dir[0] != '\0';
	if (err != INTAKE_OK || FCGX_Init() != 0 || FCGX_InitRequest(&fr[0], listen_fd, 0) != 0 ||
	    (nfd == 2 && FCGX_InitRequest(&fr[1], admin_fd, 0) != 0)) {
		intake_log_err("worker: cannot start: %s", intake_strerror(err));
		intake_proc_ctx_free(&ctx);
		(void)close(sfd);
		return 1;
	}
	ep = wait_set(fd, nfd, sfd);
	if (ep == -1) {
		for (k = 0; k < nfd; k++)
			FCGX_Free(&fr[k], 0);
		intake_proc_ctx_free(&ctx);
		(void)close(sfd);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	intake_arena_init(&req.arena, INTAKE_REQ_ARENA_MAX);

	while (!stop_requested && (cfg->max_requests == 0 || served < cfg->max_requests)) {
		rc = epoll_wait(ep, ev, nfd + 1, -1);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			intake_log_err("worker: epoll_wait: %s", strerror(errno));
			break;
		}
		served += serve_ready(&req, &ctx, fr, ev, rc,
		    cfg->max_requests == 0 ? LLONG_MAX : cfg->max_requests - served);
	}
	(void)close(ep);
	(void)close(sfd);
	if (!stop_requested && cfg->max_requests != 0 && served >= cfg->max_requests)
		intake_log_info("worker: recycling after %lld requests", served);
	for (k = 0; k < nfd; k++)
		FCGX_Free(&fr[k], 0);
	intake_arena_free(&req.arena);
	intake_proc_ctx_free(&ctx);
	return 0;
}
