#!/usr/bin/env bash
# Issue 20 items 1 and 2 against moto behind the AWS simulator (its ACM
# behaviours: a certificate is issued only once its validation CNAME is in
# Route 53, and cannot be deleted while a listener uses it): the Fargate
# recipe with domain and alarm_email deploys the certificate, the HTTPS
# listener with its TLS policy, HTTP:80 redirecting, the alias record, the
# SNS topic with its subscription and four alarms; url prints https, status
# shows the certificate and the alarms' states. Each change (an alarm
# threshold, the TLS policy, another domain, domain removed, alarm_topic
# instead of alarm_email) is checked in AWS's state (tests/lib/snapshot.lua
# reads moto), bad input stops before any call that changes anything, and
# --destroy leaves nothing, the certificate removed after the listener.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
. "$root/tests/lib/change_case.sh"
recipe=$root/recipes/fargate_alb.lua
# moto's own validation wait stays long: the simulator decides when a certificate is issued
MOTO_ACM_VALIDATION_WAIT=3600 test_moto 3
test_sim --scale 0.01 --behaviours 'acm.*,route53.*'
zone=$("$FGRUN" -e 'print(require("aws").route53.create_hosted_zone{ Name = "example.com", CallerReference = "https-test" }.HostedZone.Id)')
"$FGRUN" -e 'require("aws").route53.create_hosted_zone{ Name = "example.org", CallerReference = "https-test-2" }'

