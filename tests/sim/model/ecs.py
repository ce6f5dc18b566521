"""ECS services on the simulator's clock: the deployment state machine.

A service has deployments (PRIMARY first, then ACTIVE ones being replaced)
and tasks. Tasks go PROVISIONING -> PENDING -> RUNNING, and when stopped
DEACTIVATING (deregistered from the target groups, draining for the
groups' deregistration delay) -> STOPPING (the stop timeout) ->
DEPROVISIONING -> STOPPED; their network interface lives from launch to
STOPPED. The scheduler (`_reconcile`) launches tasks for the PRIMARY
deployment up to maximumPercent, stops old ones down to
minimumHealthyPercent of healthy tasks, marks the PRIMARY deployment's
rolloutState COMPLETED once its desired count of tasks is healthy (in
every target group, and by the container health check when there is
one), and drops an old deployment once its tasks have stopped. A deleted
service is DRAINING until its tasks have stopped, then INACTIVE.

Nothing runs in the background: `advance(service, now)` replays the events
due since the last look, in time order, each time the service is observed.

Strategies: a deployment's `strategy` decides what the scheduler does at
each event (`Rolling` is ECS's rolling update). Issue 19's BLUE_GREEN,
CANARY and LINEAR fit as further strategies: each adds lifecycle stages
(`stage` below: PRE_SCALE_UP, SCALE_UP, TEST_TRAFFIC_SHIFT,
PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP) on the same clock, launching
the new revision's tasks at full size into the alternate target group and
moving listener-rule weights at stage times, then stopping the old tasks
after the bake time. Until then a strategy other than ROLLING is refused
(behaviours/ecs.py) rather than silently treated as rolling.
"""
import math
import random
import time
import uuid

from model import elb

class Task:
    def __init__(self, world, service, deployment, at, subnet, zone):
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
            "createdAt": wall(world, self.created), "platformVersion": "1.4.0", "version": 1,
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
        if now >= self.running_at and (self.stopped_at is None or self.running_at < self.stop_decided):
            out["startedAt"] = wall(world, self.running_at)
        if self.stop_decided is not None and now >= self.stop_decided:
            out["stoppedReason"] = self.stopped_reason
            out["stopCode"] = "ServiceSchedulerInitiated"
            out["stoppingAt"] = wall(world, self.stop_decided)
        if status == "STOPPED":
            out["stoppedAt"] = wall(world, self.stopped_at)
        return {k: v for k, v in out.items() if v is not None}


class TaskDefinition:
    """What the model needs of a task definition (read from moto once)."""

    def __init__(self, td):
        self.arn = td["taskDefinitionArn"]
        self.roles = [r for r in (td.get("executionRoleArn"), td.get("taskRoleArn")) if r]
        self.containers = [c["name"] for c in td.get("containerDefinitions", [])]
        intervals = [c["healthCheck"].get("interval", 30) for c in td.get("containerDefinitions", [])
                     if c.get("healthCheck")]
        self.health_interval = max(intervals) if intervals else None
        self.cpu, self.memory = td.get("cpu"), td.get("memory")


class Rolling:
    """ECS's rolling update (deploymentController ECS, strategy ROLLING)."""
    name = "ROLLING"

    def reconcile(self, model, service, at):
        world, primary = model.world, service.primary()
        if service.deleted_at is None and primary is not None:
            live = [t for t in service.tasks if t.stop_decided is None]
            mine = [t for t in live if t.deployment is primary]
            # new tasks up to maximumPercent of the desired count
            limit = max(math.floor(service.desired * service.max_percent / 100.0), 1 if primary.desired else 0)
            while len(mine) < primary.desired and len(live) < limit and at >= service.next_launch_at:
                task = model.launch(service, primary, at)
                if task is None:
                    break
                live.append(task)
                mine.append(task)
            for extra in sorted(mine, key=lambda t: t.created)[primary.desired:]:
                extra.stop(world, at, "Scaling activity initiated by (deployment %s)" % primary.id)
                live.remove(extra)
            # old tasks go while the healthy ones stay at minimumHealthyPercent
            floor_ = math.ceil(service.desired * service.min_percent / 100.0)
            healthy = [t for t in live if t.healthy_at is not None and at >= t.healthy_at]
            for t in sorted((t for t in live if t.deployment is not primary), key=lambda t: t.created):
                if t in healthy:
                    if len(healthy) - 1 < floor_:
                        continue
                    healthy.remove(t)
                t.stop(world, at, "Task stopped by ECS deployment %s" % primary.id)
            done = [t for t in mine if t.healthy_at is not None and at >= t.healthy_at]
            if primary.rollout == "IN_PROGRESS" and len(done) >= primary.desired:
                primary.rollout = "COMPLETED"
                service.event(world, at, "(service %s) (deployment %s) deployment completed." % (service.name, primary.id))
        for d in list(service.deployments[1:]):
            if all(t.stopped_at is not None and at >= t.stopped_at for t in service.tasks if t.deployment is d):
                service.deployments.remove(d)
        if primary is not None and len(service.deployments) == 1 and primary.rollout == "COMPLETED" \
                and not service.steady and service.deleted_at is None:
            service.steady = True
            service.event(world, at, "(service %s) has reached a steady state." % service.name)


STRATEGIES = {"ROLLING": Rolling}


