/*
 * worker.c - one worker process: accept, answer, finish, repeat.
 *
 * SIGTERM stays blocked except while the worker sleeps in epoll_pwait()
 * on the listening socket, so a request in hand is always finished, and a
 * SIGTERM that arrives mid-request ends the worker at its next idle
 * moment.  Each worker waits in its own epoll set, the socket added
 * EPOLLEXCLUSIVE, so a connection wakes one idle worker, not all of
 * them.  The socket is non-blocking: should another worker win the
 * connection all the same, accept() says EAGAIN and this one goes back
 * to sleep.
 *
 * With [server] admin_listen the worker sleeps on both sockets, with one
 * FCGX_Request each; a request from the admin socket is routed to the
 * admin pages, one from the public socket never is.
 */
#include <sys/epoll.h>

#include <errno.h>
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

static volatile sig_atomic_t	stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * SIGTERM asks the worker to stop and stays blocked but while it sleeps
 * (*idle_mask, for epoll_pwait()); SIGHUP, SIGINT and SIGPIPE are ignored.
 */
static void
worker_signals(sigset_t *idle_mask)
{
	struct sigaction	sa;
	sigset_t		block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigemptyset(&block);
	(void)sigaddset(&block, SIGTERM);
	(void)sigprocmask(SIG_SETMASK, &block, idle_mask);
	(void)sigdelset(idle_mask, SIGTERM);
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
 * accept).  -1 on failure (logged).
 */
static int
wait_set(const int *fd, int nfd)
{
	struct epoll_event	e;
	int			k, ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1) {
		intake_log_err("worker: epoll_create1: %s", strerror(errno));
		return -1;
	}
	for (k = 0; k < nfd; k++) {
		memset(&e, 0, sizeof(e));
		e.events = EPOLLIN | EPOLLEXCLUSIVE;
		e.data.u32 = (uint32_t)k;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[k], &e) == -1) {
			intake_log_err("worker: epoll_ctl: %s", strerror(errno));
			(void)close(ep);
			return -1;
		}
	}
	return ep;
}

/*
 * Accept and answer one request on each of the nev sockets epoll found
 * ready (ev[i].data.u32: 0 the public socket, 1 the admin socket).
 * Another worker may have won the connection: that is no error.  Returns
 * how many were answered.
 */
static long long
serve_ready(struct intake_req *req, struct intake_ctx *ctx, FCGX_Request *fr,
    const struct epoll_event *ev, int nev)
{
	long long	served = 0;
	uint32_t	k;
	int		i, rc;

	for (i = 0; i < nev && !stop_requested; i++) {
		k = ev[i].data.u32;
		rc = FCGX_Accept_r(&fr[k]);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
			    rc == -ECONNABORTED)
				continue;
			intake_log_err("worker: accept failed (%d)", rc);
			stop_requested = 1;
			break;
		}
		serve(req, ctx, &fr[k], k == 1);
		FCGX_Finish_r(&fr[k]);
		intake_req_end(req);
		/* Answered: the next submission's spool file is made now, not on its path. */
		if (ctx->spool != NULL)
			intake_spool_prepare(ctx->spool);
		served++;
	}
	return served;
}

int
intake_worker_run(const struct intake_config *cfg, const struct intake_forms *forms,
    struct intake_cache *cache, struct intake_cache *marks, int listen_fd, int admin_fd)
{
	struct intake_ctx	ctx;
	struct intake_req	req;
	struct epoll_event	ev[2];
	FCGX_Request		fr[2];
	sigset_t		idle_mask;
	long long		served = 0;
	enum intake_err		err;
	const int		fd[2] = { listen_fd, admin_fd };
	int			nfd = admin_fd != -1 ? 2 : 1, k, rc, ep;

	worker_signals(&idle_mask);
	memset(fr, 0, sizeof(fr));
	err = intake_proc_ctx_child(&ctx, cfg, forms, cache, marks);
	/* Only the pool's workers publish lists: its supervisor removes them when they end. */
	ctx.publish = cfg->publish_dir[0] != '\0';
	if (err != INTAKE_OK || FCGX_Init() != 0 || FCGX_InitRequest(&fr[0], listen_fd, 0) != 0 ||
	    (nfd == 2 && FCGX_InitRequest(&fr[1], admin_fd, 0) != 0)) {
		intake_log_err("worker: cannot start: %s", intake_strerror(err));
		intake_proc_ctx_free(&ctx);
		return 1;
	}
	ep = wait_set(fd, nfd);
	if (ep == -1) {
		for (k = 0; k < nfd; k++)
			FCGX_Free(&fr[k], 0);
		intake_proc_ctx_free(&ctx);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	intake_arena_init(&req.arena, INTAKE_REQ_ARENA_MAX);

	while (!stop_requested && (cfg->max_requests == 0 || served < cfg->max_requests)) {
		rc = epoll_pwait(ep, ev, nfd, -1, &idle_mask);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			intake_log_err("worker: epoll_pwait: %s", strerror(errno));
			break;
		}
		served += serve_ready(&req, &ctx, fr, ev, rc);
	}
	(void)close(ep);
	if (!stop_requested && cfg->max_requests != 0 && served >= cfg->max_requests)
		intake_log_info("worker: recycling after %lld requests", served);
	for (k = 0; k < nfd; k++)
		FCGX_Free(&fr[k], 0);
	intake_arena_free(&req.arena);
	intake_proc_ctx_free(&ctx);
	return 0;
}
