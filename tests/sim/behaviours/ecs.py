"""ECS: what CreateService refuses, roles ECS cannot use yet, and the
deployment state machine (model/ecs.py) answering for moto, which reports
every deployment finished at once."""
from behaviours import Behaviour, subnets_and_groups
from behaviours.access import access_denied
from model import ecs
import wire


def _strategy(call):
    return (call.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")


class GroupsInSubnetsVpc(Behaviour):
    name = "ecs.vpc"
    what = "CreateService refuses security groups of another VPC than its subnets'"
    source = ("ECS CreateService (awsvpcConfiguration: groups and subnets of one VPC); the error as "
              "aws/aws-dotnet-deploy pull request 735 reports it: 'Security group sg-... does not appear to "
              "belong to the same VPC as the input subnets.'")

    def before(self, world, call):
        if call.service != "ecs" or call.operation != "CreateService":
            return None
        net = (call.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        if not net.get("subnets") or not net.get("securityGroups"):
            return None
        subnets, groups = subnets_and_groups(world, call, net["subnets"], net["securityGroups"])
        vpcs = {s["VpcId"] for s in subnets or []}
        for g in groups or []:
            if g.get("VpcId") not in vpcs:
                return wire.error(call, "InvalidParameterException", "Security group %s does not appear to "
                                  "belong to the same VPC as the input subnets." % g["GroupId"])
        return None


class TargetGroupNeedsLoadBalancer(Behaviour):
    name = "ecs.needs_listener"
    what = "CreateService refuses a target group that no load balancer routes to (no listener forwards to it yet)"
    source = ("ECS developer guide, 'Use load balancing to distribute Amazon ECS service traffic': the target "
              "group must be associated with a load balancer; InvalidParameterException 'The target group with "
              "targetGroupArn ... does not have an associated load balancer.'")

    def before(self, world, call):
        if call.service != "ecs" or call.operation != "CreateService":
            return None
        for lb in call.get("loadBalancers") or []:
            arn = lb.get("targetGroupArn")
            if not arn:
                continue
            try:
                g = world.client("elbv2", call).describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
            except Exception:
                return None
            if not g.get("LoadBalancerArns"):
                return wire.error(call, "InvalidParameterException", "The target group with targetGroupArn %s "
                                  "does not have an associated load balancer." % arn)
        return None


class RolePropagation(Behaviour):
    name = "iam.propagation"
    what = ("for iam.propagation seconds after CreateRole, RegisterTaskDefinition is refused iam:PassRole on "
            "the role and ECS cannot launch tasks with it (the service retries after ecs.launch_retry)")
    source = "terraform-aws-ecs issue 414; pulumi-awsx issue 927; IAM user guide (eventual consistency)"

    def observe(self, world, call, answer):
        if call.service == "iam" and call.operation == "CreateRole" and answer.ok:
            root = answer.xml()
            arn = root.find(".//Role/Arn")
            if arn is not None:
                ecs.model(world).roles[arn.text] = world.now()

    def before(self, world, call):
        if call.service != "ecs" or call.operation != "RegisterTaskDefinition":
            return None
        roles = ecs.model(world).roles
        for key in ("executionRoleArn", "taskRoleArn"):
            made = roles.get(call.get(key))
            if made is not None and world.now() < made + world.seconds("iam.propagation"):
                return access_denied(call, "iam:PassRole", call.get(key))
        return None


class Deployments(Behaviour):
    name = "ecs.deployments"
    what = ("services take time: tasks PROVISIONING -> PENDING -> RUNNING, healthy after their target groups' "
            "checks, rolloutState IN_PROGRESS -> COMPLETED, old tasks draining, DRAINING -> INACTIVE after "
            "DeleteService; DeleteCluster refused while services or tasks remain")
    source = ("ECS developer guide 'Task lifecycle', 'Deploy Amazon ECS services by replacing tasks' "
              "(minimumHealthyPercent, maximumPercent), DeleteService and DeleteCluster references; timing.py")

    def before(self, world, call):
        if call.service != "ecs":
            return None
        if call.operation in ("CreateService", "UpdateService") and _strategy(call) not in ecs.STRATEGIES:
            return wire.error(call, "SimulatorNotImplemented", "the AWS simulator models %s deployments only, "
                              "not %s (issue 19)" % (", ".join(ecs.STRATEGIES), _strategy(call)), 501)
        if call.operation == "DeleteCluster":
            m, now = ecs.model(world), world.now()
            m.observe_all(now)
            cluster = call.get("cluster", "")
            mine = [s for s in m.services.values() if cluster in (s.cluster_arn, s.cluster_name)]
            if any(s.status(now) != "INACTIVE" for s in mine):
                return wire.error(call, "ClusterContainsServicesException",
                                  "The Cluster cannot be deleted while Services are active.")
            if any(t.last_status(now) != "STOPPED" for s in mine for t in s.tasks):
                return wire.error(call, "ClusterContainsTasksException",
                                  "The Cluster cannot be deleted while Tasks are active.")
        return None

    def observe(self, world, call, answer):
        if call.service != "ecs" or not answer.ok:
            return
        m = ecs.model(world)
        if call.operation == "CreateService" and world.is_on(self.name):
            m.create_service(call, answer.json()["service"])
        elif call.operation == "UpdateService":
            svc = m.services.get(answer.json().get("service", {}).get("serviceArn"))
            if svc is not None:
                m.update_service(call, svc, call.params)
        elif call.operation == "DeleteService":
            svc = m.services.get(answer.json().get("service", {}).get("serviceArn"))
            if svc is not None:
                m.delete_service(svc)

    def after(self, world, call, answer):
        if call.service != "ecs" or not answer.ok:
            return answer
        m, now = ecs.model(world), world.now()
        if call.operation == "DescribeServices":
            body = answer.json()
            for s in body.get("services", []):
                svc = m.services.get(s.get("serviceArn"))
                if svc is None:
                    continue
                m.advance(svc, now)
                deployments = [d.describe(world, svc, now, i == 0) for i, d in enumerate(svc.deployments)]
                status = [t.last_status(now) for t in svc.tasks]
                s.update(status=svc.status(now), desiredCount=svc.desired,
                         runningCount=sum(x == "RUNNING" for x in status),
                         pendingCount=sum(x in ("PROVISIONING", "PENDING") for x in status),
                         deployments=deployments if svc.deleted_at is None else [],
                         events=[e for e in svc.events if e["createdAt"] <= ecs.wall(world, now)]
                         + list(s.get("events") or []))
                if svc.deployments:
                    s["taskDefinition"] = svc.primary().task_definition.arn
            answer.set_json(body)
        elif call.operation == "ListTasks":
            body = answer.json()
            want = call.get("desiredStatus", "RUNNING")
            for svc in m.services.values():
                if call.get("cluster", "default") not in (svc.cluster_arn, svc.cluster_name):
                    continue
                if call.get("serviceName") not in (None, svc.name, svc.arn):
                    continue
                m.advance(svc, now)
                for t in svc.tasks:
                    if now >= t.created and t.describe(world, now)["desiredStatus"] == want:
                        body.setdefault("taskArns", []).append(t.arn)
            answer.set_json(body)
        elif call.operation == "DescribeTasks":
            body = answer.json()
            tasks = {t.arn: (svc, t) for svc in m.services.values() for t in svc.tasks}
            found = []
            for arn in call.get("tasks") or []:
                if arn in tasks:
                    svc, t = tasks[arn]
                    m.advance(svc, now)
                    found.append(t.describe(world, now))
            if found:
                body["tasks"] = list(body.get("tasks") or []) + found
                body["failures"] = [f for f in body.get("failures") or [] if f.get("arn") not in tasks]
            answer.set_json(body)
        return answer


# What CreateService and UpdateService set that DescribeServices reports
# (the ECS API reference's Service data type).
SERVICE_SETTINGS = ("launchType", "capacityProviderStrategy", "deploymentConfiguration",
                    "healthCheckGracePeriodSeconds", "enableExecuteCommand", "platformVersion",
                    "networkConfiguration", "propagateTags")


class ServiceSettings(Behaviour):
    name = "ecs.service_settings"
    what = ("DescribeServices reports the settings the service was created or last updated with (moto "
            "drops CreateService's capacity provider strategy, deployment configuration, health check grace "
            "period and ECS Exec setting, and reports launchType EC2)")
    source = ("ECS API reference: DescribeServices answers Service objects whose launchType, "
              "capacityProviderStrategy, deploymentConfiguration (maximumPercent, minimumHealthyPercent, "
              "deploymentCircuitBreaker), healthCheckGracePeriodSeconds, enableExecuteCommand and "
              "networkConfiguration are those CreateService or UpdateService set; UpdateService: a "
              "capacityProviderStrategy replaces the launch type")

    @staticmethod
    def _settings(world):
        return world.models.setdefault("ecs.service_settings", {})

    def observe(self, world, call, answer):
        if call.service != "ecs" or not answer.ok or call.operation not in ("CreateService", "UpdateService"):
            return
        arn = answer.json().get("service", {}).get("serviceArn")
        if not arn:
            return
        kept = self._settings(world).setdefault(arn, {})
        given = {k: call.get(k) for k in SERVICE_SETTINGS if call.get(k) is not None}
        if call.operation == "CreateService" and "capacityProviderStrategy" not in given:
            given.setdefault("launchType", "EC2")
        if given.get("capacityProviderStrategy"):
            kept.pop("launchType", None)
        elif "capacityProviderStrategy" in given:  # an empty list: back to the launch type
            given.pop("capacityProviderStrategy")
            kept.pop("capacityProviderStrategy", None)
            given.setdefault("launchType", "FARGATE")
        if "launchType" in given:
            kept.pop("capacityProviderStrategy", None)
        kept.update(given)

    def after(self, world, call, answer):
        if call.service != "ecs" or call.operation != "DescribeServices" or not answer.ok:
            return answer
        body = answer.json()
        settings = self._settings(world)
        for s in body.get("services", []):
            kept = settings.get(s.get("serviceArn"))
            if not kept:
                continue
            for k in ("launchType", "capacityProviderStrategy"):  # one or the other, as kept
                s.pop(k, None)
            s.update(kept)
        answer.set_json(body)
        return answer


BEHAVIOURS = [GroupsInSubnetsVpc(), TargetGroupNeedsLoadBalancer(), RolePropagation(), ServiceSettings(),
              Deployments()]
