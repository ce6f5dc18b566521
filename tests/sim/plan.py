"""The recipe (recipes/fargate_alb.lua, as it is) as a graph of AWS work:
each node a step's calls or a wait AWS imposes, with its duration from the
timing table and the recipe's own settings, and what it needs before it can
begin (a value it uses, or an ordering rule of rules.py, or a readiness of
timing.py). critical_path.py finds the longest chain: the physical limit
of a deploy, an update (new image) and a destroy.

Node names that are the recipe's step names are checked against the recipe
(tests/sim/test/test_rules.py), so a step added to the recipe is noticed.
"""
import os
import re

import timing

T = timing.seconds
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RECIPE = os.path.join(ROOT, "recipes", "fargate_alb.lua")


class Node:
    def __init__(self, name, seconds, needs=(), what="", step=True):
        self.name, self.seconds, self.what = name, float(seconds), what
        self.needs = list(needs)        # [(node, why)]
        self.step = step                # a step of the recipe's journal (else a wait)


def recipe_settings(path=RECIPE):
    """The recipe's numbers that set AWS's waits, each with where it came
    from: {name: (seconds or count, provenance)}."""
    text = open(path).read()

    def number(pattern, default, default_source):
        m = re.search(pattern, text, re.S)
        if m:
            line = text.count("\n", 0, m.start()) + 1
            return float(m.group(1)), "%s:%d" % (os.path.relpath(path, ROOT), line)
        return default, default_source
    return {
        "health_interval": number(r"\bhealth_check_interval\s*=\s*(\d+)", 30.0,
                                  "ELB default HealthCheckIntervalSeconds (30)"),
        "healthy_threshold": number(r"\bhealthy_threshold\s*=\s*(\d+)", 5.0,
                                    "ELB default HealthyThresholdCount (5)"),
        "deregistration_delay": number(r"\bderegistration_delay\s*=\s*(\d+)",
                                       T("elbv2.deregistration_delay.default"),
                                       "timing.py elbv2.deregistration_delay.default"),
        "container_health_interval": number(r"health_check\s*=\s*\{.{0,200}?\binterval\s*=\s*(\d+)", None,
                                            "no container health check"),
        "stop_timeout": number(r"stopTimeout\s*=\s*(\d+)", T("ecs.task.stopping"), "timing.py ecs.task.stopping"),
    }


def _graph(nodes):
    return {n.name: n for n in nodes}


