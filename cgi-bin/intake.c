/*
 * intake - the FastCGI pool, or one plain CGI request, or a config check.
 *
 *   intake -c FILE        run the supervised worker pool (foreground)
 *   intake -c FILE -t     check FILE and exit
 *   intake -c FILE -d     run only the spool dispatcher (for plain CGI setups)
 *   intake --keys         list every configuration key
 *   intake --form-keys    list every form definition key
 *   (CGI environment)     answer one request; config from INTAKE_CONFIG
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intake/config.h"
#include "intake/form.h"
#include "intake/pool.h"

#define DEFAULT_CONFIG	"/etc/intake/intake.conf"

static void
usage(void)
{
	fputs("usage: intake -c config [-t | -d]\n"
	    "       intake --keys | --form-keys\n"
	    "       (as CGI: GATEWAY_INTERFACE set, config from INTAKE_CONFIG)\n", stderr);
}

int
main(int argc, char *argv[])
{
	const char		*config = NULL, *env;
	const char *const	*k;
	int			 ch, test = 0, dispatch = 0;

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
	while ((ch = getopt(argc, argv, "c:dt")) != -1) {
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
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc || config == NULL || (test && dispatch)) {
		usage();
		return 2;
	}
	if (test)
		return intake_config_check(config);
	return dispatch ? intake_dispatch_run(config) : intake_pool_run(config);
}
