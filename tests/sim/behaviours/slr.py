"""Service-linked roles a fresh account does not have yet: ECS makes its
own on the first cluster and cannot use it at once; Application Auto
Scaling makes its own on the first RegisterScalableTarget, which the
caller must be allowed (iam:CreateServiceLinkedRole)."""
from behaviours import Behaviour
from behaviours.access import access_denied
import wire

ECS_SLR = "ecs.amazonaws.com"
SCALING_SLR = "ecs.application-autoscaling.amazonaws.com"


def slr_exists(world, call, service_name):
    """Whether moto's IAM holds the service-linked role of that service."""
    iam = world.client("iam", call)
    roles = iam.list_roles(PathPrefix="/aws-service-role/%s/" % service_name)["Roles"]
    return bool(roles)


def create_slr(world, call, service_name):
    try:
        world.client("iam", call).create_service_linked_role(AWSServiceName=service_name)
    except Exception:     # made meanwhile
        pass


class EcsServiceLinkedRole(Behaviour):
    name = "ecs.slr"
    what = ("on an account without AWSServiceRoleForECS, ECS makes it on the first CreateCluster; for iam.slr.ecs "
            "seconds CreateCluster with capacity providers and CreateService answer 'Unable to assume the "
            "service linked role'")
    source = ("ECS developer guide, 'Using service-linked roles for Amazon ECS'; "
              "aws-cloudformation/cloudformation-coverage-roadmap issue 818; aws-samples/"
              "baseline-environment-on-aws issue 238 (InvalidParameterException); terraform-provider-aws 11417")

    def before(self, world, call):
        if call.service != "ecs" or call.operation not in ("CreateCluster", "CreateService"):
            return None
        made = world.model("slr.ecs", lambda w: {})
        if call.account not in made:
            if slr_exists(world, call, ECS_SLR):
                made[call.account] = 0.0            # the account had it all along
            elif call.operation == "CreateCluster":
                create_slr(world, call, ECS_SLR)    # ECS makes it, as on AWS
                made[call.account] = world.now()
        since = made.get(call.account)
        needs = call.operation == "CreateService" or call.get("capacityProviders") \
            or call.get("defaultCapacityProviderStrategy")
        if since is not None and needs and world.now() < since + world.seconds("iam.slr.ecs"):
            return wire.error(call, "InvalidParameterException", "Unable to assume the service linked role. "
                              "Please verify that the ECS service linked role exists.")
        return None


class ScalingServiceLinkedRole(Behaviour):
    name = "autoscaling.slr"
    what = ("the first RegisterScalableTarget of an ECS service makes AWSServiceRoleForApplicationAutoScaling_"
            "ECSService and needs iam:CreateServiceLinkedRole (refused when the deny list has it)")
    source = "Application Auto Scaling user guide, 'Service-linked roles for Application Auto Scaling'"

    def before(self, world, call):
        if call.service != "application-autoscaling" or call.operation != "RegisterScalableTarget" \
                or call.get("ServiceNamespace") != "ecs":
            return None
        if slr_exists(world, call, SCALING_SLR):
            return None
        if world.denied("iam:CreateServiceLinkedRole"):
            return access_denied(call, "iam:CreateServiceLinkedRole",
                                 "arn:aws:iam::%s:role/aws-service-role/%s/AWSServiceRoleForApplicationAutoScaling_"
                                 "ECSService" % (call.account, SCALING_SLR))
        create_slr(world, call, SCALING_SLR)
        return None


BEHAVIOURS = [EcsServiceLinkedRole(), ScalingServiceLinkedRole()]