def recipe_plan(phase, settings=None, build=0.0):
    """{name: Node} of the recipe's AWS work in `phase` (deploy, update, destroy)."""
    s = {k: v[0] for k, v in (settings or recipe_settings()).items()}
    L, LI = T("api.latency"), T("api.latency.iam")
    checks = s["health_interval"] * s["healthy_threshold"]
    task_start = T("ecs.task.provisioning") + T("ecs.task.pending")
    container = s["container_health_interval"] or 0.0

    def health(lb_needed):
        """A new task is healthy once its targets pass the checks, which begin
        when it is registered and the load balancer is active, and its own
        container health check has passed: then rolloutState is COMPLETED."""
        lb = [("load_balancer_active", "targets are checked once it is active")] if lb_needed else []
        return [
            Node("targets_registered", T("elbv2.registration"), [("tasks_running", "data")],
                 "registration (timing.py elbv2.registration)", step=False),
            Node("targets_healthy", checks, [("targets_registered", "data")] + lb,
                 "HealthyThresholdCount x HealthCheckIntervalSeconds", step=False),
            Node("container_healthy", container, [("tasks_running", "data")],
                 "the container health check's first pass (its interval)", step=False),
            Node("rollout", 0.0, [("targets_healthy", "data"), ("container_healthy", "data")],
                 "rolloutState COMPLETED (old tasks drain after it, off the path)", step=False),
        ]
    if phase == "deploy":
        return _graph([
            Node("suffix", L, what="secretsmanager.GetRandomPassword (a value, not a step)", step=False),
            Node("network", 2 * L, what="ec2.DescribeVpcs, DescribeSubnets", step=False),
            Node("repository", L, [("suffix", "data")], "ecr.CreateRepository"),
            Node("image", build + L, [("repository", "data")], "build, push, ecr.PutImage", step=False),
            Node("image_scan", T("ecr.scan.start") + T("ecr.scan.basic"), [("image", "data")],
                 "scan on push (timing.py ecr.scan.*)", step=False),
            Node("alb_security_group", L, [("network", "data"), ("suffix", "data")], "ec2.CreateSecurityGroup"),
            Node("alb_ingress", T("ec2.sg_visibility") + L, [("alb_security_group", "ingress-needs-group")],
                 "ec2.AuthorizeSecurityGroupIngress once the group is visible"),
            Node("task_security_group", L, [("network", "data"), ("suffix", "data")], "ec2.CreateSecurityGroup"),
            Node("task_ingress", T("ec2.sg_visibility") + L, [("task_security_group", "ingress-needs-group"),
                                                              ("alb_security_group", "data")],
                 "ec2.AuthorizeSecurityGroupIngress"),
            Node("task_egress", T("ec2.sg_visibility") + 2 * L, [("task_security_group", "egress-needs-group")],
                 "ec2.RevokeSecurityGroupEgress, AuthorizeSecurityGroupEgress"),
            Node("alb_egress", T("ec2.sg_visibility") + 2 * L, [("alb_security_group", "egress-needs-group"),
                                                              ("task_security_group", "data")],
                 "ec2.RevokeSecurityGroupEgress, AuthorizeSecurityGroupEgress (to the task group only)"),
            Node("execution_role", LI, [("suffix", "data")], "iam.CreateRole"),
            Node("execution_role_policy", LI, [("execution_role", "attachment-needs-role")], "iam.AttachRolePolicy"),
            Node("task_role", LI, [("suffix", "data")], "iam.CreateRole"),
            Node("task_role_policy", LI, [("task_role", "data")], "iam.PutRolePolicy (only with task_permissions)"),
            Node("task_role_exec", LI, [("task_role", "data")], "iam.PutRolePolicy (only with exec)"),
            Node("execution_role_secrets", LI, [("execution_role", "data")],
                 "iam.PutRolePolicy (only with secrets)"),
            Node("roles_usable", T("iam.propagation"), [("execution_role", "task-definition-needs-roles"),
                                                        ("task_role", "task-definition-needs-roles")],
                 "IAM propagation (timing.py iam.propagation)", step=False),
            Node("cluster", L, [("suffix", "data")], "ecs.CreateCluster"),
            Node("log_group", 2 * L, [("suffix", "data")], "logs.CreateLogGroup, PutRetentionPolicy"),
            Node("task_definition", L, [("image", "data"), ("roles_usable", "task-definition-needs-roles"),
                                        ("log_group", "data")], "ecs.RegisterTaskDefinition"),
            Node("load_balancer", L, [("alb_security_group", "data"), ("network", "data")],
                 "elbv2.CreateLoadBalancer"),
            Node("load_balancer_active", T("elbv2.provisioning"), [("load_balancer", "data")],
                 "provisioning (timing.py elbv2.provisioning)", step=False),
            Node("target_group", L, [("network", "data"), ("suffix", "data")], "elbv2.CreateTargetGroup"),
            Node("listener", L, [("load_balancer", "listener-needs-load-balancer"),
                                 ("target_group", "listener-needs-target-group")], "elbv2.CreateListener"),
            Node("service", L, [("cluster", "data"), ("task_definition", "data"), ("listener", "service-needs-listener"),
                                ("task_security_group", "data"), ("image_scan", "the scan gate"),
                                ("task_ingress", "traffic from the load balancer")], "ecs.CreateService"),
            Node("tasks_running", task_start, [("service", "data")],
                 "PROVISIONING, PENDING (timing.py ecs.task.*)", step=False),
        ] + health(True) + [
            Node("scalable_target", L, [("service", "data")], "application-autoscaling.RegisterScalableTarget"),
            Node("cpu_scaling", L, [("scalable_target", "data")], "application-autoscaling.PutScalingPolicy"),
            Node("memory_scaling", L, [("scalable_target", "data")], "application-autoscaling.PutScalingPolicy"),
        ] + https_and_alarms_deploy(L))
    if phase == "update":
        return _graph([
            Node("image", build + L, what="build, push, ecr.PutImage", step=False),
            Node("image_scan", T("ecr.scan.start") + T("ecr.scan.basic"), [("image", "data")],
                 "scan on push", step=False),
            Node("task_definition", L, [("image", "data")], "ecs.RegisterTaskDefinition"),
            Node("service", L, [("task_definition", "data"), ("image_scan", "the scan gate")], "ecs.UpdateService"),
            Node("tasks_running", task_start, [("service", "data")], "new tasks PROVISIONING, PENDING", step=False),
        ] + health(False))
    if phase == "destroy":
        drain = s["deregistration_delay"] + s["stop_timeout"] + T("ecs.task.deprovisioning")
        return _graph([
            Node("cpu_scaling", L, what="application-autoscaling.DeleteScalingPolicy"),
            Node("memory_scaling", L, what="application-autoscaling.DeleteScalingPolicy"),
            Node("scalable_target", L, what="application-autoscaling.DeregisterScalableTarget"),
            Node("service", 2 * L, what="ecs.UpdateService desiredCount 0, DeleteService"),
            Node("service_inactive", drain + T("ecs.service.inactive"), [("service", "data")],
                 "tasks drain (deregistration delay), stop, deprovision; INACTIVE", step=False),
            Node("listener", L, what="elbv2.DeleteListener"),
            Node("target_group", L, [("listener", "target-group-delete-needs-listener-gone")],
                 "elbv2.DeleteTargetGroup"),
            Node("load_balancer", L, what="elbv2.DeleteLoadBalancer"),
            Node("load_balancer_interfaces", T("elbv2.interfaces_release"), [("load_balancer", "data")],
                 "its network interfaces released (timing.py elbv2.interfaces_release)", step=False),
            Node("task_ingress", L, what="ec2.RevokeSecurityGroupIngress"),
            Node("alb_ingress", L, what="ec2.RevokeSecurityGroupIngress"),
            Node("task_egress", L, what="ec2.RevokeSecurityGroupEgress"),
            Node("alb_egress", L, what="ec2.RevokeSecurityGroupEgress"),
            Node("alb_security_group", L, [("load_balancer_interfaces", "DependencyViolation until then"),
                                           ("task_ingress", "referenced by the task group's rule")],
                 "ec2.DeleteSecurityGroup"),
            Node("task_security_group", L, [("service_inactive", "DependencyViolation until the tasks' interfaces go"),
                                            ("alb_egress", "referenced by the load balancer group's rule")],
                 "ec2.DeleteSecurityGroup"),
            Node("cluster", L, [("service_inactive", "cluster-delete-needs-services-gone")], "ecs.DeleteCluster"),
            Node("task_definition", L, what="ecs.DeregisterTaskDefinition"),
            Node("log_group", L, what="logs.DeleteLogGroup"),
            Node("execution_role_policy", LI, what="iam.DetachRolePolicy"),
            Node("execution_role_secrets", LI, what="iam.DeleteRolePolicy (only with secrets)"),
            Node("execution_role", LI, [("execution_role_policy", "role-delete-needs-detach"),
                                        ("execution_role_secrets", "DeleteConflict while inline policies remain")],
                 "iam.DeleteRole"),
            Node("task_role_policy", LI, what="iam.DeleteRolePolicy (only with task_permissions)"),
            Node("task_role_exec", LI, what="iam.DeleteRolePolicy (only with exec)"),
            Node("task_role", LI, [("task_role_policy", "DeleteConflict while inline policies remain"),
                                   ("task_role_exec", "DeleteConflict while inline policies remain")], "iam.DeleteRole"),
            Node("repository", L, what="ecr.DeleteRepository (force)"),
        ] + https_and_alarms_destroy(L))
    raise ValueError("unknown phase %r (deploy, update, destroy)" % phase)


