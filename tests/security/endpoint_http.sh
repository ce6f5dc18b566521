#!/usr/bin/env bash
# Issue 13, finding 7: an http:// endpoint override to another machine
# would carry the session token in clear, silently. It is refused with the
# reason unless FGRUN_ALLOW_HTTP_ENDPOINT=1 (or the client option
# allow_http_endpoint); loopback stays allowed. The other machine is a
# listener in a network namespace of the test's own.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
tmp=$(mktemp -d)
trap 'netns_down; rm -rf "$tmp"' EXIT
if ! netns_up || ! netns_listen "$tmp/other.log" 0; then
    tap_skip "cannot make a network namespace (needs root and ip)"; tap_done; exit 0
fi
other=http://$NETNS_ADDR:$NETNS_PORT
TOKEN=session-token-$$
export AWS_ACCESS_KEY_ID=ASIATESTING AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=$TOKEN
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
unset FGRUN_ALLOW_HTTP_ENDPOINT
call='require("aws").sts.get_caller_identity{}'

out=$(AWS_ENDPOINT_URL=$other "$FGRUN" -e "$call" 2>&1); rc=$?
expect_eq "AWS_ENDPOINT_URL=http://<other host>: exit 1" "1" "$rc"
expect_match "  the message says why and how to opt in" "is plain http to $NETNS_ADDR .*which is not this machine: the session token .* unencrypted.*FGRUN_ALLOW_HTTP_ENDPOINT=1" "$out"
out=$("$FGRUN" -e "require('aws').client('sts', { endpoint_url = '$other' }).get_caller_identity{}" 2>&1)
expect_match "the endpoint_url client option: refused too" "\\(endpoint_url option\\) is plain http" "$out"
out=$(AWS_ENDPOINT_URL_STS=$other "$FGRUN" -e "$call" 2>&1)
expect_match "AWS_ENDPOINT_URL_STS: refused too" "\\(AWS_ENDPOINT_URL_STS\\) is plain http" "$out"
expect_eq "the other host received nothing" "0" "$(wc -l <"$tmp/other.log")"

# The opt-ins, named for what they do: the request goes (the listener is
# reachable, so the silence above was the refusal).
AWS_ENDPOINT_URL=$other FGRUN_ALLOW_HTTP_ENDPOINT=1 "$FGRUN" -e "pcall(function() $call end)" >/dev/null 2>&1
expect_eq "FGRUN_ALLOW_HTTP_ENDPOINT=1: the request is sent" "1" "$(wc -l <"$tmp/other.log")"
"$FGRUN" -e "pcall(require('aws').client('sts', { endpoint_url = '$other', allow_http_endpoint = true }).get_caller_identity, {})" >/dev/null 2>&1
expect_eq "allow_http_endpoint = true: the request is sent" "2" "$(wc -l <"$tmp/other.log")"

# The credential chain's own calls follow the same rule: STS
# AssumeRoleWithWebIdentity (the token would cross in clear) and IAM
# Identity Center's portal (the cached access token would).
printf 'web-identity-token-%s' $$ >"$tmp/web-token"
mkdir -p "$tmp/home/.aws/sso/cache"
printf '[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Deployer\nregion = us-east-1\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n' \
    >"$tmp/home/.aws/config"
sso_cache=$tmp/home/.aws/sso/cache/$(printf corp | sha1sum | cut -d' ' -f1).json
printf '{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "sso-token-%s", "expiresAt": "2099-01-01T00:00:00Z"}' $$ \
    >"$sso_cache"
web_identity() {
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME="$tmp/home" \
        AWS_CONFIG_FILE="$tmp/home/.aws/none" AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/web-token" \
        AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci AWS_ENDPOINT_URL_STS=$other "$@"
}
sso() {
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME="$tmp/home" \
        AWS_CONFIG_FILE="$tmp/home/.aws/config" AWS_PROFILE=dev AWS_ENDPOINT_URL_SSO=$other "$@"
}
out=$(web_identity "$FGRUN" -e "require('aws.transport.credentials').get()" 2>&1)
expect_match "web identity with AWS_ENDPOINT_URL_STS=http://<other host>: refused" \
    "\(AWS_ENDPOINT_URL_STS\) is plain http to $NETNS_ADDR" "$out"
out=$(sso "$FGRUN" -e "require('aws.transport.credentials').get()" 2>&1)
expect_match "IAM Identity Center with AWS_ENDPOINT_URL_SSO=http://<other host>: refused" \
    "\(AWS_ENDPOINT_URL_SSO\) is plain http to $NETNS_ADDR" "$out"
expect_eq "  the other host received nothing" "2" "$(wc -l <"$tmp/other.log")"
web_identity env FGRUN_ALLOW_HTTP_ENDPOINT=1 "$FGRUN" -e "pcall(require('aws.transport.credentials').get)" >/dev/null 2>&1
sso env FGRUN_ALLOW_HTTP_ENDPOINT=1 "$FGRUN" -e "pcall(require('aws.transport.credentials').get)" >/dev/null 2>&1
expect_eq "  FGRUN_ALLOW_HTTP_ENDPOINT=1 lets both through" "4" "$(wc -l <"$tmp/other.log")"

# Loopback stays allowed, by address or by name; https anywhere is not refused.
out=$(AWS_ENDPOINT_URL=http://localhost:9 "$FGRUN" -e "$call" 2>&1)
expect_match "http://localhost: allowed (the call is tried: nothing listens on port 9)" "ConnectionError" "$out"
out=$(AWS_ENDPOINT_URL=http://127.0.0.2:9 "$FGRUN" -e "$call" 2>&1)
expect_match "http://127.0.0.2 (loopback): allowed" "ConnectionError" "$out"
out=$(AWS_ENDPOINT_URL=http://user:pw@127.0.0.1:9 "$FGRUN" -e "$call" 2>&1)
expect_match "user-info in an endpoint URL: refused" "has a user name or password before the host" "$out"
tap_done
