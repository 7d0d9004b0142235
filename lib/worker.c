/*
 * worker.c - one worker process: accept, answer, finish, repeat.
 *
 * SIGTERM stays blocked except while the worker sleeps in ppoll() on the
 * listening socket, so a request in hand is always finished, and a
 * SIGTERM that arrives mid-request ends the worker at its next idle
 * moment.  The socket is non-blocking: when another worker wins the
 * connection, accept() says EAGAIN and this one goes back to sleep.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "intake/log.h"
#include "intake/pool.h"
#include "intake/req.h"
#include "intake/route.h"

static volatile sig_atomic_t	stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Serve one accepted request. */
static void
serve(struct intake_req *req, struct intake_ctx *ctx, FCGX_Request *fr)
{
	enum intake_err	err;

	err = intake_req_begin(req, ctx, fr, fr->envp);
	if (err != INTAKE_OK) {
		(void)intake_resp_error(req, 431, "headers_too_large",
		    "The request headers are too large.");
		return;
	}
	intake_route_dispatch(req);
}

int
intake_worker_run(const struct intake_config *cfg, struct intake_cache *cache,
    struct intake_cache *marks, int listen_fd)
{
	struct intake_ctx	ctx;
	struct intake_req	req;
	struct sigaction	sa;
	struct pollfd		pfd;
	FCGX_Request		fr;
	sigset_t		idle_mask, block;
	long long		served = 0;
	enum intake_err		err;
	int			rc;

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
	(void)sigprocmask(SIG_SETMASK, &block, &idle_mask);
	(void)sigdelset(&idle_mask, SIGTERM);

	err = intake_ctx_child_init(&ctx, cfg, cache, marks);
	if (err != INTAKE_OK || FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
		intake_log_err("worker: cannot start: %s", intake_strerror(err));
		intake_ctx_free(&ctx);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	intake_arena_init(&req.arena, INTAKE_REQ_ARENA_MAX);

	while (!stop_requested && (cfg->max_requests == 0 || served < cfg->max_requests)) {
		pfd.fd = listen_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = ppoll(&pfd, 1, NULL, &idle_mask);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			intake_log_err("worker: poll: %s", strerror(errno));
			break;
		}
		rc = FCGX_Accept_r(&fr);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
			    rc == -ECONNABORTED)
				continue;
			intake_log_err("worker: accept failed (%d)", rc);
			break;
		}
		serve(&req, &ctx, &fr);
		FCGX_Finish_r(&fr);
		intake_req_end(&req);
		served++;
	}
	if (!stop_requested && cfg->max_requests != 0 && served >= cfg->max_requests)
		intake_log_info("worker: recycling after %lld requests", served);
	FCGX_Free(&fr, 0);
	intake_arena_free(&req.arena);
	intake_ctx_free(&ctx);
	return 0;
}
