"""AWS's ordering rules, and checks of an order of calls or steps against them.

A rule says which call needs which earlier one to have answered, for the
same resource. The simulator enforces some of them (behaviours) and moto
others; here they are data, for two uses:

  check_log(entries)      the simulator's log of calls (GET /__sim/log):
                          every call that needs an earlier one came after
                          it answered; returns the violations
  check_journal(journal)  a deployment journal's steps: every step began
                          after the steps it needs (plan.py) were done

Timing facts (a load balancer active before targets pass health checks, a
role usable iam.propagation seconds after CreateRole) are the timing
model's (timing.py); the critical path (critical_path.py) combines both.
"""
import json


import re

# --- the identifiers a call names (kept in the simulator's log) ---------------

_REQUEST_KEYS = ("LoadBalancerArn", "TargetGroupArn", "ListenerArn", "GroupId", "cluster", "service", "serviceName",
                 "clusterName", "RoleName", "PolicyArn", "repositoryName", "logGroupName", "taskDefinition", "family")
# what a create answers with: the new resource's identifier, under the name later calls use
_ANSWER_KEYS = {
    "elasticloadbalancing.CreateLoadBalancer": [("LoadBalancerArn", rb"<LoadBalancerArn>([^<]+)<")],
    "elasticloadbalancing.CreateTargetGroup": [("TargetGroupArn", rb"<TargetGroupArn>([^<]+)<")],
    "elasticloadbalancing.CreateListener": [("ListenerArn", rb"<ListenerArn>([^<]+)<")],
    "ec2.CreateSecurityGroup": [("GroupId", rb"<groupId>([^<]+)<")],
    "iam.CreateRole": [("Arn", rb"<Arn>([^<]+)<")],
    "iam.CreatePolicy": [("PolicyArn", rb"<Arn>([^<]+)<")],
}


def log_keys(call, answer):
    """{key: value or [values]} of the resources a call names or makes."""
    keys = {}
    for name in _REQUEST_KEYS:
        v = call.params.get(name)
        if isinstance(v, str):
            keys[name] = _short(name, v)
    forward = [v for k, v in call.params.items() if isinstance(v, str)
               and re.match(r"(Default)?Actions\.member\.\d+\.(ForwardConfig\.TargetGroups\.member\.\d+\.)?"
                            r"TargetGroupArn$", k)]
    if forward:
        keys["forward:TargetGroupArn"] = forward
    lbs = call.params.get("loadBalancers")
    if isinstance(lbs, list):
        keys["loadBalancers:targetGroupArn"] = [lb.get("targetGroupArn") for lb in lbs if isinstance(lb, dict)]
    roles = [call.params.get(k) for k in ("executionRoleArn", "taskRoleArn") if isinstance(call.params.get(k), str)]
    if roles:
        keys["roles"] = roles
    if answer is not None and answer.ok:
        for name, pattern in _ANSWER_KEYS.get("%s.%s" % (call.service, call.operation), ()):
            m = re.search(pattern, answer.body or b"")
            if m:
                keys[name] = m.group(1).decode()
    return keys


def _short(name, value):
    """ECS names a cluster or service by name or ARN: keep the name."""
    return value.rsplit("/", 1)[-1] if name in ("cluster", "service") and value.startswith("arn:") else value


class Rule:
    """`later` needs `earlier` to have answered for the same resource: a
    later call naming `key[0]` = v needs an earlier successful call naming
    `key[1]` = v. For removals (`removal`) the earlier call must undo every
    use the log saw being made."""

    def __init__(self, name, later, earlier, key, source, removal=None):
        self.name, self.later, self.earlier, self.key, self.source = name, later, earlier, key, source
        self.removal = removal


