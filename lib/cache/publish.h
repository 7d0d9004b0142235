/*
 * publish.h - unfiltered lists as files nginx serves without a worker.
 *
 * When [server] publish_dir is set, a worker that answers an unfiltered
 * list while it is fresh also writes the answer's bytes to
 * DIR/api/choices/NAME.json (a temporary file, then rename: a reader sees
 * the old file or the new one, never a part), and beside it NAME.json.gz,
 * the same bytes gzipped, which nginx's gzip_static sends to a client that
 * accepts gzip instead of compressing the list again for every request.  The shipped nginx site
 * serves that file to every request the answer fits (GET or HEAD, no
 * query, no Origin, an Accept that does not ask for HTML) and sends the
 * rest to the workers.
 *
 * nginx knows nothing of the list's freshness, so the file carries it: its
 * modification time is the end of the list's freshness minus
 * INTAKE_PUBLISH_SHIFT, which the site's `expires modified +86400s` turns
 * back into the same Expires and max-age the worker sends, and nginx's
 * ETag ("mtime-size" in hex) is the one the worker sends for that answer
 * (intake_publish_etag()).  The pool's supervisor removes a file once its
 * freshness ends (intake_publish_sweep()), so from then on the workers
 * answer again, with stale-while-revalidate and stale-if-error exactly as
 * without publishing; a stale list is never published.
 */
#ifndef INTAKE_CACHE_PUBLISH_H
#define INTAKE_CACHE_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define INTAKE_PUBLISH_SHIFT	86400	/* s: mtime = end of freshness - this (the site's expires) */
#define INTAKE_PUBLISH_ETAG_MAX	40	/* "\"<16 hex>-<16 hex>\"" and the NUL */
#define INTAKE_PUBLISH_NAME_MAX	64	/* bytes of a published list's name, NUL included */

/*
 * Make DIR/api/choices (mode 0755; DIR must be absolute) and remove every
 * file a former run left there: what it published may no longer hold
 * under this configuration.  INTAKE_EINVAL for a relative or too long DIR,
 * INTAKE_ESYS when a directory cannot be made.
 */
enum intake_err	intake_publish_open(const char *dir);

/*
 * Publish len bytes of body as list name (of [a-z0-9_-], checked here),
 * fresh until fresh_until_s (Unix seconds), with its gzipped copy.  A file already published
 * with this freshness or a later one is kept as it is.  The file is mode
 * 0644, whatever the umask: nginx reads it.  INTAKE_EINVAL for a bad name,
 * INTAKE_ESYS when writing fails (nothing is left behind).
 */
enum intake_err	intake_publish_put(const char *dir, const char *name, const void *body,
		    size_t len, int64_t fresh_until_s);

/*
 * The ETag nginx sends for a file published with fresh_until_s and len
 * bytes (its "\"%xT-%xO\"" of the modification time and the size), so a
 * worker's answer and the file's carry the same one.
 */
void		intake_publish_etag(int64_t fresh_until_s, size_t len,
		    char out[INTAKE_PUBLISH_ETAG_MAX]);

/*
 * Remove every published file (and gzipped copy) whose freshness has ended by now_s, and
 * temporary files older than a minute (a writer that died).  Returns the
 * earliest end of freshness among the files kept (INT64_MAX: none), so the
 * caller can come back then.
 */
int64_t		intake_publish_sweep(const char *dir, int64_t now_s);

/* Remove every published file (at shutdown and on reload). */
void		intake_publish_wipe(const char *dir);

#endif
