/*
 * value.h - one submitted field's value(s), or its file: what validation
 * produces, the spool keeps and a start sends.  Header only: the type
 * lives with the forms, below everything that carries it.
 */
#ifndef INTAKE_FORM_VALUE_H
#define INTAKE_FORM_VALUE_H

#include <stddef.h>

#include "form/form.h"

#define INTAKE_FORM_VALUES_MAX	64	/* values of one multi-value field */
/* The name this bound had while the type lived in integrify/reqstart.h. */
#define INTAKE_REQSTART_VALUES_MAX	INTAKE_FORM_VALUES_MAX

/*
 * One field's validated value(s), or its file.  Every pointer is
 * borrowed (from the request's arena or a decoded spool record).
 */
struct intake_form_value {
	const struct intake_field	*field;
	const char			*values[INTAKE_FORM_VALUES_MAX];
	size_t				 nvalues;	/* 0: left empty */
	const char			*file_name;	/* file fields: NULL when none */
	const char			*file_type;	/* its Content-Type, "" if unknown */
	const void			*file_data;
	size_t				 file_len;
};

#endif