# the deployment under test: HTTPS at app.example.com, alarms by e-mail
BASE=(-D domain=app.example.com -D alarm_email=ops@example.com)
deploy() { run_fgrun --state-dir "$state" --env local -D image=busybox:1 "${BASE[@]}" "$@" "$recipe"; }
action() { "$FGRUN" --state-dir "$state" --env local -D image=busybox:1 "${BASE[@]}" "$recipe" "$@" 2>&1; }
sfx() { sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/fargate-alb.local.json"; }
snapshot() { "$FGRUN" "$root/tests/lib/snapshot.lua" "$sfx" example.com; }
settle() { deploy "$@" -D spot=true; deploy "$@"; }

deploy --json
expect_eq "deploy with domain and alarm_email succeeds" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | grep -v '^ ' | tail -3 | sed 's/^/# /'
# the certificate's wait for ISSUED ran in the background (the HTTP listener made meanwhile);
# the HTTPS listener began once it had ended, its timeline entry says so (the summary
# is the last JSON object)
expect_eq "the certificate was awaited in the background, the HTTPS listener made once it was issued" "yes" \
    "$(printf '%s' "$out" | python3 -c '
import json, sys
text = sys.stdin.read()
t = {s["step"]: s for s in json.loads(text[text.rfind("\n{\n") + 1:])["timeline"]}
c = t["certificate"]
print("yes" if c["ready"] < t["listener"]["end"] < c["end"] <= t["https_listener"]["start"]
      and t["https_listener"]["settled_after"] == ["certificate"] else "no %s" % json.dumps(t))')"
sfx=$(sfx)
settle
base=$(snapshot)
S="[a-z0-9]{6}"
expect_match "the certificate is issued, its validation record in the zone" \
    "^certificate app.example.com status=ISSUED validation=(_[0-9a-f]+\.app\.example\.com\.) CNAME " "$base"
vname=$(printf '%s\n' "$base" | sed -n 's/^certificate app.example.com .*validation=\([^ ]*\) CNAME \([^ ]*\) .*/\1 CNAME ttl=300 values=\2/p' | sed 's/\.$//')
expect_match "the validation CNAME is in Route 53" "^dns_record ${vname//./\\.}" "$base"
expect_match "HTTPS:443 forwards to the target group with the certificate and a TLS 1.3 policy" \
    "^listener fargate-alb-$S port=443 protocol=HTTPS forward=fargate-tg-$S certificate=app.example.com policy=ELBSecurityPolicy-TLS13-1-2-2021-06$" "$base"
expect_match "HTTP:80 redirects to HTTPS:443 (301)" "^listener fargate-alb-$S port=80 protocol=HTTP redirect=HTTPS:443:HTTP_301$" "$base"
expect_match "app.example.com is an alias of the load balancer" "^dns_record app.example.com. A alias=fargate-alb-$S$" "$base"
expect_match "the load balancer's group lets 443 in" "^sg_rule fargate-alb-$S-sg ingress tcp 443-443 cidr 0.0.0.0/0$" "$base"
expect_match "an SNS topic mails ops@example.com" "^sns_subscription fargate-$S-alarms email ops@example.com$" "$base"
expect_match "alarm: unhealthy hosts of the target group" \
    "^metric_alarm fargate-$S-unhealthy-hosts AWS/ApplicationELB/UnHealthyHostCount Maximum LoadBalancer=app/fargate-alb-$S,TargetGroup=targetgroup/fargate-tg-$S .* actions=fargate-$S-alarms$" "$base"
expect_match "alarm: the load balancer's 5xx rate" \
    "^metric_alarm fargate-$S-http-5xx 100 \* .*HTTPCode_ELB_5XX_Count.*RequestCount.*HTTPCode_Target_5XX_Count.* threshold=5.0 .*actions=fargate-$S-alarms$" "$base"
expect_match "alarm: the service's CPU" "^metric_alarm fargate-$S-cpu AWS/ECS/CPUUtilization Average ClusterName=fargate-cluster-$S,ServiceName=fargate-service-$S GreaterThanThreshold threshold=90.0" "$base"
expect_match "alarm: the service's memory" "^metric_alarm fargate-$S-memory AWS/ECS/MemoryUtilization Average .* threshold=90.0" "$base"
expect_eq "url prints the https URL" "https://app.example.com" "$(action url)"
status=$(action status)
expect_match "status shows the certificate" "certificate app.example.com: ISSUED, expires [0-9-]+, in use by 1" "$status"
expect_eq "status shows the four alarms' states" "4" "$(printf '%s\n' "$status" | grep -cE "^alarm fargate-$S-[a-z0-9-]+: (OK|ALARM|INSUFFICIENT_DATA) ")"

# The short form (tests/run): one change (an alarm), the bad input, and
# --destroy; the other changes and the certificate fixture's replacement
# make the same calls for other parameters.
SHORT_CASES="alarm_cpu"
change_case alarm_cpu=75 "updated cpu_alarm" "^metric_alarm fargate-$S-cpu " "^metric_alarm fargate-$S-cpu .* threshold=75.0 "
change_case alarm_5xx_percent=2 "updated http_5xx_alarm" "^metric_alarm fargate-$S-http-5xx " "^metric_alarm fargate-$S-http-5xx .* threshold=2.0 "
change_case tls_policy=ELBSecurityPolicy-TLS13-1-2-Res-2021-06 "updated https_listener" "^listener fargate-alb-$S port=443 " \
    "port=443 .* policy=ELBSecurityPolicy-TLS13-1-2-Res-2021-06$"
change_case domain=www.example.com "replaced certificate" "^(certificate|dns_record|listener fargate-alb-$S port=443) " \
    "^dns_record www.example.com. A alias=fargate-alb-$S$"
change_case alarm_email=oncall@example.com "replaced alarm_subscription" "^sns_subscription " \
    "^sns_subscription fargate-$S-alarms email oncall@example.com$"

if long_form; then
    # domain removed: HTTP forwards again, the HTTPS listener, the record and the certificate go
    BASE=(-D alarm_email=ops@example.com)
    deploy
    expect_eq "domain removed: deploy succeeds" "0" "$rc"
    expect_match "domain removed: the certificate is removed" "removed +certificate " "$out"
    after=$(snapshot)
    expect_match "domain removed: HTTP:80 forwards to the target group" "^listener fargate-alb-$S port=80 protocol=HTTP forward=fargate-tg-$S$" "$after"
    expect_eq "domain removed: no HTTPS listener, certificate, record or 443 rule is left" "" \
        "$(printf '%s\n' "$after" | grep -E "port=443|^certificate|^dns_record|-sg ingress tcp 443-443")"
    expect_eq "domain removed: url prints the load balancer's http URL" "http://$(printf '%s\n' "$out" | sed -n 's|.*url: http://||p')" "$(action url)"
    # alarm_topic: the caller's topic instead of one of ours
    topic=$("$FGRUN" -e 'print(require("aws").sns.create_topic{ Name = "team-pager" }.TopicArn)')
    BASE=(-D "alarm_topic=$topic")
    deploy
    expect_eq "alarm_topic instead of alarm_email: deploy succeeds" "0" "$rc"
    after=$(snapshot)
    expect_eq "alarm_topic: our topic and its subscription are removed" "" "$(printf '%s\n' "$after" | grep -E '^sns_')"
    expect_eq "alarm_topic: the four alarms tell the given topic" "4" "$(printf '%s\n' "$after" | grep -cE "^metric_alarm .* actions=team-pager$")"
    # back to domain and alarm_email: the first state again
    BASE=(-D domain=app.example.com -D alarm_email=ops@example.com)
    deploy
    expect_eq "domain and alarm_email again: deploy succeeds" "0" "$rc"
    expect_eq "domain and alarm_email again: AWS holds the first state" "$base" "$(snapshot)"
fi

# Bad input: one error line naming what is wrong, no call that changes anything.
refused() {
    local what=$1 pattern=$2; shift 2
    deploy -v "$@"
    expect_match "$what: refused, saying why" "$pattern" "$err"
    expect_eq "$what: before any mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
}
refused "a domain no zone holds" "domain app.example.net: no public hosted zone in this account holds it" -D domain=app.example.net
refused "a hosted zone that does not exist" "hosted_zone ZNOSUCHZONE1: no such hosted zone" -D hosted_zone=ZNOSUCHZONE1
refused "a domain outside the hosted zone" "domain app.example.com is not in hosted zone example.org" -D hosted_zone=example.org
refused "a domain that is no DNS name" "parameter domain: field domain: not a DNS name" -D "domain=app example.com"
refused "an e-mail address that is none" "parameter alarm_email: .*is not an e-mail address" -D alarm_email=ops
refused "a topic that does not exist" "parameter alarm_topic: SNS topic .* does not exist" \
    -D alarm_topic=arn:aws:sns:us-east-1:123456789012:nope
expect_eq "after the refused runs AWS holds the first state" "$base" "$(snapshot)"
expect_eq "the hosted zone given by id works as well" "0" "$(deploy -D "hosted_zone=${zone#/hostedzone/}"; echo "$rc")"

if long_form; then
    # A certificate replaced by one of the same name (another key type) shares
    # ACM's validation record: the old one's removal must leave it to the new one.
    fx=$root/tests/fixtures/recipes/certificate.lua
    cert() { "$FGRUN" --state-dir "$state" "$@" "$fx" >"$tmp/cert.out" 2>&1; echo $?; }
    certs() { "$FGRUN" "$root/tests/lib/snapshot.lua" "$sfx" example.com | grep -E '(^certificate |^dns_record [^ ]+\.)cert\.example\.com'; }
    expect_eq "a certificate of its own deploys" "0" "$(cert)"
    expect_match "its validation record has the first generation's TTL" "^dns_record _[0-9a-f]+\.cert\.example\.com\. CNAME ttl=300 " "$(certs)"
    expect_eq "another key type replaces it" "0" "$(cert -D key=EC_prime256v1)"
    expect_match "the run reports the replacement" "replaced +certificate" "$(cat "$tmp/cert.out")"
    expect_eq "one certificate is left, issued, and its validation record stays (the new generation's)" \
        "ISSUED 301" "$(certs | sed -n 's/^certificate cert.example.com status=\([A-Z_]*\) .*/\1/p' | tr '\n' ' ')$(certs | sed -n 's/^dns_record .* ttl=\([0-9]*\) .*/\1/p')"
    expect_eq "--destroy of it succeeds" "0" "$(cert -D key=EC_prime256v1 --destroy)"
    expect_eq "--destroy of it leaves neither certificate nor record" "" "$(certs)"
fi

mark=$(curl -s "$FGRUN_TEST_SIM_URL/__sim/log" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
https=$("$FGRUN" -e 'local elbv2 = require("aws").elbv2
  for _, lb in ipairs(elbv2.describe_load_balancers{}.LoadBalancers) do
    for _, l in ipairs(elbv2.describe_listeners{ LoadBalancerArn = lb.LoadBalancerArn }.Listeners) do
      if l.Port == 443 then print(l.ListenerArn) end end end')
# ACM's seconds of "in use" after the listener goes: long enough here to be met
sim_config '{"scale": 0.3}' >/dev/null
deploy --destroy
expect_eq "--destroy succeeds" "0" "$rc"
expect_eq "--destroy leaves nothing (the zone keeps only its own records)" "total 0" "$(snapshot | tail -1)"
order=$(curl -s "$FGRUN_TEST_SIM_URL/__sim/log" | python3 -c '
import json, sys
log = json.load(sys.stdin)[int(sys.argv[1]):]
ops = [(e["operation"], e["status"], e.get("code") or "", e.get("keys", {})) for e in log]
https = [i for i, o in enumerate(ops) if o[0] == "DeleteListener" and o[3].get("ListenerArn") == sys.argv[2]]
cert = [i for i, o in enumerate(ops) if o[0] == "DeleteCertificate" and o[1] == 200]
refused = [i for i, o in enumerate(ops) if o[0] == "DeleteCertificate" and o[2] == "ResourceInUseException"]
print("after" if https and cert and cert[0] > https[0] else "before", "refused" if refused else "never-refused")' "$mark" "$https")
expect_eq "the certificate is deleted after the HTTPS listener (ACM refused it while it was in use: retried)" \
    "after refused" "$order"
# (the caller's topic of the long form's alarm_topic case)
long_form && expect_eq "the caller's own topic is left alone" "$topic" \
    "$("$FGRUN" -e "print(require('aws').sns.get_topic_attributes{ TopicArn = '$topic' }.Attributes.TopicArn)")"
tap_done