RULES = [
    Rule("listener-needs-load-balancer", "elasticloadbalancing.CreateListener",
         "elasticloadbalancing.CreateLoadBalancer", ("LoadBalancerArn", "LoadBalancerArn"),
         "ELB CreateListener reference: the load balancer must exist (it need not be active)"),
    Rule("listener-needs-target-group", "elasticloadbalancing.CreateListener",
         "elasticloadbalancing.CreateTargetGroup", ("forward:TargetGroupArn", "TargetGroupArn"),
         "ELB CreateListener reference: a forward action names an existing target group"),
    Rule("service-needs-listener", "ecs.CreateService", "elasticloadbalancing.CreateListener",
         ("loadBalancers:targetGroupArn", "forward:TargetGroupArn"),
         "ECS: 'The target group ... does not have an associated load balancer' (behaviour ecs.needs_listener)"),
    Rule("ingress-needs-group", "ec2.AuthorizeSecurityGroupIngress", "ec2.CreateSecurityGroup", ("GroupId", "GroupId"),
         "EC2: a group's rules need the group ('Eventual consistency in the Amazon EC2 API': and its visibility)"),
    Rule("egress-needs-group", "ec2.AuthorizeSecurityGroupEgress", "ec2.CreateSecurityGroup",
         ("GroupId", "GroupId"), "as ingress-needs-group"),
    Rule("task-definition-needs-roles", "ecs.RegisterTaskDefinition", "iam.CreateRole", ("roles", "Arn"),
         "iam:PassRole on the task's roles, once IAM has them (terraform-aws-ecs issue 414)"),
    Rule("attachment-needs-role", "iam.AttachRolePolicy", "iam.CreateRole", ("RoleName", "RoleName"),
         "IAM AttachRolePolicy reference: the role must exist"),
    Rule("target-group-delete-needs-listener-gone", "elasticloadbalancing.DeleteTargetGroup",
         "elasticloadbalancing.DeleteListener", ("TargetGroupArn", "ListenerArn"),
         "ELB DeleteTargetGroup reference: ResourceInUse while a listener uses it",
         removal=("elasticloadbalancing.CreateListener", "forward:TargetGroupArn", "ListenerArn")),
    Rule("cluster-delete-needs-services-gone", "ecs.DeleteCluster", "ecs.DeleteService", ("cluster", "service"),
         "ECS DeleteCluster reference: ClusterContainsServicesException while services are active",
         removal=("ecs.CreateService", "cluster", "serviceName")),
    Rule("role-delete-needs-detach", "iam.DeleteRole", "iam.DetachRolePolicy", ("RoleName", "PolicyArn"),
         "IAM DeleteRole reference: DeleteConflict while policies are attached",
         removal=("iam.AttachRolePolicy", "RoleName", "PolicyArn")),
    Rule("policy-delete-needs-detach", "iam.DeletePolicy", "iam.DetachRolePolicy", ("PolicyArn", "RoleName"),
         "IAM DeletePolicy reference: DeleteConflict while attached",
         removal=("iam.AttachRolePolicy", "PolicyArn", "RoleName")),
]

BY_NAME = {r.name: r for r in RULES}


def _values(entry, name):
    v = entry.get("keys", {}).get(name)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _op(entry):
    return "%s.%s" % (entry["service"], entry["operation"])


def _ok(entry):
    return 200 <= entry["status"] < 300


def check_log(entries):
    """Violations of RULES in a simulator log (the entries GET /__sim/log
    gives, in order): [(rule name, entry number, text)]. Only successful
    calls are checked, and only against what the log saw being made (a
    resource made before the log began is taken as there)."""
    out = []
    for i, e in enumerate(entries):
        if not _ok(e):
            continue
        for rule in RULES:
            if rule.later != _op(e):
                continue
            if rule.removal:
                out += _check_removal(rule, entries, i)
                continue
            later_key, earlier_key = rule.key
            for value in _values(e, later_key):
                made = [j for j, x in enumerate(entries) if _op(x) == rule.earlier and _ok(x)
                        and value in _values(x, earlier_key)]
                if made and min(made) > i:
                    out.append((rule.name, e["n"], "%s (%s) came before %s answered for it"
                                % (_op(e), value, rule.earlier)))
    return out


def _check_removal(rule, entries, i):
    """Every use made (rule.removal = (op, key naming this resource, key of
    the use)) must be undone by rule.earlier before entries[i]."""
    e = entries[i]
    own_key, undo_key = rule.key
    use_op, use_key, use_id = rule.removal
    out = []
    for value in _values(e, own_key):
        for j, x in enumerate(entries[:i]):
            if _op(x) != use_op or not _ok(x) or value not in _values(x, use_key):
                continue
            for use in _values(x, use_id):
                undone = any(_op(y) == rule.earlier and _ok(y) and use in _values(y, undo_key)
                             and (rule.earlier != "iam.DetachRolePolicy" or value in _values(y, own_key))
                             for y in entries[j + 1:i])
                # a load balancer's deletion takes its listeners with it
                undone = undone or any(_op(y) == "elasticloadbalancing.DeleteLoadBalancer" and _ok(y)
                                       and set(_values(y, "LoadBalancerArn")) & set(_values(x, "LoadBalancerArn"))
                                       for y in entries[j + 1:i] if use_op.endswith("CreateListener"))
                if not undone:
                    out.append((rule.name, e["n"], "%s (%s) came while %s still held (%s)"
                                % (_op(e), value, use, use_op)))
    return out


def check_journal(journal, phase="deploy"):
    """Violations of the recipe plan's order in a journal (a path or the
    decoded data): [(step, needed step, text)]. Steps run in the journal's
    order; with timestamps, a needed step must have finished before the step
    started."""
    import plan
    if isinstance(journal, str):
        with open(journal) as f:
            journal = json.load(f)
    steps = journal.get("steps", [])
    order = {s["name"]: i for i, s in enumerate(steps)}
    by_name = {s["name"]: s for s in steps}
    out = []
    for node in plan.recipe_plan(phase).values():
        if node.name not in order:
            continue
        for dep, _why in node.needs:
            if dep not in order:
                continue
            if order[dep] > order[node.name]:
                out.append((node.name, dep, "%s began before %s, which it needs" % (node.name, dep)))
                continue
            done, began = by_name[dep].get("finished_at"), by_name[node.name].get("started_at")
            if done and began and done > began:
                out.append((node.name, dep, "%s began at %s, before %s finished at %s" % (node.name, began, dep, done)))
    return out
