#!/usr/bin/env bash
# Issue 13, finding 3: -vv prints no value the service models mark
# sensitive, in requests or answers, whatever the field is called; nor
# Docker build arguments. Each secret is made or sent for real (moto, or a
# canned answer where moto lacks the operation) and searched for in all
# that -vv wrote.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${FGRUN_TEST_MOTO_URL:-}" ]; then
    tap_skip "moto is not running (FGRUN_TEST_MOTO_URL unset)"; tap_done; exit 0
fi
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
export AWS_ENDPOINT_URL=$FGRUN_TEST_MOTO_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

# vv LUA: runs LUA at -vv; the script prints the secret on stdout (kept in
# $tmp/secret), the wire log goes to $tmp/err.
vv() { "$FGRUN" -vv -e "$1" >"$tmp/secret" 2>"$tmp/err"; }
# expect_hidden DESCRIPTION MARKER-REGEX: the secret is in none of the
# -vv output, and the marker shows where it was.
expect_hidden() {
    local secret; secret=$(cat "$tmp/secret")
    if [ ${#secret} -lt 8 ]; then tap_fail "$1" "the secret was not made: '$secret'" "$(tail -3 "$tmp/err")"; return; fi
    if grep -qF -- "$secret" "$tmp/err"; then tap_fail "$1" "the secret is in the -vv output" "$(grep -F -- "$secret" "$tmp/err" | cut -c1-300)"
    elif ! grep -Eq -- "$2" "$tmp/err"; then tap_fail "$1" "no redaction marker matching $2" "$(grep '^<' "$tmp/err" | cut -c1-300 | tail -3)"
    else tap_pass "$1"; fi
}

vv 'io.write(require("aws").ec2.create_key_pair{ KeyName = "sec-redact-'"$$"'" }.KeyMaterial)'
expect_hidden "EC2 CreateKeyPair: keyMaterial (answer, XML)" "<keyMaterial><redacted></keyMaterial>"
# the name list knows none of these three: only the model's trait hides them
vv 'io.write(require("aws").secretsmanager.get_random_password{ PasswordLength = 40 }.RandomPassword)'
expect_hidden "Secrets Manager GetRandomPassword: RandomPassword with punctuation (answer, JSON)" '"RandomPassword": ?"<redacted>"'
vv 'local token = "eyJ.web/identity+token=&x" .. string.rep("y", 20)
    pcall(require("aws").sts.assume_role_with_web_identity, { RoleArn = "arn:aws:iam::123456789012:role/r",
      RoleSessionName = "sess", WebIdentityToken = token })
    io.write(token)'
expect_hidden "STS AssumeRoleWithWebIdentity: WebIdentityToken (request, form-encoded)" "WebIdentityToken=<redacted>"

python3 "$here/../lib/fake_server.py" canned "$tmp/canned.port" "$tmp/answer.xml" & pids+=($!)
cat >"$tmp/answer.xml" <<'XML'
<CreateServiceSpecificCredentialResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <CreateServiceSpecificCredentialResult><ServiceSpecificCredential>
    <CreateDate>2024-01-01T00:00:00Z</CreateDate><ServiceName>codecommit.amazonaws.com</ServiceName>
    <ServiceUserName>sec-at-1</ServiceUserName><ServicePassword>svc&amp;pass&lt;word/Zq81+xyz=</ServicePassword>
    <ServiceSpecificCredentialId>ACCAEXAMPLE</ServiceSpecificCredentialId><UserName>sec</UserName>
    <Status>Active</Status></ServiceSpecificCredential></CreateServiceSpecificCredentialResult>
  <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>
</CreateServiceSpecificCredentialResponse>
XML
for _ in $(seq 1 50); do [ -s "$tmp/canned.port" ] && break; sleep 0.1; done
AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$tmp/canned.port") vv 'io.write(require("aws").iam.create_service_specific_credential{
    UserName = "sec", ServiceName = "codecommit.amazonaws.com" }.ServiceSpecificCredential.ServicePassword)'
