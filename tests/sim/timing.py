"""The timing model's numbers: ONE table, each with its source.

Every delay the simulator applies comes from TABLE (in AWS seconds) and is
multiplied by SIM_SCALE when it is applied, so 0.05 turns a 180 s wait into
9 s and 1.0 is real time. Settings a resource carries itself (a target
group's health-check interval and thresholds, its deregistration delay, a
container's health check, a service's health-check grace period) are read
from that resource and scaled the same way: `settings` below names them.

Sources are the AWS documentation pages named, or the peers' issues that
issue 18 of fgrun cites. Where AWS documents only "a few minutes" the
number is the middle of what the sources report, and says so.
"""

# name: (seconds, source)
TABLE = {
    # --- API latency, per call -------------------------------------------------
    "api.latency": (0.04,
        "issue 18: 'API latency per call (tens of ms)'; regional control-plane calls "
        "answer in tens of milliseconds"),
    "api.latency.iam": (0.15,
        "issue 18: 'IAM, a global service, slower'; IAM's one control plane is in "
        "us-east-1 (IAM user guide, 'Changes that I make are not always immediately visible')"),

    # --- Elastic Load Balancing -----------------------------------------------
    "elbv2.provisioning": (180.0,
        "ELB user guide, 'Create an Application Load Balancer': provisioning takes "
        "'a few minutes'; issue 18: about 3 minutes, seen up to 5"),
    "elbv2.interfaces_release": (60.0,
        "the load balancer's network interfaces are deleted after the load balancer "
        "(EC2 user guide, 'Requester-managed network interfaces'); security-group "
        "deletion answers DependencyViolation meanwhile (issue 18); an estimate"),
    "elbv2.registration": (10.0,
        "ELB user guide, 'Target health status': 'initial' while 'the load balancer is "
        "in the process of registering the target or performing the initial health "
        "checks' (Elb.RegistrationInProgress); an estimate"),
    "elbv2.deregistration_delay.default": (300.0,
        "ELB user guide, 'Deregistration delay': default 300 seconds (the target "
        "group's deregistration_delay.timeout_seconds; read from the group when set)"),

    # --- ECS tasks and deployments -------------------------------------------------
    "ecs.task.provisioning": (20.0,
        "ECS developer guide, 'Task lifecycle': PROVISIONING creates and attaches the "
        "task's network interface before PENDING; the duration is an estimate (the "
        "guide gives none; Copilot issues 1948/2619 report minutes per deploy)"),
    "ecs.task.pending": (25.0,
        "ECS developer guide, 'Task lifecycle': PENDING pulls the image and starts the "
        "containers (issue 18: 'image pull, start'); an estimate for a small image"),
    "ecs.task.stopping": (30.0,
        "ECS task definition parameters, stopTimeout: default 30 s between SIGTERM and "
        "SIGKILL on Fargate"),
    "ecs.task.deprovisioning": (15.0,
        "ECS developer guide, 'Task lifecycle': DEPROVISIONING detaches and deletes the "
        "network interface after STOPPING; an estimate"),
    "ecs.service.inactive": (5.0,
        "ECS DeleteService reference: the service is DRAINING until its tasks stop, "
        "then INACTIVE; an estimate of the bookkeeping after the last task"),
    "ecs.launch_retry": (30.0,
        "pulumi-awsx issue 927: after 'ECS was unable to assume the role', the service "
        "scheduler retries the launch about 30 s later"),
    "ecs.container_health.interval.default": (30.0,
        "ECS task definition parameters, healthCheck.interval: default 30 s"),
    "ecs.task.failing_run": (5.0,
        "a container that fails at start (a failing image, options.ecs_failing_images) exits this long "
        "after RUNNING; the task stops with 'Essential container in task exited' (ECS developer guide, "
        "'Amazon ECS stopped task error messages'); an estimate"),
    "ecs.traffic_shift": (5.0,
        "ECS developer guide, 'Amazon ECS blue/green service deployments workflow': at a traffic-shift "
        "stage ECS modifies the listener rule's weights (ELB ModifyRule answers at once) and moves on; an "
        "estimate of ECS's own step"),

    # --- IAM ---------------------------------------------------------------------
    "iam.propagation": (5.0,
        "IAM user guide, 'Changes that I make are not always immediately visible'; "
        "pulumi-awsx issue 927 ('propagate within ~2 seconds', seen longer) and "
        "terraform-aws-ecs issue 414 (iam:PassRole refused 'for several seconds' "
        "after CreateRole): 5 s"),
    "iam.slr.ecs": (10.0,
        "ECS developer guide, 'Using service-linked roles': ECS creates "
        "AWSServiceRoleForECS itself on a first cluster; until it is usable "
        "CreateCluster and CreateService answer 'Unable to assume the service linked "
        "role' (cloudformation-coverage-roadmap 818, terraform-provider-aws 11417); "
        "a retry seconds later succeeds"),

    # --- EC2 -----------------------------------------------------------------------
    "ec2.sg_visibility": (2.0,
        "EC2 API reference, 'Eventual consistency in the Amazon EC2 API': a resource "
        "just created may not be visible to the next call (InvalidGroup.NotFound); "
        "'a moment' (issue 21 item 10): 2 s"),

    # --- ACM -----------------------------------------------------------------------
    "acm.dns_validation": (120.0,
        "ACM user guide, 'DNS validation': the certificate is issued once ACM finds the "
        "validation CNAME record in public DNS (PENDING_VALIDATION until then; ACM keeps "
        "trying for 72 hours); minutes in practice: 2 minutes, an estimate"),
    "acm.in_use_release": (10.0,
        "aws-cdk issue 4179: 'it can take around 10s for ACM to acknowledge that the "
        "certificate is no longer in use' after the listener's deletion; DeleteCertificate "
        "answers ResourceInUseException meanwhile (terraform-provider-aws PR 3868 retries it)"),

    # --- ECR -----------------------------------------------------------------------
    "ecr.scan.start": (2.0,
        "ECR user guide, 'Scan images for OS vulnerabilities': with scan on push the "
        "scan starts after the push; until then DescribeImageScanFindings answers "
        "ScanNotFoundException (issue 21 item 2)"),
    "ecr.scan.basic": (10.0,
        "issue 18: 'ECR basic scan: seconds to COMPLETE'"),
    "ecr.scan.quota_window": (86400.0,
        "ECR StartImageScan reference: 'once per 24 hours on an individual image', the "
        "scan on push included"),
    "ecr.scan.enhanced_findings": (60.0,
        "aws-sdk issue 289: with enhanced scanning (Amazon Inspector) the status comes "
        "before any findings (an estimate of how much later)"),
}

