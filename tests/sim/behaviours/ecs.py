"""ECS: what CreateService refuses, roles ECS cannot use yet, and the
deployment state machine (model/ecs.py, model/strategies.py) answering for
moto, which reports every deployment finished at once and knows no service
deployments (ListServiceDeployments and the rest are the simulator's)."""
from behaviours import Behaviour, subnets_and_groups
from behaviours.access import access_denied
from model import ecs, strategies
import wire

TRAFFIC_SHIFTING = ("BLUE_GREEN", "CANARY", "LINEAR")


def _configuration(call):
    return call.get("deploymentConfiguration") or {}


def _invalid(call, message):
    return wire.error(call, "InvalidParameterException", message)


def watched(world, call):
    """The simulator's model of the service a call names (cluster, service), or None."""
    cluster, name = call.get("cluster") or "default", call.get("service") or ""
    for svc in ecs.model(world).services.values():
        if name in (svc.name, svc.arn) and cluster in (svc.cluster_name, svc.cluster_arn):
            return svc
    return None


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
        if call.service == "elasticloadbalancing" and call.operation in ("DescribeRules", "DescribeListeners",
                                                                         "DescribeTargetHealth"):
            ecs.model(world).observe_all(world.now())       # weights and targets ECS moved meanwhile
            return None
        if call.service != "ecs":
            return None
        if call.operation in ("CreateService", "UpdateService"):
            for hook in _configuration(call).get("lifecycleHooks") or []:
                if hook.get("targetType", "AWS_LAMBDA") != "PAUSE":
                    return wire.error(call, "SimulatorNotImplemented", "the AWS simulator runs PAUSE lifecycle "
                                      "hooks only, not %s" % hook.get("targetType", "AWS_LAMBDA"), 501)
        answer = self.service_deployments(world, call)
        if answer is not None:
            return answer
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

    def service_deployments(self, world, call):
        """The answer to ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment and
        ContinueServiceDeployment (ECS API reference), or None for any other call."""
        m, now, op = ecs.model(world), world.now(), call.operation
        if op == "ListServiceDeployments":
            svc = self._service(world, call)
            if isinstance(svc, wire.Answer):
                return svc
            found = []
            if svc is not None:
                m.advance(svc, now)
                after, before = (call.get("createdAt") or {}).get("after"), (call.get("createdAt") or {}).get("before")
                found = [sd.brief(world, svc) for sd in svc.history
                         if (not call.get("status") or sd.status in call.get("status"))
                         and (after is None or world.wall(sd.created) >= after)
                         and (before is None or world.wall(sd.created) <= before)]
            start, size = int(call.get("nextToken") or 0), int(call.get("maxResults") or 20)
            out = {"serviceDeployments": found[start:start + size]}
            if start + size < len(found):
                out["nextToken"] = str(start + size)
            return wire.answer(call, out)
        if op == "DescribeServiceDeployments":
            out, failures = [], []
            for arn in call.get("serviceDeploymentArns") or []:
                svc, sd = m.find_deployment(arn)
                if sd is None:
                    failures.append({"arn": arn, "reason": "MISSING"})
                    continue
                m.advance(svc, now)
                out.append(sd.describe(world, svc, now))
            return wire.answer(call, {"serviceDeployments": out, "failures": failures})
        if op in ("StopServiceDeployment", "ContinueServiceDeployment"):
            svc, sd = m.find_deployment(call.get("serviceDeploymentArn"))
            if sd is None:
                return wire.error(call, "ServiceDeploymentNotFoundException", "The service deployment %s does not "
                                  "exist." % call.get("serviceDeploymentArn"))
            if op == "StopServiceDeployment":
                if call.get("stopType", "ROLLBACK") != "ROLLBACK":
                    return wire.error(call, "SimulatorNotImplemented", "the AWS simulator models "
                                      "StopServiceDeployment with stopType ROLLBACK only", 501)
                if not m.stop_deployment(svc, sd, now):
                    return wire.error(call, "ConflictException", "The service deployment %s is %s%s: it cannot be "
                                      "rolled back." % (sd.arn, sd.status, " (%s)" % sd.stage if sd.stage else ""))
            elif m.continue_hook(svc, sd, call.get("hookId"), call.get("action", "CONTINUE"), now) is None:
                return _invalid(call, "No lifecycle hook %s awaits an action in service deployment %s."
                                % (call.get("hookId"), sd.arn))
            return wire.answer(call, {"serviceDeploymentArn": sd.arn})
        return None

    def _service(self, world, call):
        """The model of the call's service, None when the simulator did not watch it being made, or
        moto's error answer when no such service exists."""
        svc = watched(world, call)
        if svc is not None:
            return svc
        try:
            found = world.client("ecs", call).describe_services(cluster=call.get("cluster") or "default",
                                                                services=[call.get("service") or ""])["services"]
        except Exception:
            found = []
        if not found:
            return wire.error(call, "ServiceNotFoundException", "Service not found.")
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
        if call.operation in ("DescribeServices", "CreateService", "UpdateService"):
            body = answer.json()
            for s in body.get("services") or [body.get("service") or {}]:
                svc = m.services.get(s.get("serviceArn"))
                if svc is None:
                    continue
                m.advance(svc, now)
                s.update(svc.describe(world, now))
                s["events"] = [e for e in svc.events if e["createdAt"] <= world.wall(now)] + list(s.get("events") or [])
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


