/*
 * pool.c - the supervisor, plain CGI mode and the config check.
 *
 * The supervisor handles its signals synchronously: they stay blocked and
 * are taken one at a time with sigtimedwait(), so there is no handler
 * state to race with.  Order at start: config, curl_global_init, socket,
 * shared cache, then fork.  Workers make their own curl handles.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cache/cache.h"
#include "core/log.h"
#include "core/metrics.h"
#include "form/form.h"
#include "cache/publish.h"
#include "integrify/http.h"
#include "integrify/formgen.h"
#include "integrify/probe.h"
#include "process/pool.h"
#include "process/priv.h"
#include "process/proc.h"
#include "process/worker.h"
#include "spool/spool.h"
#include "integrify/report.h"
#include "web/req.h"
#include "web/route.h"
#include "process/service.h"
#include "util/json.h"
#include "util/str.h"

#define POOL_MAX	256
#define FAST_DEATH_MS	1000	/* a worker dying younger than this is crash-looping */

struct worker {
	pid_t		pid;		/* 0: free row */
	unsigned	generation;	/* config generation it runs */
	int64_t		started_ms;
};

struct pool {
	struct intake_config	*cfg;
	struct intake_forms	*forms;		/* loaded with cfg */
	struct intake_cache	*cache;
	struct intake_cache	*marks;
	struct intake_cache	*lists;		/* made here; workers attach */
	int			 fd;
	int			 admin_fd;	/* [server] admin_listen, -1: none */
	int			 activated;	/* fd came from the service manager */
	int			 admin_activated;	/* admin_fd did too */
	unsigned		 generation;
	struct worker		 workers[POOL_MAX];
	struct worker		 dispatcher;		/* delivers the spool */
	int64_t			 respawn_after_ms;	/* crash-loop brake */
	int			 stopping;
	int64_t			 stop_deadline_ms;
};

static void
config_error(const char *msg)
{
	fprintf(stderr, "intake: %s\n", msg);
}

/*
 * The config at path and the forms it names (forms_dir), each checked.
 * The forms are loaded here, not by the config, which knows no forms.  On
 * failure the problem is in msg and nothing is kept.
 */
static enum intake_err
load_both(const char *path, struct intake_config **cfg, struct intake_forms **forms,
    char *msg, size_t msgsz)
{
	if (intake_config_load(path, cfg, msg, msgsz) != INTAKE_OK)
		return INTAKE_ECONFIG;
	if (intake_forms_load((*cfg)->forms_dir, (*cfg)->sources, (*cfg)->nsources, forms, msg,
	    msgsz) != INTAKE_OK) {
		intake_config_free(*cfg);
		*cfg = NULL;
		return INTAKE_ECONFIG;
	}
	return INTAKE_OK;
}

/*
 * Load the config at path and its forms for every way intake runs (pool,
 * dispatcher, CGI, -t); the problem goes to stderr.  The one place a run
 * gets its config, so whatever comes with it is loaded here too.
 */
static bool
load_config(const char *path, struct intake_config **cfg, struct intake_forms **forms)
{
	char	msg[1024];

	if (load_both(path, cfg, forms, msg, sizeof(msg)) != INTAKE_OK) {
		config_error(msg);
		return false;
	}
	return true;
}

int
intake_config_check(const char *path)
{
	struct intake_config	*cfg;
	struct intake_forms	*forms;

	if (!load_config(path, &cfg, &forms))
		return 1;
	printf("intake: %s: configuration OK (%s, flow %s, %lld workers)\n", path,
	    intake_dialect_name(cfg->dialect), intake_flow_name(cfg->flow), cfg->workers);
	intake_forms_free(forms);
	intake_config_free(cfg);
	return 0;
}

/*
 * -T and -F: the probe (integrify/probe.h) on a ctx made as plain CGI
 * makes one, sharing the token cache file; log lines go to stderr.
 */
