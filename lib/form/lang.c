/*
 * lang.c - the message catalogs and the choice of a page's language (see
 * lang.h).  One table per language, indexed by enum intake_msg; a unit
 * test checks every entry is there, non-empty, with English's "%s".
 */
#include <string.h>

#include "form/lang.h"
#include "util/nelem.h"

static const char *const codes[] = {
	"en",		/* INTAKE_LANG_EN */
	"de",		/* INTAKE_LANG_DE */
};
INTAKE_ROWS(codes, INTAKE_LANG__MAX);

static const char *const english[] = {
	"Please fill in this field.",					/* FE_REQUIRED */
	"This is shorter than allowed.",				/* FE_TOO_SHORT */
	"This is longer than allowed.",					/* FE_TOO_LONG */
	"This does not have the expected format.",			/* FE_PATTERN */
	"Enter an email address such as name@example.com.",		/* FE_EMAIL */
	"Enter a whole number.",					/* FE_NUMBER */
	"Enter a date as YYYY-MM-DD.",					/* FE_DATE */
	"This value is outside the allowed range.",			/* FE_RANGE */
	"Choose one of the listed options.",				/* FE_NOT_OFFERED */
	"This contains characters that are not allowed.",		/* FE_ENCODING */
	"Only one value is allowed here.",				/* FE_TOO_MANY */
	"This form has no such field.",					/* FE_UNKNOWN */
	"The file is larger than allowed.",				/* FE_FILE_TOO_LARGE */
	"There is no such date.",					/* FE_NO_SUCH_DATE */
	"This number is not one of the allowed steps.",			/* FE_STEP */
	"This type of file is not accepted here.",			/* FE_FILE_TYPE */
	"This value is not valid.",					/* FE_INVALID */
	"There is no %s %s %s.",					/* NO_SUCH_DAY */
	"There is no month %s.",					/* NO_SUCH_MONTH */
	"Enter a number with at most %s decimals.",			/* DECIMALS */
	"Enter a number in steps of %s.",				/* STEP */
	"Enter a number in steps of %s from %s.",			/* STEP_FROM */
	"The file is larger than %s.",					/* FILE_SIZE */
	"Attach a file of one of these types: %s.",			/* FILE_NAME */
	"The file's content is not of the type its name says (accepted: %s).",	/* FILE_CONTENT */
	"January", "February", "March", "April", "May", "June", "July",	/* MONTH_1.. */
	"August", "September", "October", "November", "December",
	"Error: ",							/* ERROR_TITLE */
	"Please correct the following",					/* CORRECT */
	"Fields marked",						/* LEGEND_BEFORE */
	"with an asterisk",						/* LEGEND_HIDDEN */
	"are required.",						/* LEGEND_AFTER */
	"Choose…",							/* CHOOSE */
	"Submit request",						/* SUBMIT */
	"Busy",								/* BUSY */
	"This form cannot be shown just now. Please try again in a moment.",	/* BUSY_TEXT */
	"Unavailable",							/* UNAVAILABLE */
	"This form is unavailable right now. Please try again in a few minutes.",
	"Send another request",						/* SEND_ANOTHER */
	"Back to the form",						/* BACK */
	"Request sent",							/* SENT */
	"Request received",						/* RECEIVED */
	"Thank you. Your request was sent to the service desk as request %s. Your "
	    "reference is %s. Keep it to ask about your request.",	/* SENT_ID_TEXT */
	"Thank you. Your request was sent to the service desk. Your reference is %s. "
	    "Keep it to ask about your request.",			/* SENT_TEXT */
	"Thank you. Your request was received and will be sent to the service desk "
	    "shortly. Your reference is %s. Keep it to ask about your request.",	/* QUEUED_TEXT */
	"Thank you. Your request was received, and a member of staff will pass it on. "
	    "Your reference is %s. Keep it to ask about your request.",	/* HELD_TEXT */
	"No receipt",							/* NO_RECEIPT */
	"There is no request with this reference here.",		/* NO_RECEIPT_TEXT */
	"This receipt link is not valid.",				/* BAD_RECEIPT_TEXT */
	"Could not reach the server; your answers are kept, please try again.",	/* UNREACHABLE */
	"Your request could not be sent (HTTP %s). Your answers are kept; please try again.",
	"You can send again in %s seconds.",				/* SEND_AGAIN */
	"No matches",							/* NO_MATCHES */
	"%s results",							/* RESULTS */

	"Too large",							/* TOO_LARGE */
	"What you sent is too large.",					/* TOO_LARGE_TEXT */
	"What you sent has too many fields.",				/* TOO_MANY_FIELDS_TEXT */
	"Not understood",						/* NOT_UNDERSTOOD */
	"What you sent could not be read.",				/* NOT_UNDERSTOOD_TEXT */
	"Expired",							/* EXPIRED */
	"This form has no token. Please reload the form and send it again.",	/* NO_TOKEN_TEXT */
	"This form has expired. Please reload it and send it again.",	/* EXPIRED_TEXT */
	"Not allowed",							/* NOT_ALLOWED */
	"This form can only be sent from its own page.",		/* FOREIGN_ORIGIN_TEXT */
	"Too many requests",						/* TOO_MANY_REQUESTS */
	"Too many requests were sent from here. Please wait a minute and try again.",
	"Too many requests were sent from here. Please wait and try again.",	/* RATE_JSON */
	"Your request could not be accepted just now. Your answers are kept below; "
	    "please try again in a minute.",				/* NOT_ACCEPTED_TEXT */
	"Your request could not be accepted right now. Please try again in a minute.",
};
INTAKE_ROWS(english, INTAKE_MSG__MAX);

