"""What the simulator's tests share: a fresh moto and simulator state per
test, boto3 clients through the simulator, waits measured on the wall
clock, and durations checked as ratios of the timing table's values."""
import os
import subprocess
import time
import unittest

import botocore.exceptions

from client import Sim

# A scaled duration is observed within these bounds of the expected one:
# never early (it is the model's clock), late by polling and a loaded machine.
EARLY = 0.95
LATE = 1.5
SLACK = 0.6         # seconds: polls and the machine's load, on short delays


_clients = {}           # boto3 clients are slow to make: one per service for the whole run
_serial = [0]


class SimCase(unittest.TestCase):
    """Each test starts with the simulator reset and its `behaviours` on.
    moto is reset only for a class with `fresh_account` (a reset costs
    about a second); the others name what they make with `self.n()`."""
    behaviours = ()     # switched on for each test of the class
    fresh_account = False

    def setUp(self):
        url = os.environ.get("FGRUN_TEST_SIM_URL")
        if not url:
            self.skipTest("no simulator (FGRUN_TEST_SIM_URL)")
        self.sim = Sim(url)
        self.sim.reset(moto=self.fresh_account)
        self.sim.configure(set=list(self.behaviours))
        self.scale = self.sim.config()["scale"]

    def serial(self):
        """A number no other test of the run gets."""
        _serial[0] += 1
        return _serial[0]

    def n(self, name):
        """A name no other test of the run uses."""
        return "%s-%d" % (name, self.serial())

    def c(self, service):
        if (self.sim.url, service) not in _clients:
            _clients[(self.sim.url, service)] = self.sim.boto3(service)
        return _clients[(self.sim.url, service)]

    def scale_for(self, aws_seconds, real=1.0):
        """Slows the model down for this test so that aws_seconds take at
        least `real` seconds: windows shorter than a few calls cannot be
        measured (reset() restores the scale)."""
        self.scale = max(self.scale, real / aws_seconds)
        self.sim.configure(scale=self.scale)

    def error(self, fn, *args, **kwargs):
        """The error code fn(...) raises (fails when it succeeds)."""
        try:
            fn(*args, **kwargs)
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"], e.response["Error"].get("Message", ""), \
                e.response["ResponseMetadata"]["HTTPStatusCode"]
        self.fail("%s succeeded; an error was expected" % getattr(fn, "__name__", fn))

    def network(self):
        """(default VPC, its subnets sorted by zone)."""
        ec2 = self.c("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        return vpc, sorted(subnets, key=lambda s: s["AvailabilityZone"])

    def task_definition(self, **extra):
        """A small Fargate task definition; its ARN."""
        td = dict(family=self.n("f"), networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                  memory="512", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512,
                                                       "portMappings": [{"containerPort": 80}]}])
        td.update(extra)
        return self.c("ecs").register_task_definition(**td)["taskDefinition"]["taskDefinitionArn"]

    def service(self, desired=2, target_group=None, group=None, cluster=None, **extra):
        """A Fargate service (in a new cluster unless given one) in the default
        VPC's first subnets: (cluster, service ARN)."""
        ecs = self.c("ecs")
        vpc, subnets = self.network()
        if cluster is None:
            cluster = self.n("c")
            ecs.create_cluster(clusterName=cluster)
        if group is None:
            group = self.c("ec2").create_security_group(GroupName=self.n("tasks"), Description="t",
                                                        VpcId=vpc)["GroupId"]
        params = dict(cluster=cluster, serviceName=self.n("s"), taskDefinition=extra.pop("taskDefinition", None)
                      or self.task_definition(), desiredCount=desired, launchType="FARGATE",
                      networkConfiguration={"awsvpcConfiguration": {
                          "subnets": [s["SubnetId"] for s in subnets[:2]], "securityGroups": [group]}})
        if target_group:
            params["loadBalancers"] = [{"targetGroupArn": target_group, "containerName": "app", "containerPort": 80}]
        params.update(extra)
        return cluster, ecs.create_service(**params)["service"]["serviceArn"]

    def wait_for(self, check, aws_timeout, what):
        """Polls check() until it returns something true; returns (value,
        seconds waited). Fails after twice the scaled aws_timeout."""
        start = time.monotonic()
        limit = aws_timeout * self.scale * 2 + 5
        while True:
            got = check()
            if got:
                return got, time.monotonic() - start
            if time.monotonic() - start > limit:
                self.fail("%s: not within %.1f s" % (what, limit))
            time.sleep(0.03)

    def assert_took(self, observed, aws_seconds, what):
        """observed real seconds match aws_seconds of the model at this scale."""
        expected = aws_seconds * self.scale
        self.assertGreaterEqual(observed, expected * EARLY, "%s came early: %.2f s, expected %.2f s"
                                % (what, observed, expected))
        self.assertLessEqual(observed, expected * LATE + SLACK, "%s came late: %.2f s, expected %.2f s"
                             % (what, observed, expected))


def accepted(fn, **kwargs):
    """Whether fn(**kwargs) succeeds (for waiting until AWS accepts a call)."""
    try:
        fn(**kwargs)
        return True
    except botocore.exceptions.ClientError:
        return False


def fgrun(snippet, env_url):
    """Runs `fgrun -e snippet` against the simulator; (exit code, stdout, stderr).
    Skips when there is no fgrun binary."""
    return fgrun_args(["-e", snippet], env_url)


def fgrun_args(args, env_url):
    """Runs `fgrun ARGS...` (a script and its options) against the simulator;
    (exit code, stdout, stderr). Skips when there is no fgrun binary."""
    exe = os.environ.get("FGRUN", "")
    if not exe or not os.access(exe, os.X_OK):
        raise unittest.SkipTest("no fgrun binary (FGRUN)")
    env = dict(os.environ, AWS_ENDPOINT_URL=env_url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1", NO_COLOR="1")
    env.pop("AWS_PROFILE", None)
    p = subprocess.run([exe] + args, env=env, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr
