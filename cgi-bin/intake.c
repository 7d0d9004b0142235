/*
 * intake - the FastCGI pool, or one plain CGI request, or a config check.
 *
 *   intake -c FILE        run the supervised worker pool (foreground)
 *   intake -c FILE -t     check FILE and exit
 *   intake -c FILE -T     check FILE against the Integrify tenant (also: probe)
 *   intake -c FILE -F P   print a form definition for process P (SID or name;
 *                         also: probe --form-for P)
 *   intake -c FILE -d     run only the spool dispatcher (for plain CGI setups)
 *   intake -c FILE -R     ... and allow root when [server] user is unset
 *   intake --keys         list every configuration key
 *   intake --form-keys    list every form definition key
 *   intake --help, -h     this usage, on stdout
 *   intake --version, -v  the version, on stdout
 *   (CGI environment)     answer one request; config from INTAKE_CONFIG
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "form/form.h"
#include "process/pool.h"

#define DEFAULT_CONFIG	"/etc/intake/intake.conf"

static const char usage_text[] =
    "usage: intake -c config [-t | -T | -d] [-R]\n"
    "       intake -c config probe [--form-for process] | -F process\n"
    "       intake --keys | --form-keys | --help | --version\n"
    "       (as CGI: GATEWAY_INTERFACE set, config from INTAKE_CONFIG)\n"
    "\n"
    "  -c config  the configuration file (" DEFAULT_CONFIG ")\n"
    "  -t         check the configuration and exit\n"
    "  -T, probe  check the configuration against the Integrify tenant: one\n"
    "             OK/FAIL/SKIP line per check; exit 1 on any FAIL\n"
    "  -F process, --form-for process\n"
    "             print a form definition for the process (its SID or name)\n"
    "  -d         run only the spool dispatcher (beside plain CGI)\n"
    "  -R         allow running as root when [server] user is not set\n"
    "  --keys     list every configuration key; --form-keys every form key\n"
    "  -h, --help     print this and exit; -v, --version print the version\n"
    "Without -t or -d, run the worker pool in the foreground. See intake(8).\n";

/* The one long option that takes an argument; the others are whole commands (main). */
static const struct option long_opts[] = {
	{ "form-for", required_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 },
};

/* The usage on stream: stdout when asked for, stderr after a mistake. */
static void
usage(FILE *stream)
{
	fputs(usage_text, stream);
}

int
main(int argc, char *argv[])
{
	const char		*config = NULL, *env;
	const char *const	*k;
	const char		*form_for = NULL;
	int			 ch, test = 0, probe = 0, dispatch = 0, allow_root = 0;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) {
		printf("intake %s\n", INTAKE_VERSION);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--keys") == 0) {
		for (k = intake_config_keys(); *k != NULL; k++)
			puts(*k);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--form-keys") == 0) {
		for (k = intake_form_keys(); *k != NULL; k++)
			puts(*k);
		return 0;
	}
	if (argc == 1 && getenv("GATEWAY_INTERFACE") != NULL) {
		env = getenv("INTAKE_CONFIG");
		return intake_cgi_run(env != NULL && *env != '\0' ? env : DEFAULT_CONFIG);
	}
	while ((ch = getopt_long(argc, argv, "c:dtTF:R", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			dispatch = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			probe = 1;
			break;
		case 'F':
			form_for = optarg;
			break;
		case 'R':
			allow_root = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* "probe" as a word is -T, or with --form-for what it asks for. */
	if (optind == argc - 1 && strcmp(argv[optind], "probe") == 0) {
		probe = form_for == NULL;
		optind++;
	}
	if (optind != argc || config == NULL ||
	    test + probe + dispatch + (form_for != NULL) > 1) {
		usage(stderr);
		return 2;
	}
	if (test)
		return intake_config_check(config);
	if (probe || form_for != NULL)
		return intake_probe_main(config, form_for);
	return dispatch ? intake_dispatch_run(config, allow_root) :
	    intake_pool_run(config, allow_root);
}
