"""ECS services on the simulator's clock.

A service has deployments (service revisions: PRIMARY first, then ACTIVE
ones being replaced), tasks, and a history of service deployments
(model/service_deployments.py), the newest of which is driven by its
strategy (model/strategies.py: ROLLING, BLUE_GREEN, CANARY, LINEAR).
Tasks go PROVISIONING -> PENDING -> RUNNING, and when stopped DEACTIVATING
(deregistered from their target groups, draining for the groups'
deregistration delay) -> STOPPING (the stop timeout) -> DEPROVISIONING ->
STOPPED; their network interface lives from launch to STOPPED. A task of
a failing image (options.ecs_failing_images) stops on its own soon after
it starts, its essential container exiting with code 1; the service
deployment's circuit breaker counts it. A deleted service is DRAINING
until its tasks have stopped, then INACTIVE.

Nothing runs in the background: `advance(service, now)` replays the events
due since the last look, in time order, each time the service is observed.
"""
import fnmatch
import math
import random
import uuid

from model import elb, strategies
from model.service_deployments import ServiceDeployment

# A container image matching one of these globs exits with code 1 right after it starts (a marker a
# test puts in an image's name or tag; options.ecs_failing_images replaces the list).
FAILING_IMAGES = ["*sim-fail*"]


class Task:
    def __init__(self, world, service, deployment, at, subnet, zone, failing=False):
        self.id = uuid.uuid4().hex
        self.arn = "arn:aws:ecs:%s:%s:task/%s/%s" % (service.region, service.account, service.cluster_name, self.id)
        self.service, self.deployment = service, deployment
        self.created = at
        self.pending_at = at + world.seconds("ecs.task.provisioning")
        self.running_at = self.pending_at + world.seconds("ecs.task.pending")
        self.subnet, self.zone = subnet, zone
        self.ip = "10.%d.%d.%d" % (random.randrange(256), random.randrange(256), random.randrange(1, 255))
        self.eni = "eni-%s" % uuid.uuid4().hex[:17]
        td = deployment.task_definition
        self.container_healthy_at = (self.running_at + world.scaled(td.health_interval)
                                     if td.health_interval is not None else None)
        self.fails_at = self.running_at + world.seconds("ecs.task.failing_run") if failing else None
        self.exit_code = None
        self.stop_decided = None        # DEACTIVATING from here
        self.stopping_at = self.deprovisioning_at = self.stopped_at = None
        self.stopped_reason = None
        self.targets = []               # (target group model, target model)
        self.healthy_at = None          # when ECS counts it healthy (None: not yet known / never)

    def last_status(self, now):
        for at, status in ((self.stopped_at, "STOPPED"), (self.deprovisioning_at, "DEPROVISIONING"),
                           (self.stopping_at, "STOPPING"), (self.stop_decided, "DEACTIVATING")):
            if at is not None and now >= at:
                return status
        if now >= self.running_at:
            return "RUNNING"
        return "PENDING" if now >= self.pending_at else "PROVISIONING"

    def health_status(self, now):
        if self.container_healthy_at is not None and now >= self.container_healthy_at \
                and self.last_status(now) in ("RUNNING", "DEACTIVATING"):
            return "HEALTHY"
        return "UNKNOWN"

    def holds_interface(self, now):
        return self.stopped_at is None or now < self.stopped_at

    def stop(self, world, at, reason):
        """ECS decides at `at` to stop the task: deregister (drain), stop, deprovision."""
        if self.stop_decided is not None:
            return
        self.stop_decided, self.stopped_reason = at, reason
        drain = 0.0
        for tg, target in self.targets:
            if at >= target.registered:
                target.deregistered = at
                drain = max(drain, world.scaled(tg.deregistration_delay))
            else:
                tg.targets.pop((target.id, target.port), None)    # never registered
        if at < self.running_at:
            self.stopping_at = at
            self.deprovisioning_at = at
        else:
            self.stopping_at = at + drain
            self.deprovisioning_at = self.stopping_at + world.seconds("ecs.task.stopping")
        self.stopped_at = self.deprovisioning_at + world.seconds("ecs.task.deprovisioning")

    def fail(self, world, at):
        """Its essential container exited at `at`: deregistered (its targets drain on their own), no
        stop timeout to wait, deprovisioned."""
        self.stop_decided, self.stopped_reason, self.exit_code = at, "Essential container in task exited", 1
        for tg, target in self.targets:
            if at >= target.registered:
                target.deregistered = at
        self.stopping_at = self.deprovisioning_at = at
        self.stopped_at = at + world.seconds("ecs.task.deprovisioning")

    def describe(self, world, now):
        status = self.last_status(now)
        out = {
            "taskArn": self.arn, "clusterArn": self.service.cluster_arn,
            "taskDefinitionArn": self.deployment.task_definition.arn,
            "group": "service:" + self.service.name, "startedBy": self.deployment.id,
            "lastStatus": status, "desiredStatus": "STOPPED" if self.stop_decided is not None
            and now >= self.stop_decided else "RUNNING",
            "healthStatus": self.health_status(now), "launchType": self.service.launch_type,
            "cpu": self.deployment.task_definition.cpu, "memory": self.deployment.task_definition.memory,
            "availabilityZone": self.zone, "connectivity": "CONNECTED" if status != "PROVISIONING" else None,
            "createdAt": world.wall(self.created), "platformVersion": "1.4.0", "version": 1,
            "attachments": [{"id": self.eni, "type": "ElasticNetworkInterface",
                             "status": "ATTACHED" if status not in ("PROVISIONING", "STOPPED") else status,
                             "details": [{"name": "subnetId", "value": self.subnet},
                                         {"name": "networkInterfaceId", "value": self.eni},
                                         {"name": "privateIPv4Address", "value": self.ip}]}],
            "containers": [{"name": c, "lastStatus": "RUNNING" if status in ("RUNNING", "DEACTIVATING")
                            else ("STOPPED" if status in ("STOPPING", "DEPROVISIONING", "STOPPED") else "PENDING"),
                            "healthStatus": self.health_status(now), "taskArn": self.arn,
                            "networkInterfaces": [{"privateIpv4Address": self.ip}]}
                           for c in self.deployment.task_definition.containers],
        }
        if self.exit_code is not None and status in ("STOPPING", "DEPROVISIONING", "STOPPED"):
            for c in out["containers"]:
                c["exitCode"] = self.exit_code
        if now >= self.running_at and (self.stopped_at is None or self.running_at < self.stop_decided):
            out["startedAt"] = world.wall(self.running_at)
        if self.stop_decided is not None and now >= self.stop_decided:
            out["stoppedReason"] = self.stopped_reason
            out["stopCode"] = "EssentialContainerExited" if self.exit_code else "ServiceSchedulerInitiated"
            out["stoppingAt"] = world.wall(self.stop_decided)
        if status == "STOPPED":
            out["stoppedAt"] = world.wall(self.stopped_at)
        return {k: v for k, v in out.items() if v is not None}