# Settings carried by the resources themselves (not in TABLE, scaled the same way).
settings = {
    "target group HealthCheckIntervalSeconds x HealthyThresholdCount":
        "ELB user guide, 'Health checks for target groups': a target turns healthy after "
        "HealthyThresholdCount consecutive successful checks, one every "
        "HealthCheckIntervalSeconds",
    "target group deregistration_delay.timeout_seconds":
        "ELB user guide, 'Deregistration delay': a deregistering target drains this long",
    "task definition healthCheck.interval":
        "ECS task definition parameters: the first container health check runs one "
        "interval after the container starts",
    "deploymentConfiguration.bakeTimeInMinutes x 60":
        "DeploymentConfiguration reference: the BAKE_TIME stage, blue and green both running after the "
        "production traffic shift",
    "canaryConfiguration.canaryBakeTimeInMinutes x 60 (default 10 min)":
        "CanaryConfiguration reference: the wait after the canary step (canaryPercent, default 5.0) before "
        "the rest of the production traffic moves",
    "linearConfiguration.stepBakeTimeInMinutes x 60 (default 6 min)":
        "LinearConfiguration reference: the wait between steps of stepPercent (default 10.0), not after "
        "the last",
    "lifecycle hook timeoutConfiguration.timeoutInMinutes x 60 (default 1440 min)":
        "DeploymentLifecycleHookTimeoutConfiguration reference: a PAUSE hook waits this long, then takes "
        "its action (default ROLLBACK)",
}


def seconds(name):
    """The table's value for `name`, in AWS seconds (unscaled)."""
    return TABLE[name][0]


def markdown():
    """The table as Markdown, for the README and `critical_path.py --table`."""
    lines = ["| name | AWS seconds | source |", "|---|---|---|"]
    for name, (value, source) in TABLE.items():
        lines.append("| `%s` | %g | %s |" % (name, value, source))
    lines += ["", "| the resource's own setting | source |", "|---|---|"]
    for name, source in settings.items():
        lines.append("| %s | %s |" % (name, source))
    return "\n".join(lines)
