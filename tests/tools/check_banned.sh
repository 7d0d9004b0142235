#!/bin/sh
# STYLE rule 18: these calls stay out of lib/ and cgi-bin/.  strtoll is
# allowed in lib/util/str.c only, behind intake_parse_int().
set -eu
src=$1
status=0
pattern='\<(atoi|atol|strtol|sscanf|strcpy|strcat|strncpy|strtok|sprintf|vsprintf|gets|localtime|gmtime|asctime|ctime)[ \t]*\('
if grep -rnE "$pattern" "$src/lib" "$src/cgi-bin" --include='*.c' --include='*.h'; then
	echo "banned function used (see STYLE rule 18)"
	status=1
fi
if grep -rnE '\<strtoll[ \t]*\(' "$src/lib" "$src/cgi-bin" --include='*.c' | grep -v '^'"$src"'/lib/util/str.c:'; then
	echo "strtoll outside lib/util/str.c: use intake_parse_int()"
	status=1
fi
[ "$status" -eq 0 ] && echo "no banned functions"
exit "$status"