int
intake_probe_main(const char *path, const char *form_for)
{
	struct intake_config	*cfg = NULL;
	struct intake_forms	*forms = NULL;
	struct intake_ctx	 ctx;
	char			 msg[1024];
	int			 rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	if (!load_config(path, &cfg, &forms))
		return 1;
	intake_log_set_level(INTAKE_LOG_WARN);
	ctx.cfg = cfg;
	ctx.forms = forms;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    intake_cache_open(cfg, false, &ctx.cache) != INTAKE_OK ||
	    intake_cache_open_marks(cfg, false, &ctx.marks) != INTAKE_OK ||
	    intake_http_new(cfg, &ctx.http) != INTAKE_OK) {
		config_error("probe: cannot open the cache file or make a curl handle");
		goto out;
	}
	if (form_for == NULL)
		rc = intake_probe_run(&ctx, stdout) > 0 ? 1 : 0;
	else if (intake_formgen_write(&ctx, form_for, stdout, msg, sizeof(msg)) == INTAKE_OK)
		rc = 0;
	else
		fprintf(stderr, "intake: -F %s: %s\n", form_for, msg);
out:
	intake_proc_ctx_free(&ctx);
	intake_cache_close(ctx.cache);
	intake_cache_close(ctx.marks);
	intake_forms_free(forms);
	intake_config_free(cfg);
	curl_global_cleanup();
	return rc;
}

/* Give the unix socket at path its configured owner and group (nginx's, say). */
static bool
own_socket(const struct intake_config *cfg, const char *path)
{
	uid_t	uid = (uid_t)-1, u;
	gid_t	gid = (gid_t)-1, g;
	char	msg[256];

	if (cfg->socket_owner[0] == '\0' && cfg->socket_group[0] == '\0')
		return true;
	if (cfg->socket_owner[0] != '\0') {
		if (intake_priv_lookup(cfg->socket_owner, NULL, &u, &g, msg, sizeof(msg)) !=
		    INTAKE_OK) {
			intake_log_err("pool: socket_owner: %s", msg);
			return false;
		}
		uid = u;
	}
	if (cfg->socket_group[0] != '\0') {
		if (intake_priv_group(cfg->socket_group, &gid, msg, sizeof(msg)) != INTAKE_OK) {
			intake_log_err("pool: socket_group: %s", msg);
			return false;
		}
	}
	if (chown(path, uid, gid) == -1) {
		intake_log_err("pool: cannot give %s its owner and group: %s", path,
		    strerror(errno));
		return false;
	}
	return true;
}