class StrategySettings(Behaviour):
    name = "ecs.strategies"
    what = ("CreateService and UpdateService refuse what AWS refuses of BLUE_GREEN, CANARY and LINEAR: a PAUSE "
            "hook at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT, a hook without stages, BLUE_GREEN without "
            "bakeTimeInMinutes, canary or linear settings of another strategy or out of range, a load balancer "
            "without the alternate target group, production listener rule and infrastructure role, a listener "
            "rule that does not forward to both target groups")
    source = ("ECS API reference: DeploymentLifecycleHook ('PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT "
              "or PRODUCTION_TRAFFIC_SHIFT stages'), DeploymentConfiguration (bakeTimeInMinutes 'must provide ... "
              "BLUE_GREEN'; linear/canaryConfiguration 'Only valid when the deployment strategy is ...'), "
              "LinearConfiguration (stepPercent 3.0 to 100.0, stepBakeTimeInMinutes 0 to 1440), CanaryConfiguration "
              "(canaryPercent 0.1 to 100.0, canaryBakeTimeInMinutes 0 to 1440); ECS developer guide, 'Application "
              "Load Balancer resources for blue/green deployments' (two target groups, a listener rule, the "
              "infrastructure role; the production and test listener rules forward to both target groups)")

    def before(self, world, call):
        if call.service != "ecs" or call.operation not in ("CreateService", "UpdateService"):
            return None
        svc = watched(world, call) if call.operation == "UpdateService" else None
        config = dict(svc.config if svc else {}, **_configuration(call))
        strategy = config.get("strategy", "ROLLING")
        for hook in config.get("lifecycleHooks") or []:
            stages = hook.get("lifecycleStages") or []
            if not stages:
                return _invalid(call, "lifecycleStages must be provided for a deployment lifecycle hook.")
            refused = [s for s in stages if s in strategies.HOOK_STAGES_REFUSED_FOR_PAUSE]
            if hook.get("targetType") == "PAUSE" and refused:
                return _invalid(call, "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or "
                                "PRODUCTION_TRAFFIC_SHIFT stages (%s given)." % ", ".join(refused))
        for key, wanted in (("linearConfiguration", "LINEAR"), ("canaryConfiguration", "CANARY")):
            if key in _configuration(call) and strategy != wanted:
                return _invalid(call, "%s is only valid when the deployment strategy is %s." % (key, wanted))
        checks = [("linearConfiguration", "stepPercent", 3.0, 100.0, 0.1),
                  ("linearConfiguration", "stepBakeTimeInMinutes", 0, 1440, 1),
                  ("canaryConfiguration", "canaryPercent", 0.1, 100.0, 0.1),
                  ("canaryConfiguration", "canaryBakeTimeInMinutes", 0, 1440, 1)]
        for key, field, low, high, unit in checks:
            value = (config.get(key) or {}).get(field)
            if value is not None and not (low <= value <= high and abs(value / unit - round(value / unit)) < 1e-6):
                return _invalid(call, "%s.%s must be from %g to %g in steps of %g (%s given)."
                                % (key, field, low, high, unit, value))
        if strategy not in TRAFFIC_SHIFTING:
            return None
        if strategy == "BLUE_GREEN" and config.get("bakeTimeInMinutes") is None:
            return _invalid(call, "bakeTimeInMinutes must be provided for the BLUE_GREEN deployment strategy.")
        lbs = call.get("loadBalancers")
        if lbs is None:
            lbs = svc.load_balancers if svc else []
        for lb in lbs:
            adv = lb.get("advancedConfiguration") or {}
            missing = [k for k in ("alternateTargetGroupArn", "productionListenerRule", "roleArn") if not adv.get(k)]
            if missing:
                return _invalid(call, "The %s deployment strategy needs advancedConfiguration with %s for the load "
                                "balancer of target group %s." % (strategy, ", ".join(missing),
                                                                  lb.get("targetGroupArn")))
            both = {lb.get("targetGroupArn"), adv["alternateTargetGroupArn"]}
            for key in ("productionListenerRule", "testListenerRule"):
                if adv.get(key) and not both <= set(strategies.rule_weights(ecs.model(world), call, adv[key])):
                    return _invalid(call, "The listener rule %s (%s) must forward to both target groups %s and %s."
                                    % (adv[key], key, lb.get("targetGroupArn"), adv["alternateTargetGroupArn"]))
        return None


BEHAVIOURS = [GroupsInSubnetsVpc(), TargetGroupNeedsLoadBalancer(), RolePropagation(), ServiceSettings(),
              StrategySettings(),
              Deployments()]
