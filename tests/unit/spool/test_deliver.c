/*
 * test_deliver.c - the pure parts of delivery: the backoff schedule and
 * mapping a record's fields back onto its form.  (Attempts against
 * Integrify are covered by the integration tests with the stand-in.)
 */
#include <stdlib.h>
#include <string.h>

#include "spool/deliver.h"
#include "t.h"

static void
test_deliver_backoff_doubles_jitters_and_caps(void)
{
	struct intake_config	cfg;
	int64_t			lo, hi;
	long long		a;

	memset(&cfg, 0, sizeof(cfg));
	cfg.spool_retry_base = 2;
	cfg.spool_retry_max = 60;
	for (a = 1; a <= 40; a++) {
		lo = intake_deliver_backoff_ms(&cfg, a, 0);
		hi = intake_deliver_backoff_ms(&cfg, a, UINT32_MAX);
		T_ASSERT(lo >= 1000 && hi <= 60000 && lo <= hi);
	}
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 1, 0), 1000);		/* half of 2 s */
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 2, 0), 2000);		/* half of 4 s */
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 3, 2000), 4000 + 2000 % 4001);
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 30, 0), 30000);	/* capped at 60 s */
	T_EQ_INT(intake_deliver_backoff_ms(&cfg, 1000000, 30000), 60000);
}

static void
test_deliver_values_follow_the_form(void)
{
	struct intake_form		*form = calloc(1, sizeof(*form));
	struct intake_spoolrec		*rec = calloc(1, sizeof(*rec));
	struct intake_form_value	*v = calloc(INTAKE_FIELDS_MAX, sizeof(*v));
	char				 why[200];

	(void)strcpy(form->id, "f");
	(void)strcpy(form->fields[0].name, "a");
	(void)strcpy(form->fields[1].name, "b");
	(void)strcpy(form->fields[2].name, "c");
	form->nfields = 3;
	rec->fields[0].name = "c";
	rec->fields[0].values[0] = "x";
	rec->fields[0].values[1] = "y";
	rec->fields[0].nvalues = 2;
	rec->fields[1].name = "a";
	rec->fields[1].file_name = "n.txt";
	rec->fields[1].file_type = "text/plain";
	rec->fields[1].file_data = "hi";
	rec->fields[1].file_len = 2;
	rec->nfields = 2;
	T_EQ_INT(intake_deliver_values(rec, form, v, why, sizeof(why)), INTAKE_OK);
	T_ASSERT(v[0].field == &form->fields[0]);
	T_EQ_STR(v[0].file_name, "n.txt");
	T_EQ_INT(v[0].file_len, 2);
	T_EQ_INT(v[1].nvalues, 0);
	T_EQ_INT(v[2].nvalues, 2);
	T_EQ_STR(v[2].values[1], "y");
	/* A field the form no longer has: refused, and named. */
	rec->fields[1].name = "gone";
	T_EQ_INT(intake_deliver_values(rec, form, v, why, sizeof(why)), INTAKE_EINVAL);
	T_CONTAINS(why, "gone");
	free(form);
	free(rec);
	free(v);
}

int
main(void)
{
	T_RUN(test_deliver_backoff_doubles_jitters_and_caps);
	T_RUN(test_deliver_values_follow_the_form);
	return T_DONE();
}