/* Bind a listening socket at addr: unix:/path or host:port. -1 on failure. */
static int
listen_on(const struct intake_config *cfg, const char *addr)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res = NULL, *ai;
	struct stat		 st;
	char			 host[INTAKE_PATH_MAX];
	const char		*colon;
	int			 fd = -1, one = 1, rc;

	if (strncmp(addr, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		(void)intake_strlcpy(sun.sun_path, addr + 5, sizeof(sun.sun_path));
		if (lstat(sun.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
			(void)unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    chmod(sun.sun_path, (mode_t)cfg->socket_mode) == -1)
			goto fail;
	} else {
		colon = strrchr(addr, ':');
		(void)snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		rc = getaddrinfo(host[0] == '\0' ? NULL : host, colon + 1, &hints, &res);
		if (rc != 0) {
			intake_log_err("pool: listen %s: %s", addr, gai_strerror(rc));
			return -1;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
			if (fd == -1)
				continue;
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			(void)close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd == -1)
			goto fail;
	}
	if (listen(fd, (int)cfg->backlog) == -1)
		goto fail;
	if (strncmp(addr, "unix:", 5) == 0 && !own_socket(cfg, addr + 5)) {
		(void)close(fd);
		return -1;
	}
	return fd;
fail:
	intake_log_err("pool: cannot listen on %s: %s", addr, strerror(errno));
	if (fd != -1)
		(void)close(fd);
	return -1;
}

/* Make a socket the service manager passed fit the workers' loop: close-on-exec, non-blocking. */
static bool
passed_socket(int fd)
{
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		intake_log_err("pool: a passed socket: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Workers alive in generation, or in any generation when all is set. */
static int
count(const struct pool *p, unsigned generation, int all)
{
	int	i, n = 0;

	for (i = 0; i < POOL_MAX; i++)
		if (p->workers[i].pid != 0 && (all || p->workers[i].generation == generation))
			n++;
	return n;
}

static int
live_count(const struct pool *p, unsigned generation)
{
	return count(p, generation, 0);
}

/* A child started or ended: child=PID, and signal= or status= when it ended. */
static void
child_event(enum intake_log_level level, const char *event, pid_t pid, int sig, int status)
{
	struct intake_log_line	l;

	intake_log_begin(&l, level, event);
	intake_log_int(&l, "child", (long long)pid);
	if (sig >= 0)
		intake_log_int(&l, "signal", sig);
	if (status >= 0)
		intake_log_int(&l, "status", status);
	intake_log_end(&l);
}

static void
spawn(struct pool *p)
{
	sigset_t	none;
	pid_t		pid;
	int		i;

	for (i = 0; i < POOL_MAX && p->workers[i].pid != 0; i++)
		;
	if (i == POOL_MAX)
		return;
	pid = fork();
	if (pid == -1) {
		intake_log_err("pool: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		(void)sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		intake_metrics_self(i);
		_exit(intake_worker_run(p->cfg, p->forms, p->cache, p->marks, p->fd, p->admin_fd));
	}
	p->workers[i].pid = pid;
	p->workers[i].generation = p->generation;
	p->workers[i].started_ms = intake_now_ms();
	child_event(INTAKE_LOG_INFO, "worker_started", pid, -1, -1);
}

static void
spawn_dispatcher(struct pool *p)
{
	pid_t	pid;

	pid = fork();
	if (pid == -1) {
		intake_log_err("pool: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		(void)close(p->fd);
		if (p->admin_fd != -1)
			(void)close(p->admin_fd);
		intake_metrics_self(INTAKE_METRICS_DISPATCHER_ROW);
		_exit(intake_proc_dispatcher(p->cfg, p->forms, p->cache, p->marks));
	}
	p->dispatcher.pid = pid;
	p->dispatcher.generation = p->generation;
	p->dispatcher.started_ms = intake_now_ms();
	child_event(INTAKE_LOG_INFO, "dispatcher_started", pid, -1, -1);
}

/* Start workers until the current generation has its number, and the dispatcher. */
static void
fill(struct pool *p)
{
	if (p->stopping || intake_now_ms() < p->respawn_after_ms)
		return;
	if (p->dispatcher.pid == 0)
		spawn_dispatcher(p);
	while (live_count(p, p->generation) < p->cfg->workers) {
		int before = live_count(p, p->generation);

		spawn(p);
		if (live_count(p, p->generation) == before)
			break;	/* no free row, or fork failed: next tick */
	}
}

static void
reap(struct pool *p)
{
	int64_t	now = intake_now_ms();
	pid_t	pid;
	int	status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		intake_cache_reap(p->cache, pid);
		intake_cache_reap(p->marks, pid);
		intake_cache_reap(p->lists, pid);
		if (pid == p->dispatcher.pid) {
			p->dispatcher.pid = 0;
			intake_metrics_row(INTAKE_METRICS_DISPATCHER_ROW, 0);
			if (!p->stopping)
				intake_metrics_count(INTAKE_METRIC_DISPATCHER_RESTART);
			if (WIFSIGNALED(status))
				child_event(INTAKE_LOG_WARN, "dispatcher_exited", pid,
				    WTERMSIG(status), -1);
			else
				child_event(INTAKE_LOG_INFO, "dispatcher_exited", pid, -1,
				    WEXITSTATUS(status));
			continue;
		}
		for (i = 0; i < POOL_MAX && p->workers[i].pid != pid; i++)
			;
		if (i == POOL_MAX)
			continue;
		p->workers[i].pid = 0;
		intake_metrics_row(i, 0);
		if (!p->stopping)
			intake_metrics_count(INTAKE_METRIC_WORKER_RESTART);
		if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)
			intake_metrics_count(INTAKE_METRIC_WORKER_CRASH);
		if (WIFSIGNALED(status))
			child_event(INTAKE_LOG_WARN, "worker_exited", pid, WTERMSIG(status), -1);
		else if (WEXITSTATUS(status) != 0)
			child_event(INTAKE_LOG_WARN, "worker_exited", pid, -1, WEXITSTATUS(status));
		else
			child_event(INTAKE_LOG_DEBUG, "worker_exited", pid, -1, 0);
		if ((WIFSIGNALED(status) || WEXITSTATUS(status) != 0) &&
		    now - p->workers[i].started_ms < FAST_DEATH_MS) {
			intake_log_warn("pool: workers are dying at start; waiting a second");
			p->respawn_after_ms = now + 1000;
		}
	}
}

static void
signal_generation(struct pool *p, unsigned generation, int sig, int all)
{
	int	i;

	for (i = 0; i < POOL_MAX; i++)
		if (p->workers[i].pid != 0 && (all || p->workers[i].generation == generation))
			(void)kill(p->workers[i].pid, sig);
}

/* SIGHUP: a new config for new workers; old ones drain. */
static void
reload(struct pool *p)
{
	struct intake_config	*ncfg, *old = p->cfg;
	struct intake_forms	*nforms, *old_forms = p->forms;
	char			 msg[1024];
	unsigned		 oldgen = p->generation;

	(void)intake_service_notify(INTAKE_SERVICE_RELOADING, "reloading the configuration");
	if (load_both(old->path, &ncfg, &nforms, msg, sizeof(msg)) != INTAKE_OK) {
		intake_log_err("pool: reload refused, keeping the running config: %s", msg);
		(void)intake_service_notify(INTAKE_SERVICE_READY, "reload refused; see the log");
		return;
	}
	/* What was set up before fork cannot change without a restart. */
	if (strcmp(ncfg->run_user, old->run_user) != 0 ||
	    strcmp(ncfg->run_group, old->run_group) != 0)
		intake_log_warn("pool: user and group changes need a restart; the pool keeps "
		    "running as it is");
	if (strcmp(ncfg->log_file, old->log_file) != 0)
		intake_log_warn("pool: log_file changes need a restart; the log stays where it is");
	memcpy(ncfg->log_file, old->log_file, sizeof(ncfg->log_file));
	if (strcmp(ncfg->listen, old->listen) != 0 || ncfg->socket_mode != old->socket_mode ||
	    strcmp(ncfg->admin_listen, old->admin_listen) != 0 ||
	    ncfg->backlog != old->backlog || strcmp(ncfg->cache_file, old->cache_file) != 0 ||
	    ncfg->cache_entries != old->cache_entries ||
	    ncfg->cache_entry_max != old->cache_entry_max ||
	    ncfg->filtered_entries != old->filtered_entries ||
	    strcmp(ncfg->publish_dir, old->publish_dir) != 0)
		intake_log_warn("pool: listen, admin_listen, socket_mode, backlog, cache_* and "
		    "publish_dir changes need a restart; kept the running values");
	memcpy(ncfg->publish_dir, old->publish_dir, sizeof(ncfg->publish_dir));
	memcpy(ncfg->listen, old->listen, sizeof(ncfg->listen));
	memcpy(ncfg->admin_listen, old->admin_listen, sizeof(ncfg->admin_listen));
	ncfg->socket_mode = old->socket_mode;
	ncfg->backlog = old->backlog;
	memcpy(ncfg->cache_file, old->cache_file, sizeof(ncfg->cache_file));
	ncfg->cache_entries = old->cache_entries;
	ncfg->cache_entry_max = old->cache_entry_max;
	ncfg->filtered_entries = old->filtered_entries;
	/* A random form key lives as long as the pool: forms in browsers stay valid. */
	ncfg->mark_entries = old->mark_entries;
	if (ncfg->form_key_file[0] == '\0' && old->form_key_file[0] == '\0')
		memcpy(ncfg->form_key, old->form_key, sizeof(ncfg->form_key));

	p->cfg = ncfg;
	p->forms = nforms;
	p->generation++;
	/* What was published may not hold under the new lists' definitions. */
	if (ncfg->publish_dir[0] != '\0')
		intake_publish_wipe(ncfg->publish_dir);
	intake_metrics_configured(ncfg->workers);
	intake_log_set_level(ncfg->log_level);
	p->respawn_after_ms = 0;
	fill(p);
	signal_generation(p, oldgen, SIGTERM, 0);
	/* The dispatcher restarts on the new config once it has finished its record. */
	if (p->dispatcher.pid != 0)
		(void)kill(p->dispatcher.pid, SIGTERM);
	intake_forms_free(old_forms);
	intake_config_free(old);
	intake_log_info("pool: configuration reloaded");
	(void)intake_service_notify(INTAKE_SERVICE_READY, "configuration reloaded");
}

/* The signals the supervisor takes synchronously. */
static void
supervisor_signals(sigset_t *set)
{
	(void)sigemptyset(set);
	(void)sigaddset(set, SIGCHLD);
	(void)sigaddset(set, SIGTERM);
	(void)sigaddset(set, SIGINT);
	(void)sigaddset(set, SIGHUP);
	(void)sigaddset(set, SIGQUIT);
	(void)sigaddset(set, SIGUSR1);
}

/* SIGUSR1: reopen the log file here, then have every child do the same (like nginx -s reopen). */
static void
reopen_log(struct pool *p)
{
	intake_log_reopen();
	signal_generation(p, 0, SIGUSR1, 1);
	if (p->dispatcher.pid != 0)
		(void)kill(p->dispatcher.pid, SIGUSR1);
	intake_log_event(INTAKE_LOG_INFO, "log_reopened", "file",
	    p->cfg->log_file[0] != '\0' ? p->cfg->log_file : "(standard error)", NULL);
}

/*
 * Remove the published lists whose freshness has ended (cache/publish.h)
 * and return how long the supervisor may wait before the next one ends:
 * at most a second (a worker may publish a list that ends sooner
 * meanwhile: it is then removed up to a second late), at least 10 ms.
 */
static struct timespec
publish_sweep(struct pool *p)
{
	struct timespec	ts = { 1, 0 };
	int64_t		now = intake_now_ms(), next, wait;

	if (p->cfg->publish_dir[0] == '\0')
		return ts;
	next = intake_publish_sweep(p->cfg->publish_dir, now / 1000);
	if (next == INT64_MAX)
		return ts;
	wait = next * 1000 - now;
	wait = wait < 10 ? 10 : wait > 1000 ? 1000 : wait;
	ts.tv_sec = (time_t)(wait / 1000);
	ts.tv_nsec = (long)(wait % 1000) * 1000000L;
	return ts;
}

static void
run_loop(struct pool *p)
{
	struct timespec	 tick;
	siginfo_t	 si;
	sigset_t	 set;
	int		 sig;

	supervisor_signals(&set);
	for (;;) {
		tick = publish_sweep(p);
		sig = sigtimedwait(&set, &si, &tick);
		switch (sig) {
		case SIGCHLD:
			reap(p);
			break;
		case SIGHUP:
			if (!p->stopping)
				reload(p);
			break;
		case SIGUSR1:
			reopen_log(p);
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (!p->stopping) {
				intake_log_info("pool: stopping; draining in-flight requests");
				(void)intake_service_notify(INTAKE_SERVICE_STOPPING,
				    "draining in-flight requests");
				p->stopping = 1;
				p->stop_deadline_ms = intake_now_ms() +
				    p->cfg->shutdown_timeout * 1000;
				signal_generation(p, 0, SIGTERM, 1);
				if (p->dispatcher.pid != 0)
					(void)kill(p->dispatcher.pid, SIGTERM);
			}
			break;
		default:
			reap(p);	/* a missed SIGCHLD costs at most one tick */
			break;
		}
		if (p->stopping) {
			if (count(p, 0, 1) == 0 && p->dispatcher.pid == 0)
				return;
			if (intake_now_ms() >= p->stop_deadline_ms) {
				intake_log_warn("pool: shutdown_timeout reached; killing workers");
				signal_generation(p, 0, SIGKILL, 1);
				if (p->dispatcher.pid != 0)
					(void)kill(p->dispatcher.pid, SIGKILL);
				p->stop_deadline_ms = INT64_MAX;
			}
			continue;
		}
		fill(p);
	}
}

/* Bind the sockets: those the service manager passed, else listen and admin_listen. */
static bool
pool_sockets(struct pool *p)
{
	/* Sockets passed by the service manager (socket activation) win over listen. */
	if (intake_service_listen_fds(&p->fd, &p->admin_fd) != INTAKE_OK)
		return false;
	p->activated = p->fd != -1;
	p->admin_activated = p->admin_fd != -1;
	if ((p->activated && !passed_socket(p->fd)) ||
	    (p->admin_activated && !passed_socket(p->admin_fd)))
		return false;
	if (!p->activated)
		p->fd = listen_on(p->cfg, p->cfg->listen);
	if (p->fd == -1)
		return false;
	/* The admin socket (/metrics, /status): bound like the public one, before the drop. */
	if (!p->admin_activated && p->cfg->admin_listen[0] != '\0') {
		p->admin_fd = listen_on(p->cfg, p->cfg->admin_listen);
		if (p->admin_fd == -1)
			return false;
	}
	return true;
}

/*
 * As the user now: the log file (so that a reopen after rotation can
 * create it again), the shared caches, the counters and the spool, all
 * before fork.
 */
static bool
pool_shared(struct pool *p)
{
	struct intake_spool	*spool;
	char			 msg[1024];

	if (intake_log_open(p->cfg->log_file, msg, sizeof(msg)) != INTAKE_OK) {
		intake_log_err("pool: %s", msg);
		return false;
	}
	intake_proc_labels();
	if (intake_cache_open(p->cfg, true, &p->cache) != INTAKE_OK ||
	    intake_cache_open_marks(p->cfg, true, &p->marks) != INTAKE_OK ||
	    intake_cache_open_lists(p->cfg, true, &p->lists) != INTAKE_OK ||
	    intake_metrics_open(p->cfg, true) != INTAKE_OK)
		return false;
	intake_metrics_configured(p->cfg->workers);
	/* Create the spool now: a worker that cannot write it must not start. */
	if (intake_spool_open(p->cfg->spool_dir, &spool) != INTAKE_OK)
		return false;
	intake_spool_close(spool);
	/* Published lists: made (and emptied of a former run's) as the user. */
	return p->cfg->publish_dir[0] == '\0' || intake_publish_open(p->cfg->publish_dir) == INTAKE_OK;
}

/* Say what the pool serves, start its children and tell the service manager it is ready. */
static void
pool_start(struct pool *p)
{
	char	msg[128];

	intake_log_info("pool: listening on %s with %lld workers (%s, flow %s, cache %s)",
	    p->activated ? "the socket the service manager passed" : p->cfg->listen,
	    p->cfg->workers, intake_dialect_name(p->cfg->dialect),
	    intake_flow_name(p->cfg->flow), intake_cache_backend_name(p->cache));
	if (p->admin_fd != -1)
		intake_log_info("pool: admin pages (/metrics, /status) on %s", p->admin_activated ?
		    "the admin socket the service manager passed" : p->cfg->admin_listen);
	fill(p);
	(void)snprintf(msg, sizeof(msg), "serving with %lld workers", p->cfg->workers);
	(void)intake_service_notify(INTAKE_SERVICE_READY, msg);
}

/* Close and remove the sockets the pool bound, unmap what it shared, free it. */
static void
pool_free(struct pool *p)
{
	if (p->fd != -1) {
		(void)close(p->fd);
		if (!p->activated && strncmp(p->cfg->listen, "unix:", 5) == 0)
			(void)unlink(p->cfg->listen + 5);
	}
	if (p->admin_fd != -1) {
		(void)close(p->admin_fd);
		if (!p->admin_activated && strncmp(p->cfg->admin_listen, "unix:", 5) == 0)
			(void)unlink(p->cfg->admin_listen + 5);
	}
	intake_metrics_close();
	intake_cache_close(p->cache);
	intake_cache_close(p->marks);
	intake_cache_close(p->lists);
	intake_forms_free(p->forms);
	intake_config_free(p->cfg);
	curl_global_cleanup();
	free(p);
}

int
intake_pool_run(const char *path, bool allow_root)
{
	struct pool	*p;
	sigset_t	 set;
	char		 msg[1024];
	int		 rc = 1;

	p = intake_xcalloc(1, sizeof(*p));
	p->fd = -1;
	p->admin_fd = -1;
	if (!load_config(path, &p->cfg, &p->forms)) {
		free(p);
		return 1;
	}
	intake_log_set_level(p->cfg->log_level);
	supervisor_signals(&set);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		intake_log_err("pool: curl_global_init failed");
		goto out;
	}
	if (!pool_sockets(p))
		goto out;
	/* The socket is bound: from here on, never root (files are made as the user). */
	if (intake_priv_settle(p->cfg->run_user, p->cfg->run_group, allow_root, msg,
	    sizeof(msg)) != INTAKE_OK) {
		intake_log_err("pool: %s", msg);
		goto out;
	}
	if (!pool_shared(p))
		goto out;
	pool_start(p);
	run_loop(p);
	if (p->cfg->publish_dir[0] != '\0')
		intake_publish_wipe(p->cfg->publish_dir);
	intake_log_info("pool: stopped");
	rc = 0;
out:
	pool_free(p);
	return rc;
}

int
intake_dispatch_run(const char *path, bool allow_root)
{
	struct intake_config	*cfg = NULL;
	struct intake_forms	*forms = NULL;
	struct intake_cache	*cache = NULL, *marks = NULL;
	char			 msg[1024];
	int			 rc = 1;

	if (!load_config(path, &cfg, &forms))
		return 1;
	intake_log_set_level(cfg->log_level);
	if (intake_priv_settle(cfg->run_user, cfg->run_group, allow_root, msg, sizeof(msg)) !=
	    INTAKE_OK) {
		intake_log_err("dispatch: %s", msg);
		intake_forms_free(forms);
		intake_config_free(cfg);
		return 1;
	}
	if (intake_log_open(cfg->log_file, msg, sizeof(msg)) != INTAKE_OK) {
		intake_log_err("dispatch: %s", msg);
		intake_forms_free(forms);
		intake_config_free(cfg);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK &&
	    intake_cache_open(cfg, false, &cache) == INTAKE_OK &&
	    intake_cache_open_marks(cfg, false, &marks) == INTAKE_OK) {
		/* Counted when the counters can be had; delivering matters more. */
		intake_proc_labels();
		(void)intake_metrics_open(cfg, false);
		rc = intake_proc_dispatcher(cfg, forms, cache, marks);
	}
	intake_cache_close(cache);
	intake_cache_close(marks);
	intake_metrics_close();
	intake_forms_free(forms);
	intake_config_free(cfg);
	curl_global_cleanup();
	return rc;
}

/*
 * Answer a CGI request that cannot reach the handlers (no config, no
 * caches): the JSON error body comes from the one writer, as every other
 * error's does.
 */
static void
cgi_fail(const char *status, const char *code, const char *message)
{
	struct intake_buf	body;

	intake_buf_init(&body, INTAKE_JSON_MESSAGE_MAX * 2);
	(void)intake_json_error(&body, code, message);
	printf("Status: %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
	    "Content-Length: %zu\r\n\r\n", status, body.len);
	(void)fwrite(intake_buf_str(&body), 1, body.len, stdout);
	intake_buf_free(&body);
}

int
intake_cgi_run(const char *path)
{
	extern char		**environ;
	struct intake_config	 *cfg = NULL;
	struct intake_forms	 *forms = NULL;
	struct intake_ctx	  ctx;
	struct intake_req	  req;
	char			  msg[1024];
	int64_t			  t0 = intake_metrics_now_us();
	int			  rc = 1;
	enum intake_route	  route = INTAKE_ROUTE__MAX;

	memset(&ctx, 0, sizeof(ctx));
	memset(&req, 0, sizeof(req));
	intake_arena_init(&req.arena, INTAKE_REQ_ARENA_MAX);
	if (!load_config(path, &cfg, &forms)) {
		cgi_fail("500 Internal Server Error", "internal", "intake is not configured.");
		goto out;
	}
	intake_log_set_level(cfg->log_level);
	if (intake_log_open(cfg->log_file, msg, sizeof(msg)) != INTAKE_OK)
		intake_log_err("cgi: %s; logging to standard error", msg);
	ctx.cfg = cfg;
	ctx.forms = forms;
	ctx.reports = intake_report_cache_new();
	intake_proc_labels();
	(void)intake_metrics_open(cfg, false);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    intake_cache_open(cfg, false, &ctx.cache) != INTAKE_OK ||
	    intake_cache_open_marks(cfg, false, &ctx.marks) != INTAKE_OK ||
	    intake_cache_open_lists(cfg, false, &ctx.lists) != INTAKE_OK ||
	    intake_spool_open(cfg->spool_dir, &ctx.spool) != INTAKE_OK ||
	    intake_http_new(cfg, &ctx.http) != INTAKE_OK) {
		cgi_fail("503 Service Unavailable", "unavailable", "intake cannot start.");
		goto out;
	}
	if (intake_req_begin(&req, &ctx, NULL, environ) != INTAKE_OK)
		(void)intake_resp_error(&req, 431, "headers_too_large",
		    "The request headers are too large.");
	else
		route = intake_route_dispatch(&req, false);
	intake_metrics_request((int)route, req.status, intake_metrics_now_us() - t0);
	rc = 0;
out:
	intake_arena_free(&req.arena);
	intake_proc_ctx_free(&ctx);
	intake_cache_close(ctx.cache);
	intake_cache_close(ctx.marks);
	intake_metrics_close();
	intake_forms_free(forms);
	intake_config_free(cfg);
	curl_global_cleanup();
	return rc;
}
