/*
 * spoolctl.c - the intake-spool command (spoolctl.h).
 *
 * It works on the files alone, so it runs beside a live pool: a record
 * the dispatcher holds is left alone (retry and purge take its lock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "spool/spool.h"
#include "spool/spoolctl.h"
#include "spool/spoolrec.h"
#include "util/str.h"

#define DEFAULT_CONFIG	"/etc/intake/intake.conf"
#define RECORD_SLACK	(1u << 20)

struct ctl {
	struct intake_config	*cfg;
	struct intake_spool	*spool;
	enum intake_spool_status place;
	long long		 n;
	int			 failed;
};

static const char usage_text[] =
    "usage: intake-spool [-c config] list [undelivered|queued|held|started|all]\n"
    "       intake-spool [-c config] show REF\n"
    "       intake-spool [-c config] retry REF... | --all-held\n"
    "       intake-spool [-c config] purge [-f] REF...\n"
    "       intake-spool --help | --version\n"
    "\n"
    "  -c config  the configuration file (" DEFAULT_CONFIG ")\n"
    "  list       submissions in the spool; the filter is one of\n"
    "             undelivered  queued and held (the default)\n"
    "             queued       waiting for their next attempt\n"
    "             held         set aside for a person\n"
    "             started      delivered to Integrify, receipt still kept\n"
    "             all          every one of the above\n"
    "  show       one submission's state and its field names (not values)\n"
    "  retry      send held submissions again (queued ones: now)\n"
    "  purge      delete held submissions (-f: queued ones too)\n"
    "See intake-spool(8).\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
}

/* What each list filter shows. */
static const struct {
	const char	*name;
	bool		 queued, held, started;
} filters[] = {
	{ "undelivered",	true,	true,	false },
	{ "queued",		true,	false,	false },
	{ "held",		false,	true,	false },
	{ "started",		false,	false,	true },
	{ "all",		true,	true,	true },
};

static void
when(int64_t ms, char out[32])
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == 0)
		(void)intake_strlcpy(out, "-", 32);
}

static bool
list_one(void *arg, const char *ref)
{
	struct ctl			*c = arg;
	struct intake_spool_meta	 m;
	enum intake_spool_status	 st;
	char				 t[32];

	st = intake_spool_lookup(c->spool, ref, &m);
	if (st != c->place)
		return true;
	when(st == INTAKE_SPOOL_QUEUED ? m.next_ms : m.at_ms, t);
	printf("%s  %-7s  %8lld  %-20s  %s\n", ref, intake_spool_status_name(st), m.attempts, t,
	    st == INTAKE_SPOOL_DONE ? (m.sid[0] != '\0' ? m.sid : "-") :
	    m.error[0] != '\0' ? m.error : "-");
	c->n++;
	return true;
}

static int
cmd_list(struct ctl *c, int argc, char *argv[])
{
	const char	*which = argc > 1 ? argv[1] : "undelivered";
	size_t		 f;

	for (f = 0; f < sizeof(filters) / sizeof(filters[0]); f++)
		if (strcmp(which, filters[f].name) == 0)
			break;
	if (argc > 2 || f == sizeof(filters) / sizeof(filters[0])) {
		usage();
		return 2;
	}
	printf("%-14s  %-7s  %8s  %-20s  %s\n", "REFERENCE", "STATUS", "ATTEMPTS",
	    "NEXT/AT (UTC)", "LAST ERROR / REQUEST");
	if (filters[f].queued) {
		c->place = INTAKE_SPOOL_QUEUED;
		(void)intake_spool_each(c->spool, INTAKE_SPOOL_QUEUED, list_one, c);
	}
	if (filters[f].held) {
		c->place = INTAKE_SPOOL_DEAD;
		(void)intake_spool_each(c->spool, INTAKE_SPOOL_DEAD, list_one, c);
	}
	if (filters[f].started) {
		c->place = INTAKE_SPOOL_DONE;
		(void)intake_spool_each(c->spool, INTAKE_SPOOL_DONE, list_one, c);
	}
	fprintf(stderr, "%lld submission(s) %s\n", c->n, which);
	return 0;
}

static int
cmd_show(struct ctl *c, int argc, char *argv[])
{
	struct intake_spool_meta	 m;
	struct intake_spool_hold	 h;
	struct intake_spoolrec		*rec;
	enum intake_spool_status	 st;
	char				 t[32];
	bool				 got;
	size_t				 i, j;

	if (argc != 2) {
		usage();
		return 2;
	}
	st = intake_spool_lookup(c->spool, argv[1], &m);
	if (st == INTAKE_SPOOL_UNKNOWN) {
		fprintf(stderr, "intake-spool: %s: no such reference\n", argv[1]);
		return 1;
	}
	printf("reference  %s\nstatus     %s\nattempts   %lld\n", argv[1],
	    intake_spool_status_name(st), m.attempts);
	when(m.next_ms, t);
	printf("next       %s\n", t);
	when(m.at_ms, t);
	printf("last       %s\n%-10s %s\nrequest    %s %s\n", t,
	    st == INTAKE_SPOOL_DEAD ? "held for" : "error", m.error[0] != '\0' ? m.error : "-",
	    m.sid[0] != '\0' ? m.sid : "-", m.id);
	if (m.item[0] != '\0')
		printf("item       %s\n", m.item);
	if (st != INTAKE_SPOOL_QUEUED)
		return 0;
	/* The record's fields (queued only: held ones move with their lock-free rename). */
	if (intake_spool_take(c->spool, argv[1], &h, &got) != INTAKE_OK || !got) {
		printf("fields     (being delivered right now)\n");
		return 0;
	}
	rec = intake_xcalloc(1, sizeof(*rec));
	if (intake_spool_read(c->spool, &h, (size_t)c->cfg->body_max + RECORD_SLACK) ==
	    INTAKE_OK && intake_spoolrec_decode(h.bytes.ptr, h.bytes.len, rec) == INTAKE_OK) {
		printf("form       %s\nname       %s\n", rec->form, rec->name);
		for (i = 0; i < rec->nfields; i++) {
			printf("field      %s:", rec->fields[i].name);
			for (j = 0; j < rec->fields[i].nvalues; j++)
				printf(" [%zu bytes]", strlen(rec->fields[i].values[j]));
			if (rec->fields[i].file_name != NULL)
				printf(" file of %zu bytes", rec->fields[i].file_len);
			putchar('\n');
		}
	} else
		printf("fields     (unreadable: the dispatcher will quarantine it)\n");
	intake_spool_release(&h);
	free(rec);
	return 0;
}