class TaskDefinition:
    """What the model needs of a task definition (read from moto once)."""

    def __init__(self, td):
        self.arn = td["taskDefinitionArn"]
        self.roles = [r for r in (td.get("executionRoleArn"), td.get("taskRoleArn")) if r]
        self.containers = [c["name"] for c in td.get("containerDefinitions", [])]
        self.images = [c.get("image", "") for c in td.get("containerDefinitions", [])]
        intervals = [c["healthCheck"].get("interval", 30) for c in td.get("containerDefinitions", [])
                     if c.get("healthCheck")]
        self.health_interval = max(intervals) if intervals else None
        self.cpu, self.memory = td.get("cpu"), td.get("memory")



class Deployment:
    """A service revision being run: a task definition at a desired count in
    target groups (`groups`: [(target group ARN, container port)])."""

    def __init__(self, world, svc, task_definition, desired, groups, at, revision_arn=None):
        self.id = new_deployment_id()
        self.revision_arn = revision_arn or "arn:aws:ecs:%s:%s:service-revision/%s/%s/%d" % (
            svc.region, svc.account, svc.cluster_name, svc.name, random.randrange(10 ** 18, 10 ** 19))
        self.task_definition, self.desired, self.groups = task_definition, desired, list(groups)
        self.created, self.updated = at, at
        self.rollout, self.rollout_reason = "IN_PROGRESS", None
        self.failed_tasks = 0

    def describe(self, world, service, now, primary):
        tasks = [t for t in service.tasks if t.deployment is self]
        status = [t.last_status(now) for t in tasks]
        reason = self.rollout_reason or "ECS deployment %s %s." % (
            self.id, "completed" if self.rollout == "COMPLETED" else "in progress")
        return {
            "id": self.id, "status": "PRIMARY" if primary else "ACTIVE",
            "taskDefinition": self.task_definition.arn, "desiredCount": self.desired if primary else 0,
            "pendingCount": sum(s in ("PROVISIONING", "PENDING") for s in status),
            "runningCount": sum(s == "RUNNING" for s in status),
            "failedTasks": self.failed_tasks,
            "createdAt": world.wall(self.created), "updatedAt": world.wall(self.updated),
            "launchType": service.launch_type,
            "networkConfiguration": service.network,
            "rolloutState": self.rollout,
            "rolloutStateReason": reason,
        }


