/*
 * memo.h - rendered listing answers, remembered per list version.
 *
 * A listing's body depends only on its source, the rows (named by their
 * version digest, report.h) and the request's variant (format, page,
 * search, ...).  This worker keeps the last 16 bodies of each list: of
 * each source's unfiltered list (its newest version), and of the 32
 * filtered lists (keyed by values a client chose) it used most recently.
 * So a popular list is rendered once per version and variant, a flood of
 * variants of one list (searches) pushes out only that list's bodies, and
 * a flood of filtered lists never pushes out an unfiltered one.
 *
 * The memo is per process.  A worker's configuration never changes (a
 * reload starts new workers), so a source's kind and name stand for how
 * it renders for as long as the memo lives.
 */
#ifndef INTAKE_MEMO_H
#define INTAKE_MEMO_H

#include <stdbool.h>

#include "core/config.h"
#include "util/buf.h"

#define INTAKE_MEMO_ETAG_MAX	40	/* bytes of a remembered ETag, with its NUL */

/*
 * The remembered body for variant of src's rows at version (of a filtered
 * list when filtered: some filter value was given), and its ETag
 * in *etag, or NULL (a miss) when there is none.  Both are owned by the
 * memo and valid until the next intake_memo_put() or intake_memo_clear().
 */
const struct intake_buf	*intake_memo_get(const struct intake_source *src,
			    const char *version, bool filtered, const char *variant,
			    const char **etag);

/*
 * Remember body (its contents are taken: body is left empty, with the
 * same max) and etag (at most INTAKE_MEMO_ETAG_MAX - 1 bytes) as the
 * answer for variant of src's rows at version, forgetting the oldest
 * variant of that list, or an older version of the unfiltered list, or
 * the least recently used filtered list, to make room.
 */
void	intake_memo_put(const struct intake_source *src, const char *version, bool filtered,
	    const char *variant, struct intake_buf *body, const char *etag);

/* Forget every body (and free them). */
void	intake_memo_clear(void);

#endif