/* retry: a held one goes back to the queue; a queued one is due at once. */
static void
retry_one(struct ctl *c, const char *ref)
{
	struct intake_spool_meta	m;
	struct intake_spool_hold	h;
	enum intake_spool_status	st;
	bool				got;

	st = intake_spool_lookup(c->spool, ref, &m);
	if (st == INTAKE_SPOOL_DEAD && intake_spool_revive(c->spool, ref) == INTAKE_OK) {
		printf("%s: requeued\n", ref);
		return;
	}
	if (st == INTAKE_SPOOL_QUEUED && intake_spool_take(c->spool, ref, &h, &got) ==
	    INTAKE_OK && got) {
		m.next_ms = 0;
		m.at_ms = 0;
		if (intake_spool_set_meta(c->spool, ref, &m) == INTAKE_OK) {
			printf("%s: due now\n", ref);
			intake_spool_release(&h);
			return;
		}
		intake_spool_release(&h);
	}
	fprintf(stderr, "intake-spool: %s: cannot retry (%s)\n", ref,
	    st == INTAKE_SPOOL_QUEUED ? "being delivered right now" :
	    st == INTAKE_SPOOL_DONE ? "already started" : intake_spool_status_name(st));
	c->failed = 1;
}

static bool
retry_held(void *arg, const char *ref)
{
	retry_one(arg, ref);
	return true;
}

static int
cmd_retry(struct ctl *c, int argc, char *argv[])
{
	int	i;

	if (argc < 2) {
		usage();
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "--all-held") == 0)
		(void)intake_spool_each(c->spool, INTAKE_SPOOL_DEAD, retry_held, c);
	else
		for (i = 1; i < argc; i++)
			retry_one(c, argv[i]);
	return c->failed;
}

static int
cmd_purge(struct ctl *c, int argc, char *argv[])
{
	struct intake_spool_meta	m;
	struct intake_spool_hold	h;
	enum intake_spool_status	st;
	bool				got, force = false;
	int				i = 1;

	if (argc > 1 && strcmp(argv[1], "-f") == 0) {
		force = true;
		i++;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	for (; i < argc; i++) {
		st = intake_spool_lookup(c->spool, argv[i], &m);
		if (st == INTAKE_SPOOL_QUEUED && !force) {
			fprintf(stderr, "intake-spool: %s is still queued; use -f to drop it\n",
			    argv[i]);
			c->failed = 1;
			continue;
		}
		if (st == INTAKE_SPOOL_QUEUED) {
			if (intake_spool_take(c->spool, argv[i], &h, &got) != INTAKE_OK || !got) {
				fprintf(stderr, "intake-spool: %s is being delivered right now\n",
				    argv[i]);
				c->failed = 1;
				continue;
			}
			st = intake_spool_purge(c->spool, INTAKE_SPOOL_QUEUED, argv[i]) ==
			    INTAKE_OK ? INTAKE_SPOOL_QUEUED : INTAKE_SPOOL_UNKNOWN;
			intake_spool_release(&h);
		} else if (st == INTAKE_SPOOL_DEAD)
			st = intake_spool_purge(c->spool, st, argv[i]) == INTAKE_OK ? st :
			    INTAKE_SPOOL_UNKNOWN;
		else
			st = INTAKE_SPOOL_UNKNOWN;
		if (st == INTAKE_SPOOL_UNKNOWN) {
			fprintf(stderr, "intake-spool: %s: nothing to purge\n", argv[i]);
			c->failed = 1;
		} else
			printf("%s: purged\n", argv[i]);
	}
	return c->failed;
}

static const struct {
	const char	*name;
	int		(*fn)(struct ctl *, int, char *[]);
} cmds[] = {
	{ "list",	cmd_list },
	{ "show",	cmd_show },
	{ "retry",	cmd_retry },
	{ "purge",	cmd_purge },
};

int
intake_spoolctl_main(int argc, char *argv[])
{
	struct ctl	 c;
	const char	*config = DEFAULT_CONFIG;
	char		 msg[1024];
	size_t		 i;
	int		 ch, rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) {
		printf("intake-spool %s\n", INTAKE_VERSION);
		return 0;
	}
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		if (ch != 'c') {
			usage();
			return 2;
		}
		config = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage();
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		usage();
		return 2;
	}
	memset(&c, 0, sizeof(c));
	if (intake_config_load(config, &c.cfg, msg, sizeof(msg)) != INTAKE_OK) {
		fprintf(stderr, "intake-spool: %s\n", msg);
		return 1;
	}
	if (intake_spool_open(c.cfg->spool_dir, &c.spool) != INTAKE_OK) {
		fprintf(stderr, "intake-spool: cannot open the spool %s\n", c.cfg->spool_dir);
		intake_config_free(c.cfg);
		return 1;
	}
	rc = cmds[i].fn(&c, argc, argv);
	intake_spool_close(c.spool);
	intake_config_free(c.cfg);
	return rc;
}
