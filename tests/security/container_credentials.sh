#!/usr/bin/env bash
# Issue 13, finding 2: the container credentials URL is checked as libcurl
# reads it. "http://localhost:80@<other host>/" is user "localhost" at the
# other host; it passed a pattern match and curl sent the authorization
# token there. The other host here is a listener in a network namespace of
# the test's own; it must receive nothing.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'netns_down; [ -n "${local_pid:-}" ] && kill "$local_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
if ! netns_up || ! netns_listen "$tmp/other.log"; then
    tap_skip "cannot make a network namespace (needs root and ip)"; tap_done; exit 0
fi
other=$NETNS_ADDR:$NETNS_PORT
TOKEN=container-auth-token-$$

# creds VAR=VALUE...: fetches credentials with only these variables; sets out, rc.
creds() {
    out=$(env -i PATH="$PATH" HOME="$tmp" AWS_CONFIG_FILE="$tmp/none" AWS_SHARED_CREDENTIALS_FILE="$tmp/none" \
        AWS_EC2_METADATA_DISABLED=true AWS_CONTAINER_AUTHORIZATION_TOKEN="$TOKEN" "$@" \
        "$FGRUN" -e 'local c = require("aws.transport.credentials")
                     print(c.get():access_key_id(), c.source())' 2>&1); rc=$?
}

# The control: the listener is reachable from here, so silence means refusal.
curl -s -o /dev/null --max-time 5 "http://$other/probe"
expect_match "control: the namespace's listener answers from this side" '"path": "/probe"' "$(cat "$tmp/other.log")"

creds AWS_CONTAINER_CREDENTIALS_FULL_URI="http://localhost:80@$other/creds"
expect_eq "user-info URL (http://localhost:80@other/): refused" "1" "$rc"
expect_match "  the message says why" "has a user name or password before the host \\(user@host\\)" "$out"
creds AWS_CONTAINER_CREDENTIALS_FULL_URI="https://localhost@$other/creds"
expect_match "user-info in an https URL: refused too" "has a user name or password" "$out"
creds AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="@$other/creds"
expect_match "a relative URI that makes user-info of 169.254.170.2: refused" "RELATIVE_URI.*has a user name or password" "$out"
creds AWS_CONTAINER_CREDENTIALS_FULL_URI="http://$other/creds"
expect_match "plain http to a host that is not loopback: refused" "is http to $NETNS_ADDR \\($NETNS_ADDR\\), which is neither loopback" "$out"

# A name that resolves to the other host: checked after resolving. The name
# is given to fgrun alone, through a hosts file in a mount namespace.
printf '127.0.0.1 localhost\n%s creds.fgsec.test\n' "$NETNS_ADDR" >"$tmp/hosts"
out=$(unshare --mount sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$tmp/hosts" \
    env -i PATH="$PATH" HOME="$tmp" AWS_CONFIG_FILE="$tmp/none" AWS_SHARED_CREDENTIALS_FILE="$tmp/none" \
    AWS_EC2_METADATA_DISABLED=true AWS_CONTAINER_AUTHORIZATION_TOKEN="$TOKEN" \
    AWS_CONTAINER_CREDENTIALS_FULL_URI="http://creds.fgsec.test:$NETNS_PORT/creds" \
    "$FGRUN" -e 'print(require("aws.transport.credentials").get())' 2>&1)
expect_match "a name that resolves to the other host: refused after resolving" "is http to creds.fgsec.test \\($NETNS_ADDR\\)" "$out"

expect_eq "the other host received nothing but the control probe" "/probe" \
    "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["path"] for l in open(sys.argv[1])))' "$tmp/other.log")"
expect_eq "  and never the token" "0" "$(grep -c "$TOKEN" "$tmp/other.log")"

# What stays allowed: loopback by name, the connection made to the checked
# address with the name in the Host header.
python3 "$here/../lib/fake_server.py" listen 127.0.0.1 0 "$tmp/local.log" "$tmp/local.port" &
local_pid=$!
for _ in $(seq 1 50); do [ -s "$tmp/local.port" ] && break; sleep 0.1; done
port=$(cat "$tmp/local.port")
creds AWS_CONTAINER_CREDENTIALS_FULL_URI="http://localhost:$port/creds?x=1"
expect_match "http://localhost:PORT/ is allowed and used" "^ASIALISTENER	container credentials \\(http://localhost:$port/creds\\?x=1\\)" "$out"
req=$(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(r["path"], r["host"], r["authorization"])' "$tmp/local.log")
expect_eq "  the request: path, Host header and token as configured" "/creds?x=1 localhost:$port $TOKEN" "$req"
tap_done
