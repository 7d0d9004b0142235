/*
 * err.c - descriptions for enum intake_err, read from one table.
 */
#include "util/err.h"
#include "util/nelem.h"

static const char *const errors[] = {
	"success",				/* INTAKE_OK */
	"out of memory",			/* INTAKE_ENOMEM */
	"system error",				/* INTAKE_ESYS */
	"invalid configuration",		/* INTAKE_ECONFIG */
	"malformed input",			/* INTAKE_EINVAL */
	"input too large",			/* INTAKE_ETOOBIG */
	"timed out",				/* INTAKE_ETIMEOUT */
	"Integrify is unavailable",		/* INTAKE_EUPSTREAM */
	"Integrify refused the service account",	/* INTAKE_EAUTH */
	"Integrify denied permission",		/* INTAKE_EDENIED */
	"not found in Integrify",		/* INTAKE_ENOTFOUND */
	"unexpected reply from Integrify",	/* INTAKE_EPROTO */
	"Integrify sign-in recently failed; retrying shortly",	/* INTAKE_EBACKOFF */
	"shared cache unavailable",		/* INTAKE_ECACHE */
	"Integrify is busy; retrying shortly",	/* INTAKE_EBUSY */
};

INTAKE_ROWS(errors, INTAKE_ERR__MAX);

const char *
intake_strerror(enum intake_err err)
{
	if ((unsigned)err >= INTAKE_ERR__MAX)
		return "unknown error";
	return errors[err];
}