def https_and_alarms_deploy(L):
    """The steps of the recipe's domain and alarm parameters (issue 20), off by default."""
    return [
        Node("certificate", 3 * L + T("acm.dns_validation"), [],
             "acm.RequestCertificate, route53.ChangeResourceRecordSets, validation (only with domain)"),
        Node("https_listener", L, [("load_balancer", "listener-needs-load-balancer"),
                                   ("target_group", "listener-needs-target-group"), ("certificate", "data")],
             "elbv2.CreateListener HTTPS (only with domain)"),
        Node("dns_record", L, [("load_balancer", "data")], "route53.ChangeResourceRecordSets (only with domain)"),
        Node("alarm_topic", L, what="sns.CreateTopic (only with alarm_email)"),
        Node("alarm_subscription", L, [("alarm_topic", "data")], "sns.Subscribe (only with alarm_email)"),
        Node("unhealthy_hosts_alarm", L, [("alarm_topic", "data"), ("target_group", "data"), ("load_balancer", "data")],
             "cloudwatch.PutMetricAlarm (only with alarms)"),
        Node("http_5xx_alarm", L, [("alarm_topic", "data"), ("load_balancer", "data")],
             "cloudwatch.PutMetricAlarm (only with alarms)"),
        Node("cpu_alarm", L, [("alarm_topic", "data"), ("service", "data")], "cloudwatch.PutMetricAlarm (only with alarms)"),
        Node("memory_alarm", L, [("alarm_topic", "data"), ("service", "data")],
             "cloudwatch.PutMetricAlarm (only with alarms)"),
    ]