# CreateService reference, deploymentConfiguration: maximumPercent 200 and minimumHealthyPercent 100
# for a REPLICA service when not given; the circuit breaker is off unless enabled; strategy ROLLING.
DEFAULT_CONFIGURATION = {"maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "ROLLING",
                         "deploymentCircuitBreaker": {"enable": False, "rollback": False}}


class Service:
    def __init__(self, world, call, s, subnets, config):
        self.arn, self.name = s["serviceArn"], s["serviceName"]
        self.cluster_arn = s["clusterArn"]
        self.cluster_name = self.cluster_arn.rsplit("/", 1)[-1]
        self.region, self.account = call.region, call.account
        self.desired = s.get("desiredCount", 0)
        self.launch_type = s.get("launchType") or "FARGATE"
        self.network = s.get("networkConfiguration") or {}
        vpc = self.network.get("awsvpcConfiguration", {})
        self.groups = list(vpc.get("securityGroups", []))
        self.subnets = subnets                  # [(subnet, zone)]
        self.config = dict(DEFAULT_CONFIGURATION, **(config or {}))
        self.load_balancers = list(s.get("loadBalancers") or [])
        self.deployments, self.tasks, self.events = [], [], []
        self.history = []                       # ServiceDeployment, newest first
        self.deleted_at = self.inactive_at = None
        self.clock = world.now()
        self.next_launch_at = 0.0
        self.steady = False
        self._spread = 0
        self.call = call                # moto is asked as this caller

    @property
    def max_percent(self):
        return self.config["maximumPercent"]

    @property
    def min_percent(self):
        return self.config["minimumHealthyPercent"]

    def primary(self):
        return self.deployments[0] if self.deployments else None

    def current(self):
        """The newest service deployment."""
        return self.history[0] if self.history else None

    def target_groups(self):
        """[(target group ARN, container port)] of the service's load balancers as configured."""
        return [(lb["targetGroupArn"], lb.get("containerPort")) for lb in self.load_balancers
                if lb.get("targetGroupArn")]

    def event(self, world, at, message):
        self.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": world.wall(at), "message": message})
        del self.events[100:]

    def status(self, now):
        if self.deleted_at is None:
            return "ACTIVE"
        return "INACTIVE" if self.inactive_at is not None and now >= self.inactive_at else "DRAINING"

    def describe(self, world, now):
        """What DescribeServices (and CreateService, UpdateService) answer that moto does not know."""
        status = [t.last_status(now) for t in self.tasks]
        out = {"status": self.status(now), "desiredCount": self.desired,
               "runningCount": sum(x == "RUNNING" for x in status),
               "pendingCount": sum(x in ("PROVISIONING", "PENDING") for x in status),
               "deployments": [d.describe(world, self, now, i == 0) for i, d in enumerate(self.deployments)]
               if self.deleted_at is None else [],
               "deploymentConfiguration": self.config}
        if self.deployments:
            out["taskDefinition"] = self.primary().task_definition.arn
        if self.history:
            out["currentServiceDeployment"] = self.current().arn
        return out