static const char *const german[] = {
	"Bitte füllen Sie dieses Feld aus.",				/* FE_REQUIRED */
	"Dies ist kürzer als erlaubt.",					/* FE_TOO_SHORT */
	"Dies ist länger als erlaubt.",					/* FE_TOO_LONG */
	"Dies hat nicht das erwartete Format.",				/* FE_PATTERN */
	"Geben Sie eine E-Mail-Adresse wie name@example.com ein.",	/* FE_EMAIL */
	"Geben Sie eine ganze Zahl ein.",				/* FE_NUMBER */
	"Geben Sie ein Datum als JJJJ-MM-TT ein.",			/* FE_DATE */
	"Dieser Wert liegt außerhalb des erlaubten Bereichs.",		/* FE_RANGE */
	"Wählen Sie eine der angebotenen Optionen.",			/* FE_NOT_OFFERED */
	"Dies enthält Zeichen, die nicht erlaubt sind.",		/* FE_ENCODING */
	"Hier ist nur ein Wert erlaubt.",				/* FE_TOO_MANY */
	"Dieses Formular hat kein solches Feld.",			/* FE_UNKNOWN */
	"Die Datei ist größer als erlaubt.",				/* FE_FILE_TOO_LARGE */
	"Dieses Datum gibt es nicht.",					/* FE_NO_SUCH_DATE */
	"Diese Zahl entspricht keiner der erlaubten Stufen.",		/* FE_STEP */
	"Dieser Dateityp wird hier nicht angenommen.",			/* FE_FILE_TYPE */
	"Dieser Wert ist nicht gültig.",				/* FE_INVALID */
	"Den %s. %s %s gibt es nicht.",					/* NO_SUCH_DAY */
	"Den Monat %s gibt es nicht.",					/* NO_SUCH_MONTH */
	"Geben Sie eine Zahl mit höchstens %s Nachkommastellen ein.",	/* DECIMALS */
	"Geben Sie eine Zahl in Schritten von %s ein.",			/* STEP */
	"Geben Sie eine Zahl in Schritten von %s ab %s ein.",		/* STEP_FROM */
	"Die Datei ist größer als %s.",					/* FILE_SIZE */
	"Hängen Sie eine Datei eines dieser Typen an: %s.",		/* FILE_NAME */
	"Der Inhalt der Datei passt nicht zum Typ, den ihr Name angibt (angenommen: %s).",
	"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",	/* MONTH_1.. */
	"August", "September", "Oktober", "November", "Dezember",
	"Fehler: ",							/* ERROR_TITLE */
	"Bitte korrigieren Sie Folgendes",				/* CORRECT */
	"Felder mit",							/* LEGEND_BEFORE */
	"einem Sternchen",						/* LEGEND_HIDDEN */
	"sind Pflichtfelder.",						/* LEGEND_AFTER */
	"Bitte wählen…",						/* CHOOSE */
	"Anfrage senden",						/* SUBMIT */
	"Ausgelastet",							/* BUSY */
	"Dieses Formular kann gerade nicht angezeigt werden. Bitte versuchen Sie es gleich "
	    "noch einmal.",						/* BUSY_TEXT */
	"Nicht verfügbar",						/* UNAVAILABLE */
	"Dieses Formular ist gerade nicht verfügbar. Bitte versuchen Sie es in einigen "
	    "Minuten noch einmal.",					/* UNAVAILABLE_TEXT */
	"Weitere Anfrage senden",					/* SEND_ANOTHER */
	"Zurück zum Formular",						/* BACK */
	"Anfrage gesendet",						/* SENT */
	"Anfrage erhalten",						/* RECEIVED */
	"Vielen Dank. Ihre Anfrage wurde als Anfrage %s an den Service Desk gesendet. Ihre "
	    "Referenz ist %s. Bewahren Sie sie auf, um nach Ihrer Anfrage zu fragen.",
	"Vielen Dank. Ihre Anfrage wurde an den Service Desk gesendet. Ihre Referenz ist %s. "
	    "Bewahren Sie sie auf, um nach Ihrer Anfrage zu fragen.",	/* SENT_TEXT */
	"Vielen Dank. Ihre Anfrage wurde erhalten und wird in Kürze an den Service Desk "
	    "gesendet. Ihre Referenz ist %s. Bewahren Sie sie auf, um nach Ihrer Anfrage zu "
	    "fragen.",							/* QUEUED_TEXT */
	"Vielen Dank. Ihre Anfrage wurde erhalten; eine Mitarbeiterin oder ein Mitarbeiter "
	    "leitet sie weiter. Ihre Referenz ist %s. Bewahren Sie sie auf, um nach Ihrer "
	    "Anfrage zu fragen.",					/* HELD_TEXT */
	"Keine Bestätigung",						/* NO_RECEIPT */
	"Hier gibt es keine Anfrage mit dieser Referenz.",		/* NO_RECEIPT_TEXT */
	"Dieser Bestätigungslink ist nicht gültig.",			/* BAD_RECEIPT_TEXT */
	"Der Server war nicht erreichbar; Ihre Angaben bleiben erhalten, bitte versuchen Sie "
	    "es noch einmal.",						/* UNREACHABLE */
	"Ihre Anfrage konnte nicht gesendet werden (HTTP %s). Ihre Angaben bleiben erhalten; "
	    "bitte versuchen Sie es noch einmal.",			/* NOT_SENT */
	"Sie können in %s Sekunden wieder senden.",			/* SEND_AGAIN */
	"Keine Treffer",						/* NO_MATCHES */
	"%s Ergebnisse",						/* RESULTS */

	"Zu groß",							/* TOO_LARGE */
	"Was Sie gesendet haben, ist zu groß.",				/* TOO_LARGE_TEXT */
	"Was Sie gesendet haben, hat zu viele Felder.",			/* TOO_MANY_FIELDS_TEXT */
	"Nicht verstanden",						/* NOT_UNDERSTOOD */
	"Was Sie gesendet haben, konnte nicht gelesen werden.",		/* NOT_UNDERSTOOD_TEXT */
	"Abgelaufen",							/* EXPIRED */
	"Dieses Formular hat kein Token. Bitte laden Sie das Formular neu und senden Sie "
	    "es noch einmal.",						/* NO_TOKEN_TEXT */
	"Dieses Formular ist abgelaufen. Bitte laden Sie es neu und senden Sie es noch "
	    "einmal.",							/* EXPIRED_TEXT */
	"Nicht erlaubt",						/* NOT_ALLOWED */
	"Dieses Formular kann nur von seiner eigenen Seite gesendet werden.",	/* FOREIGN_ORIGIN_TEXT */
	"Zu viele Anfragen",						/* TOO_MANY_REQUESTS */
	"Von hier wurden zu viele Anfragen gesendet. Bitte warten Sie eine Minute und "
	    "versuchen Sie es noch einmal.",				/* RATE_TEXT */
	"Von hier wurden zu viele Anfragen gesendet. Bitte warten Sie und versuchen Sie es "
	    "noch einmal.",						/* RATE_JSON */
	"Ihre Anfrage konnte gerade nicht angenommen werden. Ihre Angaben bleiben unten "
	    "erhalten; bitte versuchen Sie es in einer Minute noch einmal.",	/* NOT_ACCEPTED_TEXT */
	"Ihre Anfrage konnte gerade nicht angenommen werden. Bitte versuchen Sie es in einer "
	    "Minute noch einmal.",					/* NOT_ACCEPTED_JSON */
};
INTAKE_ROWS(german, INTAKE_MSG__MAX);