def https_and_alarms_destroy(L):
    return [
        Node("unhealthy_hosts_alarm", L, what="cloudwatch.DeleteAlarms"),
        Node("http_5xx_alarm", L, what="cloudwatch.DeleteAlarms"),
        Node("cpu_alarm", L, what="cloudwatch.DeleteAlarms"),
        Node("memory_alarm", L, what="cloudwatch.DeleteAlarms"),
        Node("alarm_subscription", L, what="sns.Unsubscribe"),
        Node("alarm_topic", L, what="sns.DeleteTopic"),
        Node("dns_record", L, what="route53.ChangeResourceRecordSets DELETE"),
        Node("https_listener", L, what="elbv2.DeleteListener"),
        Node("certificate", 2 * L + T("acm.in_use_release"),
             [("https_listener", "ResourceInUseException while a listener uses it (behaviour acm.in_use)")],
             "route53.ChangeResourceRecordSets DELETE, acm.DeleteCertificate"),
    ]


def recipe_steps(path=RECIPE):
    """The step names the recipe declares: d:step, the fg.aws resource
    types (res.<type>("step", ...)), res.task_roles and res.service_alarms
    (the steps of stdlib/fg/aws/task_roles.lua and service_alarms.lua)."""
    text = open(path).read()
    names = set(re.findall(r'd:step\("([a-z_]+)"', text))
    names |= set(re.findall(r'\bres\.[a-z_]+\("([a-z_]+)"', text))
    if re.search(r'\bres\.task_roles\b', text):
        roles = open(os.path.join(ROOT, "stdlib", "fg", "aws", "task_roles.lua")).read()
        names |= set(re.findall(r'(?:\bres\.[a-z_]+|\brole)\("([a-z_]+)"', roles))
    if re.search(r'\bres\.service_alarms\b', text):
        alarms = open(os.path.join(ROOT, "stdlib", "fg", "aws", "service_alarms.lua")).read()
        names |= set(re.findall(r'(?:\bres\.[a-z_]+|\balarm)\("([a-z0-9_]+)"', alarms))
    return names
