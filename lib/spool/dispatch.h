/*
 * dispatch.h - the dispatcher: one process, supervised by the pool like
 * a worker (intake --dispatch runs one alone for plain CGI), that
 * delivers what the workers could not.
 */
#ifndef INTAKE_DISPATCH_H
#define INTAKE_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"

/*
 * Make this process the dispatcher before its ctx is built: named
 * "intake-dispatch" (ps, top and the tests tell it from the workers by
 * it), SIGTERM and SIGINT end it between records, SIGHUP and SIGPIPE are
 * ignored, and no signal is blocked any longer.
 */
void	intake_dispatcher_prepare(void);

/*
 * Deliver spooled submissions from ctx's spool until SIGTERM, sweeping
 * old receipts and claims now and then.  ctx is built and freed by the
 * caller.  Exit status.
 */
int	intake_dispatcher_run(struct intake_ctx *ctx);

/*
 * Attempt the queued record ref once, if it is due (or Integrify came
 * back after closed_at, the breaker's last close) and no one else holds
 * it.  A record that cannot be read is quarantined; one whose form is
 * gone is set aside for a person (intake_spool_set_aside()).  Returns
 * whether it was attempted.
 */
bool	intake_dispatcher_one(struct intake_ctx *ctx, const char *ref, int64_t closed_at);

#endif
