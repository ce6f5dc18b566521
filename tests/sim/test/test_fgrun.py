"""The simulator's answers as fgrun's own AWS client reads them: errors in
the ec2, query and json formats, rewritten XML and JSON answers, answers
the simulator makes itself (target health, the policy simulator); and
fg.aws resource steps (tests/fixtures/recipes/types.lua) deployed through
it."""

import os
import tempfile
import time

import timing
from base import SimCase, fgrun, fgrun_args

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TYPES = os.path.join(ROOT, "tests", "fixtures", "recipes", "types.lua")


class FgrunClient(SimCase):
    behaviours = ["ec2.sg_eventual", "iam.deny", "iam.simulate", "elbv2.provisioning", "elbv2.targets",
                  "ecs.deployments"]

    def run_lua(self, snippet):
        rc, out, err = fgrun(snippet, self.sim.url)
        self.assertEqual(rc, 0, err)
        return out.strip()

    def test_errors_in_each_protocol(self):
        self.scale_for(2.0, real=5.0)           # the group stays invisible while fgrun starts
        vpc, _ = self.network()
        sg = self.c("ec2").create_security_group(GroupName=self.n("g"), Description="g", VpcId=vpc)["GroupId"]
        self.sim.configure(deny=["ecs:ListClusters", "iam:ListRoles"])
        out = self.run_lua('''
            local aws = require "aws"
            local function code(f, p) local ok, e = pcall(f, p) return ok and "ok" or (e.code .. " " .. e.status) end
            print(code(aws.ec2.authorize_security_group_ingress, {GroupId = "%s", IpPermissions = {
              {IpProtocol = "tcp", FromPort = 80, ToPort = 80, IpRanges = {{CidrIp = "0.0.0.0/0"}}}}}))
            print(code(aws.ecs.list_clusters, {}))
            print(code(aws.iam.list_roles, {}))
        ''' % sg)
        self.assertEqual(out.splitlines(), ["InvalidGroup.NotFound 400", "AccessDeniedException 400", "AccessDenied 403"])

    def test_rewritten_and_made_answers(self):
        vpc, subnets = self.network()
        ec2, elb = self.c("ec2"), self.c("elbv2")
        sg = ec2.create_security_group(GroupName=self.n("lb"), Description="lb", VpcId=vpc)["GroupId"]
        lb = elb.create_load_balancer(Name=self.n("lb"), SecurityGroups=[sg], Subnets=[
            s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name=self.n("tg"), Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        cluster, service = self.service(desired=1, target_group=tg)
        self.sim.configure(deny=["iam:PassRole"])
        out = self.run_lua('''
            local aws = require "aws"
            print(aws.elbv2.describe_load_balancers{LoadBalancerArns = {"%s"}}.LoadBalancers[1].State.Code)
            local s = aws.ecs.describe_services{cluster = "%s", services = {"%s"}}.services[1]
            print(s.deployments[1].rolloutState, math.type(s.deployments[1].createdAt) and "number" or type(s.deployments[1].createdAt))
            local tasks = aws.ecs.list_tasks{cluster = "%s"}.taskArns
            print(#tasks, aws.ecs.describe_tasks{cluster = "%s", tasks = tasks}.tasks[1].lastStatus)
            print(aws.iam.simulate_principal_policy{PolicySourceArn = "arn:aws:iam::123456789012:user/moto",
              ActionNames = {"iam:PassRole"}}.EvaluationResults[1].EvalDecision)
        ''' % (lb, cluster, service, cluster, cluster))
        lines = out.splitlines()
        self.assertEqual(lines[0], "provisioning")
        self.assertEqual(lines[1].split()[0], "IN_PROGRESS")
        self.assertIn(lines[1].split()[1], ("number", "string"))
        self.assertEqual(lines[2].split()[0], "1")
        self.assertIn(lines[2].split()[1], ("PROVISIONING", "PENDING", "RUNNING"))
        self.assertEqual(lines[3], "implicitDeny")
        self.wait_for(lambda: elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"], 300,
                      "a target")
        out = self.run_lua('''
            local h = require("aws").elbv2.describe_target_health{TargetGroupArn = "%s"}.TargetHealthDescriptions[1]
            print(h.Target.Port, h.TargetHealth.State)''' % tg)
        self.assertEqual(out.split()[0], "80")
        self.assertIn(out.split()[1], ("initial", "healthy"))


class FgrunSteps(SimCase):
    """Resource steps of fg.aws deployed through the simulator: what AWS
    answers and moto does not must not roll a deployment back (issue 21)."""
    behaviours = ["ec2.sg_eventual", "logs.retention"]

    def deploy(self, state, name, *args):
        return fgrun_args(["--state-dir", state, "-D", "name=" + name, "-D", "scope=core"] + list(args) + [TYPES],
                          self.sim.url)

    def test_rules_of_a_new_group_are_retried_not_rolled_back(self):
        # item 10: InvalidGroup.NotFound for a moment after CreateSecurityGroup
        self.scale_for(timing.seconds("ec2.sg_visibility"), real=2.0)
        name = "tys%d" % self.serial()
        with tempfile.TemporaryDirectory() as state:
            rc, out, err = self.deploy(state, name, "-D", "retention=14")
            self.assertEqual(rc, 0, err)
            refused = [e for e in self.sim.log() if e.get("operation", "").startswith("AuthorizeSecurityGroup")
                       and e.get("code") == "InvalidGroup.NotFound"]
            self.assertGreater(len(refused), 0, "the simulator refused no rule call: the test shows nothing")
            groups = [g for g in self.c("ec2").describe_security_groups()["SecurityGroups"]
                      if g["GroupName"].startswith(name + "-")]
            self.assertEqual(len(groups), 1)
            ingress = [(p["FromPort"], r["CidrIp"]) for p in groups[0]["IpPermissions"] for r in p["IpRanges"]]
            egress = [(p.get("FromPort"), r["CidrIp"]) for p in groups[0]["IpPermissionsEgress"] for r in p["IpRanges"]]
            self.assertEqual(ingress, [(8080, "10.0.0.0/16")])
            self.assertEqual(egress, [(443, "0.0.0.0/0")])
            # item 5: the retention AWS accepts reached it; one it refuses stops
            # the run before any call reaches the simulator
            logs = self.c("logs").describe_log_groups(logGroupNamePrefix="/tyt/" + name)["logGroups"]
            self.assertEqual([g["retentionInDays"] for g in logs], [14])
            calls = len(self.sim.log())
            rc, _, err = self.deploy(state, name, "-D", "retention=10")
            self.assertEqual(rc, 1)
            self.assertIn("10 days is not a retention", err)
            self.assertEqual([e for e in self.sim.log()[calls:] if e.get("operation") == "PutRetentionPolicy"], [])
            rc, _, err = self.deploy(state, name, "--destroy")
            self.assertEqual(rc, 0, err)
            self.assertEqual([g for g in self.c("ec2").describe_security_groups()["SecurityGroups"]
                              if g["GroupName"].startswith(name + "-")], [])


class FgrunLogs(SimCase):
    behaviours = ["logs.pages"]

    def test_logs_follow_empty_pages(self):
        # item 14: an empty page with a nextToken is not the end
        logs = self.c("logs")
        group = "/fg/" + self.n("logs")
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
            {"timestamp": now + i, "message": "line %d" % i} for i in range(3)])
        before = len(self.sim.log())
        rc, out, err = fgrun('''
            for _, e in ipairs(require("fg.logs").fetch(require("aws").logs, "%s", 0, {})) do print(e.message) end
        ''' % group, self.sim.url)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), ["line 0", "line 1", "line 2"])
        calls = [e for e in self.sim.log()[before:] if e.get("operation") == "FilterLogEvents"]
        self.assertEqual(len(calls), 4, "an empty page, then one event a page")
