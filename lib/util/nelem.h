/*
 * nelem.h - the number of rows of a table, and the compile-time check
 * that a table indexed by an enum has exactly one row per value:
 *
 *	static const char *const fetch_names[] = { "csv", "json" };
 *	INTAKE_ROWS(fetch_names, INTAKE_FETCH__MAX);
 *
 * A value added to the enum without its row, or a row too many, stops
 * the build.
 */
#ifndef INTAKE_NELEM_H
#define INTAKE_NELEM_H

#define INTAKE_NELEM(a)		(sizeof(a) / sizeof((a)[0]))
#define INTAKE_ROWS(a, n)	_Static_assert(INTAKE_NELEM(a) == (n), \
				    #a "[] needs one row per value of its enum")

#endif
