/*
 * test_deliver.c - the pure parts of delivery: the backoff schedule.
 * (A record's fields mapped back onto its form: test_spoolrec.c.)  (Attempts against
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

int
main(void)
{
	T_RUN(test_deliver_backoff_doubles_jitters_and_caps);
	return T_DONE();
}