expect_hidden "IAM CreateServiceSpecificCredential: ServicePassword, XML-escaped on the wire (canned answer)" "<ServicePassword><redacted></ServicePassword>"

# A sensitive structure hides all it holds: ECS repositoryCredentials.
vv 'local arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-login-AbCdEf"
    require("aws").ecs.register_task_definition{ family = "sec-redact-'"$$"'", containerDefinitions = { {
      name = "c", image = "i", memory = 128, repositoryCredentials = { credentialsParameter = arn } } } }
    io.write(arn)'
expect_hidden "ECS RegisterTaskDefinition: a sensitive structure (repositoryCredentials) in request and answer" '"repositoryCredentials": ?\{"credentialsParameter": ?"<redacted>"\}'

# The names stay as a backstop, and what is not secret is still shown.
vv 'io.write(select(2, pcall(function() require("aws").secretsmanager.create_secret{ Name = "sec-redact-'"$$"'",
      SecretString = "backstop-secret-value" } return "backstop-secret-value" end)))'
expect_hidden "Secrets Manager CreateSecret: SecretString (request)" '"SecretString": ?"<redacted>"'
expect_match "  other fields are still shown" '"Name": ?"sec-redact-'"$$"'"' "$(cat "$tmp/err")"

# rest-xml (S3 against moto): sensitive members that travel as headers,
# in the request (SSECustomerKey, SSEKMSKeyId) and in the answer (SSEKMSKeyId).
vv 'local s3, key = require("aws").s3, "arn:aws:kms:us-east-1:123456789012:key/sec-kms-'"$$"'-Zq81"
    s3.create_bucket{ Bucket = "sec-redact-'"$$"'" }
    local out = s3.put_object{ Bucket = "sec-redact-'"$$"'", Key = "kms", Body = "x",
      ServerSideEncryption = "aws:kms", SSEKMSKeyId = key }
    assert(out.SSEKMSKeyId == key, "moto did not answer the key id")
    io.write(key)'
expect_hidden "S3 PutObject: SSEKMSKeyId in a request header and an answer header (rest-xml)" \
    "^< x-amz-server-side-encryption-aws-kms-key-id: <redacted>"
expect_match "  the request header is masked too" \
    "^> x-amz-server-side-encryption-aws-kms-key-id: <redacted>" "$(cat "$tmp/err")"
vv 'require("aws").s3.put_object{ Bucket = "sec-redact-'"$$"'", Key = "ssec", Body = "x",
      SSECustomerAlgorithm = "AES256", SSECustomerKey = "sec-customer-key-'"$$"'-Zq81xyz" }
    io.write("sec-customer-key-'"$$"'-Zq81xyz")'
expect_hidden "S3 PutObject: SSECustomerKey in a request header (rest-xml)" \
    "^> x-amz-server-side-encryption-customer-key: <redacted>"

# rest-json: sensitive members in a URI label, a greedy label, the query
# string, a header and the answer body, of a service loaded from a
# botocore data folder (FGRUN_MODELS) and answered by a canned server.
mkdir -p "$tmp/models/fgrun-redact/2024-01-01" "$tmp/models/sts/2011-06-15"
echo '{}' >"$tmp/models/sts/2011-06-15/service-2.json"   # what marks a data folder
cat >"$tmp/models/fgrun-redact/2024-01-01/service-2.json" <<'JSON'
{"version": "2.0",
 "metadata": {"apiVersion": "2024-01-01", "endpointPrefix": "redact", "protocol": "rest-json",
              "protocols": ["rest-json"], "serviceId": "Redact", "signatureVersion": "v4"},
 "operations": {"OpenThing": {"name": "OpenThing", "http": {"method": "POST", "requestUri": "/things/{Name}/{Path+}"},
   "input": {"shape": "OpenThingRequest"}, "output": {"shape": "OpenThingResponse"}}},
 "shapes": {
   "OpenThingRequest": {"type": "structure", "required": ["Name", "Path"], "members": {
     "Name": {"shape": "Secret", "location": "uri", "locationName": "Name"},
     "Path": {"shape": "Secret", "location": "uri", "locationName": "Path"},
     "Key": {"shape": "Secret", "location": "querystring", "locationName": "key"},
     "Token": {"shape": "Secret", "location": "header", "locationName": "x-redact-token"},
     "Label": {"shape": "Plain", "location": "querystring", "locationName": "label"}}},
   "OpenThingResponse": {"type": "structure", "members": {"Answer": {"shape": "Secret"}}},
   "Secret": {"type": "string", "sensitive": true},
   "Plain": {"type": "string"}}}
