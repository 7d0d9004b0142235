/*
 * test_reply.c - the case-blind reply reader, and the search reader's
 * rule: a reference seen in Integrify is never "not found".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"
#include "integrify/reply.h"

#include "t.h"

#define REF	"82AG-EC7N-GBZM"

/* s parsed; NULL (which every reader treats as nothing) when it is not JSON. */
static struct json_object *
parse(const char *s)
{
	struct json_object	*o = NULL;

	if (intake_json_parse(s, strlen(s), &o) != INTAKE_OK)
		return NULL;
	return o;
}

static void
test_reply_key_is_blind_to_case_and_separators(void)
{
	T_ASSERT(intake_reply_key_is("sid", "sid"));
	T_ASSERT(intake_reply_key_is("Sid", "sid"));
	T_ASSERT(intake_reply_key_is("SID", "sid"));
	T_ASSERT(intake_reply_key_is("instance_sid", "instancesid"));
	T_ASSERT(intake_reply_key_is("InstanceSID", "instancesid"));
	T_ASSERT(intake_reply_key_is("instance-Sid", "instancesid"));
	T_ASSERT(!intake_reply_key_is("sids", "sid"));
	T_ASSERT(!intake_reply_key_is("si", "sid"));
	T_ASSERT(!intake_reply_key_is("", "sid"));
	T_ASSERT(!intake_reply_key_is("processSid", "sid"));
}

static void
test_reply_id_reads_every_spelling_as_number_or_string(void)
{
	static const char *const cases[][2] = {
		{ "{\"sid\":\"s-1\",\"id\":7}", "s-1" },
		{ "{\"Sid\":\"s-1\",\"Id\":7}", "s-1" },
		{ "{\"SID\":\"s-1\",\"ID\":\"7\"}", "s-1" },
		{ "{\"instanceSid\":\"s-1\",\"instanceId\":7}", "s-1" },
		{ "{\"instance_sid\":\"s-1\",\"Id\":7.0}", "s-1" },
		{ "{\"sid\":null,\"InstanceSID\":\"s-1\",\"id\":7}", "s-1" },
	};
	struct json_object	*o;
	char			 sid[128], id[64];
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = parse(cases[i][0]);
		T_ASSERT(intake_reply_id(o, INTAKE_REPLY_SID, sid, sizeof(sid)));
		T_EQ_STR(sid, cases[i][1]);
		T_ASSERT(intake_reply_id(o, INTAKE_REPLY_ID, id, sizeof(id)));
		T_EQ_STR(id, "7");
		json_object_put(o);
	}
}

static void
test_reply_id_refuses_what_is_no_id(void)
{
	static const char *const cases[] = {
		"{}", "{\"sid\":\"\"}", "{\"sid\":\"a b\"}", "{\"sid\":true}", "{\"sid\":{}}",
		"{\"sid\":[\"x\"]}", "{\"sid\":1.5}", "{\"processSid\":\"p-1\"}", "[\"sid\"]",
		"{\"sid\":\"a\\u0000b\"}", "{\"sid\":\"\\u00e9\"}",
	};
	struct json_object	*o;
	char			 out[16] = "untouched";
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = parse(cases[i]);
		if (intake_reply_id(o, INTAKE_REPLY_SID, out, sizeof(out)))
			T_FAIL("an id read from %s", cases[i]);
		json_object_put(o);
	}
	T_EQ_STR(out, "untouched");
	/* Too long for the caller's buffer: refused, not cut. */
	o = parse("{\"sid\":\"0123456789abcdef\"}");
	T_ASSERT(!intake_reply_id(o, INTAKE_REPLY_SID, out, sizeof(out)));
	json_object_put(o);
}

static void
test_reply_str_and_member_follow_the_table_order(void)
{
	struct json_object	*o;

	o = parse("{\"processName\":\"B\",\"Name\":\"A\",\"ProcessSID\":\"p\"}");
	T_EQ_STR(intake_reply_str(o, INTAKE_REPLY_PROCESS_NAME), "A");
	T_EQ_STR(intake_reply_str(o, INTAKE_REPLY_PROCESS_SID), "p");
	T_ASSERT(intake_reply_str(o, INTAKE_REPLY_SID) == NULL);
	T_ASSERT(intake_reply_member(o, INTAKE_REPLY_TOKEN) == NULL);
	T_ASSERT(intake_reply_str(NULL, INTAKE_REPLY_NAME) == NULL);
	json_object_put(o);
	o = parse("{\"Access_Token\":\"t\",\"Expires_In\":60}");
	T_EQ_STR(intake_reply_str(o, INTAKE_REPLY_TOKEN), "t");
	T_EQ_INT(json_object_get_int(intake_reply_member(o, INTAKE_REPLY_EXPIRES_IN)), 60);
	json_object_put(o);
}

