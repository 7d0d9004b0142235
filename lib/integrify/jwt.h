/*
 * jwt.h - the two JWT operations intake needs: sign an HS256 assertion
 * (v7 JWT bearer grant) and read the "exp" claim of a token Integrify
 * issued (v8).  Signatures of issued tokens are not checked: intake is
 * their bearer, not their audience.
 */
#ifndef INTAKE_JWT_H
#define INTAKE_JWT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Append "header.payload.signature" for payload_json signed with secret. */
enum intake_err	intake_jwt_sign_hs256(struct intake_buf *out, const char *secret,
		    const char *payload_json);

/*
 * Read the numeric "exp" claim of a compact JWT of len bytes.
 * INTAKE_OK with *found false when it is not a JWT or has no usable exp.
 */
enum intake_err	intake_jwt_exp(const char *jwt, size_t len, bool *found, long long *exp);

#endif
