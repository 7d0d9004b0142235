#!/bin/sh
# The app's body cap (body_max in the example config) must equal nginx's
# client_max_body_size in the shipped site, so nginx refuses first.
set -eu
example=$1
site=$2
app=$(awk -F' *= *' '$1 == "body_max" { print $2 }' "$example")
ngx=$(awk '$1 == "client_max_body_size" { sub(";", "", $2); print $2 }' "$site")
case $ngx in
*k) ngx=$(( ${ngx%k} * 1024 )) ;;
*m) ngx=$(( ${ngx%m} * 1024 * 1024 )) ;;
*g) ngx=$(( ${ngx%g} * 1024 * 1024 * 1024 )) ;;
esac
if [ "$app" != "$ngx" ]; then
	echo "body_max ($app) in $example differs from client_max_body_size ($ngx) in $site"
	exit 1
fi
echo "body cap $app bytes in both"