static void
test_reply_list_in_every_wrapper(void)
{
	static const char *const cases[] = {
		"[1,2]",
		"{\"items\":[1,2]}",
		"{\"Total\":2,\"Items\":[1,2]}",
		"{\"ROWS\":[1,2],\"page\":1}",
		"{\"Data\":[1,2]}",
		"{\"processes\":[1,2]}",
		"{\"data\":{\"Items\":[1,2]}}",
		"{\"total\":2,\"payload\":{\"entries\":[1,2]}}",
		"{\"meta\":{\"n\":2},\"entries\":[1,2]}",
		"{\"a\":{\"b\":{\"c\":{\"records\":[1,2]}}}}",
		"{\"items\":{\"x\":1},\"rows\":[1,2]}",
	};
	struct json_object	*o, *a;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = parse(cases[i]);
		a = intake_reply_list(o);
		if (a == NULL || json_object_array_length(a) != 2)
			T_FAIL("no list of 2 found in %s", cases[i]);
		json_object_put(o);
	}
}

static void
test_reply_list_none(void)
{
	static const char *const cases[] = {
		"{}", "{\"items\":null}", "\"items\"", "42", "{\"data\":\"[1,2]\"}",
		"{\"a\":[1],\"b\":[2]}", "{\"a\":{\"b\":{\"c\":{\"d\":{\"items\":[1]}}}}}",
	};
	struct json_object	*o;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = parse(cases[i]);
		if (intake_reply_list(o) != NULL)
			T_FAIL("a list found in %s", cases[i]);
		json_object_put(o);
	}
	T_ASSERT(intake_reply_list(NULL) == NULL);
}

static void
test_reply_quote_is_bounded_printable_ascii(void)
{
	struct json_object	*o;
	struct intake_buf	 b;
	char			 q[INTAKE_REPLY_QUOTE_MAX];
	size_t			 i;

	o = parse("{\"Name\":\"Z\\u00fcrich \\n \\\\ x\"}");
	intake_reply_quote(o, q);
	T_EQ_STR(q, "{\"Name\":\"Z\\xc3\\xbcrich \\x5cn \\x5c\\x5c x\"}");
	json_object_put(o);
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_buf_adds(&b, "{\"k\":\""), INTAKE_OK);
	for (i = 0; i < 1000; i++)
		T_EQ_INT(intake_buf_addc(&b, (char)('a' + i % 26)), INTAKE_OK);
	T_EQ_INT(intake_buf_adds(&b, "\"}"), INTAKE_OK);
	o = parse(b.ptr);
	intake_reply_quote(o, q);
	T_EQ_INT(strlen(q), INTAKE_REPLY_QUOTE_MAX - 1);
	T_ASSERT(strcmp(q + strlen(q) - 3, "...") == 0);
	json_object_put(o);
	intake_buf_free(&b);
}

/* Search body s for REF. */
static enum intake_err
search(const char *s, struct intake_reply_hit *hit)
{
	return intake_reply_search(s, strlen(s), REF, hit);
}