static const char *const *const catalogs[] = {
	english,	/* INTAKE_LANG_EN */
	german,		/* INTAKE_LANG_DE */
};
INTAKE_ROWS(catalogs, INTAKE_LANG__MAX);

const char *
intake_lang_code(enum intake_lang lang)
{
	return (unsigned)lang < INTAKE_LANG__MAX ? codes[lang] : codes[INTAKE_LANG_EN];
}

const char *
intake_msg(enum intake_lang lang, enum intake_msg m)
{
	if ((unsigned)m >= INTAKE_MSG__MAX)
		m = INTAKE_MSG_FE_INVALID;
	return catalogs[(unsigned)lang < INTAKE_LANG__MAX ? lang : INTAKE_LANG_EN][m];
}

bool
intake_lang_of_tag(const char *tag, size_t len, enum intake_lang *out)
{
	size_t	n = 0, l;

	while (n < len && tag[n] != '-')
		n++;
	for (l = 0; l < INTAKE_LANG__MAX; l++)
		if (n == strlen(codes[l]) && ((tag[0] | 0x20) == codes[l][0]) &&
		    ((tag[1] | 0x20) == codes[l][1])) {
			*out = (enum intake_lang)l;
			return true;
		}
	return false;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Skip spaces and tabs from *i up to n. */
static void
ows(const char *h, size_t n, size_t *i)
{
	while (*i < n && (h[*i] == ' ' || h[*i] == '\t'))
		(*i)++;
}

/*
 * The weight of ";q=..." at h[*i] (RFC 9110 qvalue, 0 to 1000), 1000
 * when there is none; -1 when the element does not parse.  *i ends at the
 * element's end (a comma, or n).
 */
static int
weight(const char *h, size_t n, size_t *i)
{
	int	q = 1000, digits = 0, scale = 100;

	ows(h, n, i);
	if (*i == n || h[*i] == ',')
		return q;
	if (h[*i] != ';')
		return -1;
	(*i)++;
	ows(h, n, i);
	if (n - *i < 3 || (h[*i] | 0x20) != 'q' || h[*i + 1] != '=' ||
	    (h[*i + 2] != '0' && h[*i + 2] != '1'))
		return -1;
	q = (h[*i + 2] - '0') * 1000;
	*i += 3;
	if (*i < n && h[*i] == '.')
		for ((*i)++; *i < n && h[*i] >= '0' && h[*i] <= '9' && digits < 3; (*i)++, digits++) {
			q += (h[*i] - '0') * scale;
			scale /= 10;
		}
	ows(h, n, i);
	if (q > 1000 || (*i < n && h[*i] != ','))
		return -1;
	return q;
}

enum intake_lang
intake_lang_accept(const char *h)
{
	enum intake_lang	best = INTAKE_LANG_EN, l;
	size_t			n, i = 0, start, end;
	int			bestq = 0, q;

	if (h == NULL)
		return best;
	n = strnlen(h, INTAKE_ACCEPT_LANGUAGE_MAX);
	while (i < n) {
		ows(h, n, &i);
		start = i;
		while (i < n && (is_alnum(h[i]) || h[i] == '-' || h[i] == '*'))
			i++;
		end = i;
		q = weight(h, n, &i);
		if (q > bestq && end > start && intake_lang_of_tag(h + start, end - start, &l)) {
			best = l;
			bestq = q;
		}
		if (q < 0)	/* an element that does not parse: skip to the next */
			while (i < n && h[i] != ',')
				i++;
		if (i < n)
			i++;	/* the comma */
	}
	return best;
}