class EcsModel:
    def __init__(self, world):
        self.world = world
        self.services = {}          # arn -> Service
        self.task_definitions = {}  # arn -> TaskDefinition
        self.roles = {}             # role ARN -> when CreateRole answered

    # --- building ------------------------------------------------------------------
    def task_definition(self, call, ref):
        for td in self.task_definitions.values():
            if td.arn == ref:
                return td
        got = self.world.client("ecs", call).describe_task_definition(taskDefinition=ref)["taskDefinition"]
        td = self.task_definitions[got["taskDefinitionArn"]] = TaskDefinition(got)
        return td

    def failing(self, td):
        globs = self.world.options.get("ecs_failing_images", FAILING_IMAGES)
        return any(fnmatch.fnmatchcase(image, g) for image in td.images for g in globs)

    def create_service(self, call, s):
        w, now = self.world, self.world.now()
        subnets = s.get("networkConfiguration", {}).get("awsvpcConfiguration", {}).get("subnets", [])
        zones = []
        if subnets:
            try:
                for sn in w.client("ec2", call).describe_subnets(SubnetIds=subnets)["Subnets"]:
                    zones.append((sn["SubnetId"], sn["AvailabilityZone"]))
            except Exception:
                zones = [(sn, None) for sn in subnets]
        # moto drops the deployment configuration of CreateService: the request's is the one
        svc = Service(w, call, s, zones or [(None, None)], call.get("deploymentConfiguration"))
        td = self.task_definition(call, s["taskDefinition"])
        d = Deployment(w, svc, td, svc.desired, svc.target_groups(), now)
        d.id = (s.get("deployments") or [{}])[0].get("id") or d.id
        self.services[svc.arn] = svc
        self._deploy(svc, d, now)
        self.advance(svc, now)
        return svc

    def _deploy(self, svc, d, at):
        """Starts a service deployment to revision `d` with the service's strategy."""
        previous = svc.current()
        if previous is not None and previous.in_flight():
            previous.finish(at, "STOPPED", "a newer service deployment started")
        # the revisions that ran before, the last completed first: what a rollback returns to
        sources = sorted(svc.deployments, key=lambda x: x.rollout != "COMPLETED")
        strategy = strategies.STRATEGIES[svc.config.get("strategy", "ROLLING")](svc.config)
        svc.deployments.insert(0, d)
        sd = ServiceDeployment(self.world, svc, d, sources, svc.config, strategy, at)
        svc.history.insert(0, sd)
        svc.steady = False
        strategy.start(self, svc, sd, at)

    def update_service(self, call, svc, params):
        w, now = self.world, self.world.now()
        self.advance(svc, now)
        primary = svc.primary()
        if "desiredCount" in params:
            svc.desired = params["desiredCount"]
        svc.config.update(params.get("deploymentConfiguration") or {})
        td = self.task_definition(call, params["taskDefinition"]) if params.get("taskDefinition") else primary.task_definition
        changed = (td is not primary.task_definition or params.get("forceNewDeployment")
                   or ("networkConfiguration" in params and params["networkConfiguration"] != svc.network)
                   or ("loadBalancers" in params and params["loadBalancers"] != svc.load_balancers))
        if "networkConfiguration" in params:
            svc.network = params["networkConfiguration"]
            svc.groups = list(svc.network.get("awsvpcConfiguration", {}).get("securityGroups", []))
        if "loadBalancers" in params:
            svc.load_balancers = list(params["loadBalancers"])
        if changed:
            self._deploy(svc, Deployment(w, svc, td, svc.desired, svc.target_groups(), now), now)
        else:
            primary.desired, primary.updated = svc.desired, now
        self.advance(svc, now)

    def redeploy(self, svc, source, at):
        """A new deployment of an earlier revision, made PRIMARY (a rolling rollback)."""
        svc.deployments.insert(0, Deployment(self.world, svc, source.task_definition, svc.desired, source.groups,
                                             at, revision_arn=source.revision_arn))

    def delete_service(self, svc):
        w, now = self.world, self.world.now()
        self.advance(svc, now)
        svc.deleted_at, svc.desired = now, 0
        for t in svc.tasks:
            t.stop(w, now, "Service %s deleted" % svc.name)
        self._maybe_inactive(svc)

    def _maybe_inactive(self, svc):
        if svc.deleted_at is not None and svc.inactive_at is None:
            last = max([t.stopped_at for t in svc.tasks] + [svc.deleted_at])
            svc.inactive_at = last + self.world.seconds("ecs.service.inactive")

    def launch(self, svc, deployment, at):
        """Starts one task of the deployment at `at` in its target groups, or records why ECS could not."""
        w = self.world
        if w.is_on("iam.propagation"):
            for role in deployment.task_definition.roles:
                made = self.roles.get(role)
                if made is not None and at < made + w.seconds("iam.propagation"):
                    deployment.failed_tasks += 1
                    svc.next_launch_at = at + w.seconds("ecs.launch_retry")
                    svc.event(w, at, "(service %s) failed to launch a task with (error ECS was unable to assume the "
                              "role '%s' that was provided for this task. Please verify that the role being passed "
                              "has the proper trust relationship and permissions and that your IAM user has "
                              "permissions to pass this role.)." % (svc.name, role))
                    return None
        subnet, zone = svc.subnets[svc._spread % len(svc.subnets)]
        svc._spread += 1
        failing = self.failing(deployment.task_definition)
        task = Task(w, svc, deployment, at, subnet, zone, failing=failing)
        m = elb.model(w)
        ready = [task.running_at]
        if task.container_healthy_at is not None:
            ready.append(task.container_healthy_at)
        for arn, port in deployment.groups:
            tg = m.group(svc.call, arn)
            target = elb.Target(task.ip, str(port), task.running_at, task.running_at, zone=zone, task=task.arn)
            tg.targets[(target.id, target.port)] = target
            task.targets.append((tg, target))
            healthy = m.healthy_at(tg, target, m.load_balancer_of(svc.call, tg.arn))
            ready.append(healthy if healthy is not None else math.inf)
        task.healthy_at = max(ready) if math.inf not in ready and not failing else None
        svc.tasks.append(task)
        svc.event(w, at, "(service %s) has started 1 tasks: (task %s)." % (svc.name, task.id))
        return task

    # --- service deployments: failures, rollback, hooks --------------------------------
    def _task_failed(self, svc, task, at):
        task.fail(self.world, at)
        task.deployment.failed_tasks += 1
        sd = svc.current()
        if sd is None or sd.status != "IN_PROGRESS" or task.deployment is not sd.target:
            return
        sd.failures += 1
        if sd.breaker and sd.failures >= sd.threshold:
            sd.triggered = True
            reason = "circuit breaker: %d tasks failed to start" % sd.failures
            if sd.breaker_rollback:
                self.roll_back(svc, sd, at, reason)
            else:
                sd.target.rollout, sd.target.rollout_reason = "FAILED", "ECS deployment %s failed: %s." % (
                    sd.target.id, reason)
                sd.finish(at, "STOPPED", reason)
                svc.event(self.world, at, "(service %s) (deployment %s) deployment failed: tasks failed to start."
                          % (svc.name, sd.target.id))

    def roll_back(self, svc, sd, at, reason):
        """Rolls the service deployment back to its source revision (the circuit breaker, a hook's
        ROLLBACK, StopServiceDeployment)."""
        w, target, source = self.world, sd.target, sd.source
        target.rollout, target.rollout_reason = "FAILED", "ECS deployment %s rolled back: %s." % (target.id, reason)
        if source is None:      # a first deployment has nothing to roll back to
            sd.finish(at, "STOPPED", reason)
            return
        sd.status, sd.updated = "ROLLBACK_IN_PROGRESS", at
        sd.reason = reason
        sd.rollback = {"reason": reason, "startedAt": at, "serviceRevisionArn": source.revision_arn}
        svc.event(w, at, "(service %s) (deployment %s) deployment failed: %s; rolling back to the service revision "
                  "%s." % (svc.name, target.id, reason, source.revision_arn))
        sd.strategy.rollback(self, svc, sd, at)
        svc.steady = False

    def stop_deployment(self, svc, sd, at):
        """StopServiceDeployment ROLLBACK: whether it could (a deployment in progress with a revision to
        return to)."""
        self.advance(svc, at)
        if sd.status != "IN_PROGRESS" or sd.source is None or not sd.strategy.can_roll_back(sd):
            return False
        self.roll_back(svc, sd, at, "StopServiceDeployment requested a rollback")
        self.advance(svc, at)
        return True

    def continue_hook(self, svc, sd, hook_id, action, at):
        """ContinueServiceDeployment: the hook waiting, or None."""
        self.advance(svc, at)
        hook = next((h for h in sd.awaiting() if h.id == hook_id), None)
        if hook is None or sd.status != "IN_PROGRESS":
            return None
        if action == "ROLLBACK":
            hook.status = "FAILED"
            self.roll_back(svc, sd, at, "ContinueServiceDeployment rolled back at hook %s (%s)" % (hook.id, hook.stage))
        else:
            hook.status = "SUCCEEDED"
        self.advance(svc, at)
        return hook

    # --- time ---------------------------------------------------------------------------
    def _events(self, svc):
        times = [svc.next_launch_at]
        for t in svc.tasks:
            times += [x for x in (t.healthy_at, t.stopped_at, t.running_at, t.fails_at) if x is not None]
        sd = svc.current()
        if sd is not None:
            times += sd.strategy.due(svc, sd)
        return times

    def advance(self, svc, now):
        """Replays what the scheduler did between the last look and `now`."""
        while True:
            due = sorted(x for x in self._events(svc) if svc.clock < x <= now)
            at = due[0] if due else now
            for t in svc.tasks:
                if t.fails_at is not None and t.fails_at <= at and t.stop_decided is None:
                    self._task_failed(svc, t, t.fails_at)
            sd = svc.current()
            if sd is not None:
                sd.strategy.reconcile(self, svc, sd, at)
            self._maybe_inactive(svc)
            svc.clock = at
            if not due:
                break

    def observe_all(self, now):
        for svc in self.services.values():
            self.advance(svc, now)

    def tasks_holding(self, group, now):
        self.observe_all(now)
        return [t.arn for svc in self.services.values() for t in svc.tasks
                if group in svc.groups and t.holds_interface(now)]

    def find_deployment(self, arn):
        """(service, service deployment) of a service deployment ARN, or (None, None)."""
        for svc in self.services.values():
            for sd in svc.history:
                if sd.arn == arn:
                    return svc, sd
        return None, None


def new_deployment_id():
    return "ecs-svc/%019d" % random.randrange(10 ** 18, 10 ** 19)


def model(world):
    return world.model("ecs", EcsModel)