class Deployment:
    def __init__(self, world, did, task_definition, desired, strategy, at):
        self.id, self.task_definition, self.desired = did, task_definition, desired
        self.strategy = strategy
        self.created, self.updated = at, at
        self.rollout = "IN_PROGRESS"
        self.failed_tasks = 0

    def describe(self, world, service, now, primary):
        tasks = [t for t in service.tasks if t.deployment is self]
        status = [t.last_status(now) for t in tasks]
        return {
            "id": self.id, "status": "PRIMARY" if primary else "ACTIVE",
            "taskDefinition": self.task_definition.arn, "desiredCount": self.desired if primary else 0,
            "pendingCount": sum(s in ("PROVISIONING", "PENDING") for s in status),
            "runningCount": sum(s == "RUNNING" for s in status),
            "failedTasks": self.failed_tasks,
            "createdAt": wall(world, self.created), "updatedAt": wall(world, self.updated),
            "launchType": service.launch_type,
            "networkConfiguration": service.network,
            "rolloutState": self.rollout,
            "rolloutStateReason": "ECS deployment %s %s." % (self.id, "completed" if self.rollout == "COMPLETED"
                                                             else "in progress"),
        }


class Service:
    def __init__(self, world, call, s, subnets):
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
        dc = s.get("deploymentConfiguration") or {}
        self.max_percent = dc.get("maximumPercent", 200)
        self.min_percent = dc.get("minimumHealthyPercent", 100)
        self.load_balancers = list(s.get("loadBalancers") or [])
        self.deployments, self.tasks, self.events = [], [], []
        self.deleted_at = self.inactive_at = None
        self.clock = world.now()
        self.next_launch_at = 0.0
        self.steady = False
        self._spread = 0
        self.call = call                # moto is asked as this caller

    def primary(self):
        return self.deployments[0] if self.deployments else None

    def event(self, world, at, message):
        self.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": wall(world, at), "message": message})
        del self.events[100:]

    def status(self, now):
        if self.deleted_at is None:
            return "ACTIVE"
        return "INACTIVE" if self.inactive_at is not None and now >= self.inactive_at else "DRAINING"


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

    def create_service(self, call, s):
        w = self.world
        subnets = s.get("networkConfiguration", {}).get("awsvpcConfiguration", {}).get("subnets", [])
        zones = []
        if subnets:
            try:
                for sn in w.client("ec2", call).describe_subnets(SubnetIds=subnets)["Subnets"]:
                    zones.append((sn["SubnetId"], sn["AvailabilityZone"]))
            except Exception:
                zones = [(sn, None) for sn in subnets]
        svc = Service(w, call, s, zones or [(None, None)])
        strategy = STRATEGIES[(s.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")]()
        td = self.task_definition(call, s["taskDefinition"])
        did = (s.get("deployments") or [{}])[0].get("id") or new_deployment_id()
        svc.deployments.append(Deployment(w, did, td, svc.desired, strategy, w.now()))
        self.services[svc.arn] = svc
        self.advance(svc, w.now())
        return svc

    def update_service(self, call, svc, params):
        w, now = self.world, self.world.now()
        self.advance(svc, now)
        primary = svc.primary()
        if "desiredCount" in params:
            svc.desired = params["desiredCount"]
        dc = params.get("deploymentConfiguration") or {}
        svc.max_percent = dc.get("maximumPercent", svc.max_percent)
        svc.min_percent = dc.get("minimumHealthyPercent", svc.min_percent)
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
            strategy = STRATEGIES[dc.get("strategy", primary.strategy.name)]()
            svc.deployments.insert(0, Deployment(w, new_deployment_id(), td, svc.desired, strategy, now))
            svc.steady = False
        else:
            primary.desired, primary.updated = svc.desired, now
        self.advance(svc, now)

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
        """Starts one task of the deployment at `at`, or records why ECS could not."""
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
        task = Task(w, svc, deployment, at, subnet, zone)
        m = elb.model(w)
        ready = [task.running_at]
        if task.container_healthy_at is not None:
            ready.append(task.container_healthy_at)
        for lb in svc.load_balancers:
            tg = m.group(svc.call, lb["targetGroupArn"])
            target = elb.Target(task.ip, str(lb.get("containerPort")), task.running_at, task.running_at,
                                zone=zone, task=task.arn)
            tg.targets[(target.id, target.port)] = target
            task.targets.append((tg, target))
            healthy = m.healthy_at(tg, target, m.load_balancer_of(svc.call, tg.arn))
            ready.append(healthy if healthy is not None else math.inf)
        task.healthy_at = max(ready) if math.inf not in ready else None
        svc.tasks.append(task)
        svc.event(w, at, "(service %s) has started 1 tasks: (task %s)." % (svc.name, task.id))
        return task

    # --- time ---------------------------------------------------------------------------
    def _events(self, svc):
        times = [svc.next_launch_at]
        for t in svc.tasks:
            times += [x for x in (t.healthy_at, t.stopped_at, t.running_at) if x is not None]
        return times

    def advance(self, svc, now):
        """Replays what the scheduler did between the last look and `now`."""
        while True:
            due = sorted(x for x in self._events(svc) if svc.clock < x <= now)
            at = due[0] if due else now
            primary = svc.primary()
            if primary is not None:
                primary.strategy.reconcile(self, svc, at)
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


def new_deployment_id():
    return "ecs-svc/%019d" % random.randrange(10 ** 18, 10 ** 19)


def wall(world, at):
    """Epoch seconds of a monotonic instant."""
    return round(time.time() - (world.now() - at), 3)


def model(world):
    return world.model("ecs", EcsModel)
