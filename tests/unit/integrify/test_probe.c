/*
 * test_probe.c - what the probe's token line reports: the token reply's
 * shape, which must never echo the token.
 */
#include <string.h>

#include "integrify/auth.h"

#include "t.h"

static void
test_token_reply_shape_never_echoes_the_token(void)
{
	const char *jwt = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln";
	const char *shape;

	T_EQ_STR(intake_auth_shape("{\"token\":\"abc\"}", 15),
	    "a JSON object with a token member");
	T_EQ_STR(intake_auth_shape("{\"access_token\":\"abc\",\"expires_in\":3}", 37),
	    "a JSON object with a token member");
	T_EQ_STR(intake_auth_shape("\"abc\"", 5), "a JSON string");
	shape = intake_auth_shape(jwt, strlen(jwt));
	T_EQ_STR(shape, "bare text");
	T_NOT_CONTAINS(shape, "eyJ");
	T_EQ_STR(intake_auth_shape("  {\"error\":\"no\"}", 16), "a JSON object without a token");
	T_EQ_STR(intake_auth_shape("{broken", 7), "not JSON");
}

int
main(void)
{
	T_RUN(test_token_reply_shape_never_echoes_the_token);
	return T_DONE();
}
