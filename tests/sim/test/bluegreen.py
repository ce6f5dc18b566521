"""What the tests of ECS's blue/green, canary and linear deployments share
(test_strategies.py through boto3, test_fgrun_deployments.py through
fgrun): a load balancer with two target groups, a production listener rule
(and a test listener's) forwarding to both, the infrastructure role, a
service deployed with a strategy, and ways to watch its service
deployment and the rules' weights."""
import json
import time

from base import SimCase

POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "ecs.amazonaws.com"}}]})
INTERVAL, HEALTHY, DRAIN = 5, 2, 10       # target group settings that keep a deployment short


class BlueGreenCase(SimCase):
    behaviours = ["ecs.deployments", "ecs.strategies", "elbv2.provisioning", "elbv2.targets"]

    # --- the resources of a blue/green service ----------------------------------------
    def setUp(self):
        super().setUp()
        self.elb, self.ecs = self.c("elbv2"), self.c("ecs")

    def group(self, vpc):
        tg = self.elb.create_target_group(Name=self.n("tg"), Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                          HealthCheckIntervalSeconds=INTERVAL,
                                          HealthyThresholdCount=HEALTHY)["TargetGroups"][0]["TargetGroupArn"]
        self.elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(DRAIN)}])
        return tg

    def role(self, policy=POLICY):
        name = self.n("infra")
        iam = self.c("iam")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        if policy:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy)
        return arn

    def rule(self, listener, blue, green, priority):
        return self.elb.create_rule(ListenerArn=listener, Priority=priority, Conditions=[
            {"Field": "path-pattern", "Values": ["/*"]}], Actions=[{"Type": "forward", "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": blue, "Weight": 100},
                                 {"TargetGroupArn": green, "Weight": 0}]}}])["Rules"][0]["RuleArn"]

    def blue_green_resources(self, test_listener=True, policy=POLICY):
        """A load balancer, two target groups, a production listener rule (and a test listener's
        rule) forwarding to both, the infrastructure role: the service's loadBalancers entry."""
        vpc, subnets = self.network()
        sg = self.c("ec2").create_security_group(GroupName=self.n("lb"), Description="lb", VpcId=vpc)["GroupId"]
        lb = self.elb.create_load_balancer(Name=self.n("lb"), SecurityGroups=[sg], Subnets=[
            s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]["LoadBalancerArn"]
        self.primary, self.alternate = self.group(vpc), self.group(vpc)
        listener = self.elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
        adv = {"alternateTargetGroupArn": self.alternate, "roleArn": self.role(policy),
               "productionListenerRule": self.rule(listener, self.primary, self.alternate, 10)}
        self.test_rule = None
        if test_listener:
            test = self.elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=8080, DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
            adv["testListenerRule"] = self.test_rule = self.rule(test, self.primary, self.alternate, 10)
        self.production_rule = adv["productionListenerRule"]
        return {"targetGroupArn": self.primary, "containerName": "app", "containerPort": 80,
                "advancedConfiguration": adv}

    def blue_green_service(self, strategy="BLUE_GREEN", bake=1, desired=2, breaker=True, **config):
        """A service deployed with `strategy`, waited until its first deployment succeeded."""
        lb = self.blue_green_resources(test_listener=config.pop("test_listener", True))
        dc = dict(strategy=strategy, bakeTimeInMinutes=bake, maximumPercent=200, minimumHealthyPercent=100,
                  deploymentCircuitBreaker={"enable": breaker, "rollback": breaker}, **config)
        cluster, arn = self.service(desired=desired, loadBalancers=[lb], deploymentConfiguration=dc)
        self.wait_for(lambda: self.current(cluster, arn)["status"] == "SUCCESSFUL", 600, "the first deployment")
        return cluster, arn

    # --- observing ---------------------------------------------------------------------
    def current(self, cluster, arn):
        s = self.ecs.describe_services(cluster=cluster, services=[arn])["services"][0]
        return self.ecs.describe_service_deployments(
            serviceDeploymentArns=[s["currentServiceDeployment"]])["serviceDeployments"][0]

    def weights(self, rule):
        action = self.elb.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"][0]
        return {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}

    def green(self, rule):
        """The share of the rule's traffic going to the alternate group (percent)."""
        w = self.weights(rule)
        total = sum(w.values())
        return 100.0 * w[self.alternate] / total if total else 0.0

    def update(self, cluster, arn, image="nginx:2", **extra):
        t0 = time.monotonic()
        self.ecs.update_service(cluster=cluster, service=arn, taskDefinition=self.task_definition(
            containerDefinitions=[{"name": "app", "image": image, "memory": 512,
                                   "portMappings": [{"containerPort": 80}]}]), **extra)
        return t0, self.current(cluster, arn)["serviceDeploymentArn"]

    def follow(self, arn, until, probe=None, aws_timeout=900):
        """Polls the service deployment until `until(deployment)`; returns [(stage or status, when it
        began, probe())] each time what is seen changes. When a stage began is the deployment's
        updatedAt (epoch seconds): polls see a short stage late or not at all. A probe counts when
        the deployment did not move on while it looked."""
        seen = []
        describe = lambda: self.ecs.describe_service_deployments(
            serviceDeploymentArns=[arn])["serviceDeployments"][0]

        def look():
            d = describe()
            got = probe() if probe else None
            if probe and describe()["updatedAt"] != d["updatedAt"]:
                return False
            now = (d.get("lifecycleStage") if d["status"] == "IN_PROGRESS" else d["status"], got)
            if not seen or (seen[-1][0], seen[-1][2]) != now:
                seen.append((now[0], d["updatedAt"].timestamp(), now[1]))
            return until(d) and d
        self.wait_for(look, aws_timeout, "the service deployment")
        return seen

    def stages(self, seen):
        out = []
        for stage, _, _ in seen:
            if not out or out[-1] != stage:
                out.append(stage)
        return out

    def task_definitions(self, cluster, arn):
        s = self.ecs.describe_services(cluster=cluster, services=[arn])["services"][0]
        return s["taskDefinition"], [(d["status"], d["rolloutState"]) for d in s["deployments"]]
