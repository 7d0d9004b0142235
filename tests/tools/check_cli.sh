#!/usr/bin/env bash
# check_cli.sh INTAKE INTAKE_SPOOL VERSION - --help and --version (and -h, -v)
# print to stdout and exit 0, nothing on stderr; a wrong option prints usage
# on stderr and exits 2.
set -u
intake=$1 spool=$2 version=$3
fail=0
for bin in "$intake" "$spool"; do
	name=$(basename "$bin")
	for opt in --help -h; do
		out=$("$bin" "$opt" 2>/tmp/check_cli.$$) ; rc=$?
		if [[ $rc -ne 0 || $out != usage:* || -s /tmp/check_cli.$$ ]]; then
			echo "FAIL: $name $opt: exit $rc, stdout '${out:0:40}', stderr '$(cat /tmp/check_cli.$$)'"
			fail=1
		fi
	done
	for opt in --version -v; do
		out=$("$bin" "$opt" 2>/tmp/check_cli.$$) ; rc=$?
		if [[ $rc -ne 0 || $out != "$name $version" || -s /tmp/check_cli.$$ ]]; then
			echo "FAIL: $name $opt: exit $rc, stdout '$out'"
			fail=1
		fi
	done
	out=$("$bin" --no-such-option 2>/tmp/check_cli.$$) ; rc=$?
	if [[ $rc -ne 2 || -n $out ]] || ! grep -q '^usage:' /tmp/check_cli.$$; then
		echo "FAIL: $name --no-such-option: exit $rc (want 2, usage on stderr)"
		fail=1
	fi
done
rm -f /tmp/check_cli.$$
[[ $fail -eq 0 ]] && echo "intake and intake-spool: --help and --version on stdout, exit 0"
exit $fail