JSON
printf '{"Answer": "sec-answer-%s-Zq81"}' $$ >"$tmp/answer.json"
python3 "$here/../lib/fake_server.py" canned "$tmp/rest.port" "$tmp/answer.json" & pids+=($!)
for _ in $(seq 1 50); do [ -s "$tmp/rest.port" ] && break; sleep 0.1; done
FGRUN_MODELS=$tmp/models AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$tmp/rest.port") "$FGRUN" -vv -e '
  local p = "'"$$"'"
  local params = { Name = "sec label " .. p .. "+Zq", Path = "dir one/sec path " .. p .. "&Zq",
    Key = "sec query " .. p .. "=&Zq/", Token = "sec-header-" .. p .. "-Zq81", Label = "shown-" .. p }
  local out = require("aws").client("fgrun-redact").open_thing(params)
  print(params.Name) print(params.Path) print(params.Key) print(params.Token) print(out.Answer)' \
  >"$tmp/secrets" 2>"$tmp/err"
leaked=
while IFS= read -r secret; do
    grep -qF -- "$secret" "$tmp/err" && leaked="$leaked [$secret]"
    for form in "$(printf '%s' "$secret" | jq -sRr @uri)" "$(printf '%s' "$secret" | sed 's/ /%20/g')"; do
        grep -qF -- "$form" "$tmp/err" && leaked="$leaked [$form]"
    done
done <"$tmp/secrets"
if [ "$(wc -l <"$tmp/secrets")" -ne 5 ]; then
    tap_fail "rest-json: sensitive URI labels, query string, header and answer" "the call failed" "$(tail -3 "$tmp/err")"
elif [ -n "$leaked" ]; then
    tap_fail "rest-json: sensitive URI labels, query string, header and answer" "in the -vv output:$leaked" \
        "$(grep -E '^[<>]' "$tmp/err" | cut -c1-300)"
else
    tap_pass "rest-json: sensitive URI labels, query string, header and answer"
fi
expect_match "  the URL shows the marks and the member that is not sensitive" \
    "^> POST http://127\.0\.0\.1:[0-9]+/things/<redacted>/<redacted>\?.*key=<redacted>.*label=shown-$$" "$(cat "$tmp/err")"
expect_match "  the header and the answer are masked" \
    "^> x-redact-token: <redacted>" "$(cat "$tmp/err")"
expect_match "  the answer body is masked" '^< \{"Answer": ?"<redacted>"\}' "$(cat "$tmp/err")"

# Docker build arguments in the -vv line.
python3 "$here/../lib/fake_server.py" docker "$tmp/docker.sock" & pids+=($!)
for _ in $(seq 1 50); do [ -S "$tmp/docker.sock" ] && break; sleep 0.1; done
mkdir "$tmp/ctx"; printf 'FROM scratch\n' >"$tmp/ctx/Dockerfile"
DOCKER_HOST=unix://$tmp/docker.sock vv 'require("docker").build{ context = "'"$tmp/ctx"'", tags = { "x:1" },
    buildargs = { NPM_TOKEN = "npm-build-secret-0123" } }
  io.write("npm-build-secret-0123")'
expect_hidden "Docker build: buildargs in the -vv request line" "buildargs=<redacted>"
tap_done
