"""Permissions: a deny list the test sets (the permissions it removed from
the caller), answered as each service answers a call IAM does not allow,
and IAM's policy simulator answering from the same list (moto has none).

The deny list holds IAM actions or globs: "ecs:CreateService", "iam:PassRole",
"ecs:Tag*". A call needs its own action and, for some parameters, more
(IMPLIED below, each with its source).
"""
from behaviours import Behaviour
import wire

# A call's action is "<prefix>:<Operation>"; the prefix is the signing name
# for the nine services fgrun uses (elasticloadbalancing, application-autoscaling, ...).

TAGGING = ("Tagging on create needs the service's tag permission besides the create action: "
           "ECS developer guide 'Grant permission to tag resources on creation'; ELB user guide "
           "'Tag on create' (elasticloadbalancing:AddTags); EC2 user guide 'Grant permission to tag "
           "resources during creation' (ec2:CreateTags); ECR, CloudWatch Logs and IAM API references "
           "for CreateRepository, CreateLogGroup, CreateRole and CreatePolicy")


def _tags(name, action):
    return lambda call: [(action, "*")] if call.has_prefix(name) else []


def _pass_roles(call):
    return [("iam:PassRole", call.get(k)) for k in ("executionRoleArn", "taskRoleArn") if call.get(k)]


# (service, operation) -> [(needs(call) -> [(action, resource)], source)]
IMPLIED = {
    ("ecs", "RegisterTaskDefinition"): [
        (_pass_roles, "terraform-aws-ecs issue 414: RegisterTaskDefinition is refused iam:PassRole on "
                      "the task's roles; ECS developer guide 'Task execution IAM role'"),
        (_tags("tags", "ecs:TagResource"), TAGGING)],
    ("ecs", "CreateCluster"): [(_tags("tags", "ecs:TagResource"), TAGGING)],
    ("ecs", "CreateService"): [(_tags("tags", "ecs:TagResource"), TAGGING)],
    ("elasticloadbalancing", "CreateLoadBalancer"): [(_tags("Tags", "elasticloadbalancing:AddTags"), TAGGING)],
    ("elasticloadbalancing", "CreateTargetGroup"): [(_tags("Tags", "elasticloadbalancing:AddTags"), TAGGING)],
    ("elasticloadbalancing", "CreateListener"): [(_tags("Tags", "elasticloadbalancing:AddTags"), TAGGING)],
    ("ec2", "CreateSecurityGroup"): [(_tags("TagSpecification", "ec2:CreateTags"), TAGGING)],
    ("ecr", "CreateRepository"): [(_tags("tags", "ecr:TagResource"), TAGGING)],
    ("logs", "CreateLogGroup"): [(_tags("tags", "logs:TagResource"), TAGGING)],
    ("iam", "CreateRole"): [(_tags("Tags", "iam:TagRole"), TAGGING)],
    ("iam", "CreatePolicy"): [(_tags("Tags", "iam:TagPolicy"), TAGGING)],
}


def required(call):
    """Every (action, resource) the call needs."""
    out = [("%s:%s" % (call.service, call.operation), "*")]
    for needs, _source in IMPLIED.get((call.service, call.operation), ()):
        out += needs(call)
    return out


def access_denied(call, action, resource):
    """The answer a service gives a caller IAM does not allow `action`
    (IAM user guide, 'Troubleshoot access denied error messages': "User: <arn>
    is not authorized to perform: <action> on resource: <arn> because no
    identity-based policy allows the <action> action")."""
    text = ("User: %s is not authorized to perform: %s on resource: %s because no identity-based "
            "policy allows the %s action" % (call.principal, action, resource, action))
    if call.protocol == "ec2":
        return wire.error(call, "UnauthorizedOperation", "You are not authorized to perform this operation. "
                          + text + ". Encoded authorization failure message: sim-encoded", 403)
    if call.protocol in ("query", "rest-xml"):
        return wire.error(call, "AccessDenied", text, 403)
    return wire.error(call, "AccessDeniedException", text, 400)


class Deny(Behaviour):
    name = "iam.deny"
    what = "a call the test's deny list does not allow is refused as IAM refuses it, in that service's format"
    source = "IAM user guide, 'Troubleshoot access denied error messages'; IMPLIED in access.py"

    def before(self, world, call):
        if not world.deny:
            return None
        for action, resource in required(call):
            if world.denied(action):
                return access_denied(call, action, resource)
        return None


class Simulate(Behaviour):
    name = "iam.simulate"
    what = "IAM SimulatePrincipalPolicy answers from the deny list (moto does not implement it)"
    source = "IAM API reference, SimulatePrincipalPolicy (EvalDecision allowed / implicitDeny)"

    def before(self, world, call):
        if call.service != "iam" or call.operation != "SimulatePrincipalPolicy":
            return None
        actions = call.members("ActionNames")
        if not actions:
            return wire.error(call, "ValidationError", "ActionNames must not be empty")
        resources = call.members("ResourceArns") or ["*"]
        results = []
        for action in actions:
            denied = world.denied(action)
            results.append({
                "EvalActionName": action, "EvalResourceName": resources[0],
                "EvalDecision": "implicitDeny" if denied else "allowed",
                "MatchedStatements": [], "MissingContextValues": [],
            })
        return wire.answer(call, {"EvaluationResults": results, "IsTruncated": False})


BEHAVIOURS = [Deny(), Simulate()]
