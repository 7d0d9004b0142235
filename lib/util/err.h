/*
 * err.h - the one error vocabulary of intake.
 *
 * Every fallible function returns enum intake_err; INTAKE_OK is zero.
 * Out-parameters are written only when INTAKE_OK is returned.
 */
#ifndef INTAKE_ERR_H
#define INTAKE_ERR_H

enum intake_err {
	INTAKE_OK = 0,		/* success (a cache miss is a success too) */
	INTAKE_ENOMEM,		/* allocation failed */
	INTAKE_ESYS,		/* a system call failed; errno was logged at the leaf */
	INTAKE_ECONFIG,		/* the configuration is invalid */
	INTAKE_EINVAL,		/* malformed input */
	INTAKE_ETOOBIG,		/* input or reply over its cap */
	INTAKE_ETIMEOUT,	/* a wait or an upstream call timed out */
	INTAKE_EUPSTREAM,	/* Integrify unreachable or answered 5xx/429 */
	INTAKE_EAUTH,		/* Integrify refused the service account or its token */
	INTAKE_EDENIED,		/* Integrify answered 403: no permission */
	INTAKE_ENOTFOUND,	/* Integrify answered 404 */
	INTAKE_EPROTO,		/* Integrify's reply could not be understood */
	INTAKE_EBACKOFF,	/* a recent token fetch failed; not retried yet */
	INTAKE_ECACHE,		/* the shared cache is full or unusable */
	INTAKE_EBUSY,		/* every upstream slot is in use (or a wait ran out): later */
	INTAKE_ERR__MAX
};

/* A short, stable, secret-free description of err; never NULL. */
const char *intake_strerror(enum intake_err err);

#endif
