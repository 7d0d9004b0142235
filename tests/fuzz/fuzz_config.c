/*
 * fuzz_config.c - intake_config_load() on any file content.
 *
 * The input is written to a scratch file, loaded and removed.  Whatever
 * the file says, the load either fails with a terminated message or gives
 * a config that passes the checks config.c promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_config	*cfg = NULL;
	char			 path[] = "/tmp/intake-fuzz-config.XXXXXX";
	char			 err[512];
	enum intake_err		 e;
	int			 fd;

	fd = mkstemp(path);
	if (fd == -1)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		(void)close(fd);
		(void)unlink(path);
		return 0;
	}
	(void)close(fd);
	memset(err, 'x', sizeof(err));
	e = intake_config_load(path, &cfg, err, sizeof(err));
	(void)unlink(path);
	if (e == INTAKE_OK) {
		if (cfg == NULL || cfg->key[0] == '\0' || cfg->cache_file[0] != '/' ||
		    cfg->refresh_ahead >= cfg->token_lifetime ||
		    cfg->timeout_ms < cfg->connect_timeout_ms ||
		    (strncmp(cfg->base_url, "https://", 8) != 0 &&
		    !(cfg->allow_http && strncmp(cfg->base_url, "http://", 7) == 0)))
			abort();
		intake_config_free(cfg);
	} else {
		if (e != INTAKE_ECONFIG || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	}
	return 0;
}
