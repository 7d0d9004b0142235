/*
 * pool.h - the ways the intake binary runs.
 *
 * intake_pool_run(): a supervisor that binds the FastCGI socket, creates
 * the shared cache and forks the workers, all before any worker makes a
 * curl handle; it replaces workers that die or recycle, reloads on SIGHUP
 * (new workers start on the new config, old ones finish what they hold)
 * and drains on SIGTERM.
 *
 * intake_cgi_run(): one request as plain CGI (e.g. under fcgiwrap), with
 * the same handlers and the same shared token cache file.
 */
#ifndef INTAKE_POOL_H
#define INTAKE_POOL_H

#include <stdbool.h>

/*
 * Returns the process exit status.  Started as root, the pool drops to
 * [server] user after binding its socket; without that key it refuses
 * to run as root unless allow_root (-R).
 */
int	intake_pool_run(const char *config_path, bool allow_root);
/* The dispatcher alone, on the caches the CGI requests use. */
int	intake_dispatch_run(const char *config_path, bool allow_root);
int	intake_cgi_run(const char *config_path);

/* -t: load and check; print the problem on stderr.  Exit status. */
int	intake_config_check(const char *config_path);

/*
 * -T (form_for NULL): check the config against the tenant, one line per
 * check on stdout; 0 when all pass, 1 on any FAIL or when the config
 * does not load.  -F PROCESS: a form definition for the process on
 * stdout; 0, or 1 with why on stderr.
 */
int	intake_probe_main(const char *config_path, const char *form_for);

#endif
