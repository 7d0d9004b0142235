#!/bin/sh
# usage: check_conf_doc.sh BIN EXAMPLE [README]
#        check_conf_doc.sh --forms BIN FORMS_README
# Every key the code knows (intake --keys) must be documented in the
# example config, as "key = value" under its [section], and, when a README is
# given, in its reference table as `key`.  Named sections and filter keys are
# listed as "source:NAME.report", "source:NAME.filter.NAME" and
# "source:NAME.check.NAME"; any section
# or filter name matches.  Fails naming the key.
set -eu
if [ "$1" = --forms ]; then
	# Form definition keys: each must be in the forms README's tables, as `key`.
	missing=0
	for full in $("$2" --form-keys); do
		key=${full#*.}
		if ! grep -q "^| \`$key\` |" "$3"; then
			echo "form key not documented in $3: $full"
			missing=1
		fi
	done
	[ "$missing" -eq 0 ] && echo "all $("$2" --form-keys | wc -l) form keys documented"
	exit "$missing"
fi
bin=$1
example=$2
readme=${3:-}
missing=0
keys=$("$bin" --keys)
for full in $keys; do
	section=${full%%.*}
	key=${full#*.}
	# NAME stands for any name: turn both into regular expressions.
	secre=$(printf '%s' "$section" | sed 's/NAME/[a-z0-9_-]+/')
	keyre=$(printf '%s' "$key" | sed 's/\./\\./; s/NAME/[a-z0-9_-]+/')
	if ! awk -v s="^\\\\[$secre\\\\]\$" -v k="^#? ?$keyre[ \t]*=" '
		/^\[/ { cur = $0; next }
		cur ~ s && $0 ~ k { found = 1 }
		END { exit !found }' "$example"; then
		echo "undocumented config key: [$section] $key (add it to $example)"
		missing=1
	fi
	if [ -n "$readme" ] && ! grep -q "\`$key\`" "$readme"; then
		echo "config key missing from the README's reference: [$section] $key"
		missing=1
	fi
done
# And the example names no key the code does not know.
awk '/^\[/ { sec = substr($0, 2, length($0) - 2); sub(/:.*/, ":NAME", sec); next }
     /^[a-z_.]+[ \t]*=/ { sub(/[ \t]*=.*/, ""); sub(/^filter\..*/, "filter.NAME"); sub(/^check\..*/, "check.NAME"); print sec "." $0 }' \
    "$example" |
while read -r full; do
	if ! printf '%s\n' "$keys" | grep -qxF "$full"; then
		echo "example documents unknown key: $full"
		exit 1
	fi
done || missing=1
[ "$missing" -eq 0 ] && echo "all $(printf '%s\n' "$keys" | wc -l) config keys documented"
exit "$missing"