static void
test_reply_search_pascal_case_reply_is_found(void)
{
	struct intake_reply_hit	hit;

	/* The reply that once started a second request: "Sid" was not read. */
	T_EQ_INT(search("{\"Total\":1,\"Items\":[{\"Sid\":\"6e1d\",\"Id\":2003,"
	    "\"Name\":\"IT Equipment Request (" REF ")\"}]}", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_FOUND);
	T_EQ_STR(hit.sid, "6e1d");
	T_EQ_STR(hit.id, "2003");
}

static void
test_reply_search_match_without_id_is_unreadable_never_none(void)
{
	struct intake_reply_hit	hit;

	T_EQ_INT(search("{\"items\":[{\"Name\":\"IT Request (" REF ")\",\"Id\":2003}]}", &hit),
	    INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_UNREADABLE);
	T_ASSERT(strstr(hit.item, REF) != NULL);
	T_ASSERT(strstr(hit.item, "2003") != NULL);
}

static void
test_reply_search_reference_under_an_unknown_key_counts(void)
{
	struct intake_reply_hit	hit;

	T_EQ_INT(search("[{\"sid\":\"x\",\"Title\":\"" REF "\"}]", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_FOUND);
	T_EQ_INT(search("[{\"sid\":\"x\",\"Detail\":{\"Lines\":[\"ref " REF "\"]}}]", &hit),
	    INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_FOUND);
	T_EQ_STR(hit.sid, "x");
	/* Lower-cased by the other side: still ours. */
	T_EQ_INT(search("[{\"sid\":\"y\",\"name\":\"82ag-ec7n-gbzm\"}]", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_FOUND);
}

static void
test_reply_search_prefers_an_item_with_a_sid(void)
{
	struct intake_reply_hit	hit;

	T_EQ_INT(search("[{\"name\":\"" REF "\"},{\"name\":\"" REF "\",\"SID\":\"s2\"}]", &hit),
	    INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_FOUND);
	T_EQ_STR(hit.sid, "s2");
}

static void
test_reply_search_other_references_are_not_ours(void)
{
	struct intake_reply_hit	hit;

	T_EQ_INT(search("{\"items\":[{\"sid\":\"a\",\"name\":\"Req (82AG-EC7N-GBZ0)\"},"
	    "{\"sid\":\"b\",\"name\":\"Req (82AG-EC7N)\"}]}", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_NONE);
	T_EQ_INT(search("{\"items\":[]}", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_NONE);
	T_EQ_INT(search("[]", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_NONE);
}

static void
test_reply_search_echo_of_the_query_is_not_a_match(void)
{
	struct intake_reply_hit	hit;

	T_EQ_INT(search("{\"search\":\"" REF "\",\"Items\":[]}", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_NONE);
	T_EQ_INT(search("{\"meta\":{\"Query\":\"" REF "\"},\"Items\":[]}", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_NONE);
	/* The same reference under another root key is not an echo. */
	T_EQ_INT(search("{\"last\":\"" REF "\",\"Items\":[]}", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_UNREADABLE);
}

static void
test_reply_search_unparseable_reply_naming_the_reference_is_held(void)
{
	struct intake_reply_hit	hit;

	T_EQ_INT(search("<html>Request " REF " started</html>", &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_UNREADABLE);
	T_ASSERT(strstr(hit.item, REF) != NULL);
	T_EQ_INT(search("<html>nothing</html>", &hit), INTAKE_EPROTO);
	T_EQ_INT(hit.match, INTAKE_REPLY_NONE);
	T_EQ_INT(search("{\"total\":0}", &hit), INTAKE_EPROTO);
	T_EQ_INT(intake_reply_search("[]", 2, "", &hit), INTAKE_EINVAL);
}

/* --- the property test ------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static const char *
pick(const char *const *a, size_t n)
{
	return a[rnd((uint32_t)n)];
}

#define PICK(a)	pick(a, sizeof(a) / sizeof(a[0]))

/* One generated item: what it is, for the oracle. */
struct gen_item {
	bool	named;		/* some string in it holds REF */
	bool	has_sid;
	char	sid[32];
};

static void
gen_item(struct intake_buf *b, size_t k, struct gen_item *g)
{
	static const char *const sids[] = { "sid", "Sid", "SID", "instanceSid", "InstanceSID",
	    "instance_sid", "requestSid" };
	static const char *const ids[] = { "id", "Id", "ID", "instanceId", "request_id" };
	static const char *const names[] = { "name", "Name", "NAME", "requestName",
	    "RequestName", "instance_name", "Title", "Subject" };
	static const char *const others[] = { "82AG-EC7N-GBZ0", "82AG-EC7N", "GBZM",
	    "Something else", "" };
	static const char *const extras[] = {
		",\"Status\":\"Active\"", ",\"processSid\":\"p-9\"", ",\"Links\":[]",
		",\"Meta\":{\"n\":1,\"tags\":[\"a\",\"b\"]}", ",\"Score\":1.5", ",\"Owner\":null",
		",\"Tasks\":[{\"Name\":\"Approve\",\"Sid\":\"t-1\"}]",
	};
	size_t	i, nextra;

	memset(g, 0, sizeof(*g));
	(void)intake_buf_addc(b, '{');
	g->has_sid = rnd(4) != 0;
	if (g->has_sid) {
		(void)snprintf(g->sid, sizeof(g->sid), "sid-%zu", k);
		(void)intake_buf_printf(b, "\"%s\":\"%s\",", PICK(sids), g->sid);
	}
	switch (rnd(3)) {
	case 0:
		(void)intake_buf_printf(b, "\"%s\":%zu,", PICK(ids), 2000 + k);
		break;
	case 1:
		(void)intake_buf_printf(b, "\"%s\":\"%zu\",", PICK(ids), 2000 + k);
		break;
	default:
		break;
	}
	switch (rnd(6)) {
	case 0:
		g->named = true;
		(void)intake_buf_printf(b, "\"%s\":\"%s\"", PICK(names), REF);
		break;
	case 1:
		g->named = true;
		(void)intake_buf_printf(b, "\"%s\":\"IT Request (%s)\"", PICK(names), REF);
		break;
	case 2:
		g->named = true;
		(void)intake_buf_printf(b, "\"%s\":\"%s: IT Request\"", PICK(names), REF);
		break;
	default:
		(void)intake_buf_printf(b, "\"%s\":\"IT Request (%s)\"", PICK(names),
		    PICK(others));
		break;
	}
	nextra = rnd(4);
	for (i = 0; i < nextra; i++)
		(void)intake_buf_adds(b, PICK(extras));
	(void)intake_buf_addc(b, '}');
}

static void
test_reply_search_property_never_none_when_an_item_names_the_reference(void)
{
	static const char *const lists[] = { "items", "Items", "ITEMS", "rows", "Rows", "data",
	    "Data", "results", "Records", "value" };
	struct gen_item		 g[8];
	struct intake_reply_hit	 hit;
	struct intake_buf	 b;
	const char		*want_sid;
	enum intake_reply_match	 want;
	enum intake_err		 err;
	size_t			 iter, n, k, counts[INTAKE_REPLY_MATCH__MAX] = { 0 };
	int			 shape;

	intake_buf_init(&b, 1 << 16);
	for (iter = 0; iter < 20000; iter++) {
		intake_buf_reset(&b);
		shape = (int)rnd(6);
		switch (shape) {
		case 0:		/* a bare array */
			break;
		case 1:		/* under a list key, total first */
			(void)intake_buf_printf(&b, "{\"Total\":3,\"%s\":", PICK(lists));
			break;
		case 2:		/* under a list key, with an echo of the search */
			(void)intake_buf_printf(&b, "{\"search\":\"%s\",\"%s\":", REF, PICK(lists));
			break;
		case 3:		/* a wrapper under another key */
			(void)intake_buf_adds(&b, "{\"total\":3,\"payload\":{\"entries\":");
			break;
		case 4:		/* a list under a wrapper named like a list */
			(void)intake_buf_printf(&b, "{\"Data\":{\"%s\":", PICK(lists));
			break;
		default:	/* an object wrapper with extra fields */
			(void)intake_buf_printf(&b, "{\"page\":1,\"more\":false,\"%s\":",
			    PICK(lists));
			break;
		}
		(void)intake_buf_addc(&b, '[');
		n = rnd(6);
		want = INTAKE_REPLY_NONE;
		want_sid = NULL;
		for (k = 0; k < n; k++) {
			if (k > 0)
				(void)intake_buf_addc(&b, ',');
			gen_item(&b, k, &g[k]);
			if (g[k].named && g[k].has_sid && want_sid == NULL) {
				want = INTAKE_REPLY_FOUND;
				want_sid = g[k].sid;
			} else if (g[k].named && want == INTAKE_REPLY_NONE)
				want = INTAKE_REPLY_UNREADABLE;
		}
		(void)intake_buf_addc(&b, ']');
		if (shape == 3 || shape == 4)
			(void)intake_buf_adds(&b, "}}");
		else if (shape != 0)
			(void)intake_buf_addc(&b, '}');
		T_ASSERT(b.ptr != NULL);
		err = intake_reply_search(b.ptr, b.len, REF, &hit);
		if (err != INTAKE_OK || hit.match != want ||
		    (want_sid != NULL && strcmp(hit.sid, want_sid) != 0)) {
			T_FAIL("reply %s: got %d/%d (sid %s), want %d (sid %s)", b.ptr, (int)err,
			    (int)hit.match, hit.sid, (int)want, want_sid != NULL ? want_sid : "-");
			break;
		}
		counts[hit.match]++;
	}
	/* Every answer was generated often: the property was not tested on one kind only. */
	T_ASSERT(counts[INTAKE_REPLY_NONE] > 1000);
	T_ASSERT(counts[INTAKE_REPLY_FOUND] > 1000);
	T_ASSERT(counts[INTAKE_REPLY_UNREADABLE] > 100);
	intake_buf_free(&b);
}

/* Integrify's reason for a refusal, from each error shape seen or documented. */
static void
test_reply_reason_in_every_error_shape(void)
{
	static const struct { const char *body, *want; } cases[] = {
		/* v8 services (Swagger): message, then the description that says why */
		{ "{\"status\":400,\"message\":\"Bad Request\",\"description\":"
		    "\"unknown question key 'Subject'\"}",
		    "Bad Request: unknown question key 'Subject'" },
		/* v7 */
		{ "{\"error\":\"bad_request\",\"message\":\"unknown field\"}",
		    "bad_request: unknown field" },
		/* OAuth 2 */
		{ "{\"error\":\"invalid_grant\",\"error_description\":\"bad aud\"}",
		    "invalid_grant: bad aud" },
		/* an error object, key case aside */
		{ "{\"Error\":{\"Message\":\"  no\r\n\tsuch   task \"}}", "no such task" },
		/* the same text twice is said once */
		{ "{\"message\":\"Forbidden\",\"description\":\"forbidden\"}", "Forbidden" },
		{ "\"expired token\"", "expired token" },
		{ "Permission to run denied\r\n", "Permission to run denied" },
		{ "{\"status\":400}", "" },
		{ "[]", "" },
		{ "", "" },
	};
	char	out[INTAKE_REPLY_REASON_MAX];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		intake_reply_reason(cases[i].body, strlen(cases[i].body), out);
		T_EQ_STR(out, cases[i].want);
	}
}

/* A long reason is cut to the bound on a character boundary, never inside one. */
static void
test_reply_reason_flood_is_bounded_on_a_character_boundary(void)
{
	char	body[8192], out[INTAKE_REPLY_REASON_MAX];
	size_t	i, n, len;

	/* "ü" is two bytes: start at an odd offset so that a byte cut would split one. */
	for (n = 0; n < 2; n++) {
		len = 0;
		len += (size_t)snprintf(body + len, sizeof(body) - len, "{\"message\":\"%s",
		    n == 0 ? "x" : "");
		for (i = 0; i < 2000; i++) {
			memcpy(body + len, "\xc3\xbc", 2);
			len += 2;
		}
		memcpy(body + len, "\"}", 3);
		len += 2;
		intake_reply_reason(body, len, out);
		T_ASSERT(strlen(out) <= INTAKE_REPLY_REASON_MAX - 1);
		T_ASSERT(strlen(out) > 150);
		T_EQ_STR(out + strlen(out) - 3, "...");
		/* Before the "...": whole characters only. */
		T_EQ_INT((strlen(out) - 3 - (n == 0 ? 1 : 0)) % 2, 0);
		T_EQ_INT((unsigned char)out[strlen(out) - 4], 0xbc);
	}
	/* Bytes that are not JSON at all are bounded the same way. */
	memset(body, 'A', sizeof(body));
	intake_reply_reason(body, sizeof(body), out);
	T_EQ_INT(strlen(out), INTAKE_REPLY_REASON_MAX - 1);
}

int
main(void)
{
	T_RUN(test_reply_key_is_blind_to_case_and_separators);
	T_RUN(test_reply_reason_in_every_error_shape);
	T_RUN(test_reply_reason_flood_is_bounded_on_a_character_boundary);
	T_RUN(test_reply_id_reads_every_spelling_as_number_or_string);
	T_RUN(test_reply_id_refuses_what_is_no_id);
	T_RUN(test_reply_str_and_member_follow_the_table_order);
	T_RUN(test_reply_list_in_every_wrapper);
	T_RUN(test_reply_list_none);
	T_RUN(test_reply_quote_is_bounded_printable_ascii);
	T_RUN(test_reply_search_pascal_case_reply_is_found);
	T_RUN(test_reply_search_match_without_id_is_unreadable_never_none);
	T_RUN(test_reply_search_reference_under_an_unknown_key_counts);
	T_RUN(test_reply_search_prefers_an_item_with_a_sid);
	T_RUN(test_reply_search_other_references_are_not_ours);
	T_RUN(test_reply_search_echo_of_the_query_is_not_a_match);
	T_RUN(test_reply_search_unparseable_reply_naming_the_reference_is_held);
	T_RUN(test_reply_search_property_never_none_when_an_item_names_the_reference);
	return T_DONE();
}
