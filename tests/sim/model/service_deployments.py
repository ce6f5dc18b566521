"""Service deployments: ECS's record of one change of a service, as
ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment
and ContinueServiceDeployment show and change it (ECS developer guide,
'View service history using Amazon ECS service deployments').

A service deployment moves the service from its source revisions (the
deployments that ran before) to a target revision (model/ecs.py
Deployment); its strategy (model/strategies.py) drives it. What it holds:
status (IN_PROGRESS -> SUCCESSFUL; ROLLBACK_IN_PROGRESS ->
ROLLBACK_SUCCESSFUL; STOPPED), the lifecycle stage of a blue/green, canary
or linear deployment, the traffic weights it asked for, its PAUSE hooks,
the circuit breaker's count of failed tasks, and the rollback.
"""
import math
import random
import string
import uuid

# ServiceDeploymentCircuitBreaker reference: 'minimum threshold of 3 and a maximum threshold of 200 ...
# 0.5 * desired task count'
BREAKER_MIN, BREAKER_MAX, BREAKER_SHARE = 3, 200, 0.5

IN_FLIGHT = ("PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")

# DeploymentLifecycleHookTimeoutConfiguration reference: timeoutInMinutes default 1440 (24 hours),
# action default ROLLBACK
HOOK_TIMEOUT_MINUTES, HOOK_TIMEOUT_ACTION = 1440, "ROLLBACK"


def breaker_threshold(desired):
    return min(BREAKER_MAX, max(BREAKER_MIN, int(math.ceil(BREAKER_SHARE * desired))))


class Hook:
    """One PAUSE hook waiting at a stage (Pause hooks for Amazon ECS service
    deployments: a hookId, AWAITING_ACTION until ContinueServiceDeployment
    or the timeout)."""

    def __init__(self, world, spec, stage, at):
        self.id = "ecs-pause-" + "".join(random.choice(string.ascii_letters + string.digits + "_")
                                         for _ in range(43))
        self.stage = stage
        timeout = spec.get("timeoutConfiguration") or {}
        self.expires_at = at + world.scaled(60 * timeout.get("timeoutInMinutes", HOOK_TIMEOUT_MINUTES))
        self.timeout_action = timeout.get("action", HOOK_TIMEOUT_ACTION)
        self.status = "AWAITING_ACTION"

    def describe(self, world):
        return {"hookId": self.id, "targetType": "PAUSE", "status": self.status,
                "expiresAt": world.wall(self.expires_at), "timeoutAction": self.timeout_action}


class ServiceDeployment:
    def __init__(self, world, svc, target, sources, config, strategy, at):
        self.id = uuid.uuid4().hex[:22]
        self.arn = "arn:aws:ecs:%s:%s:service-deployment/%s/%s/%s" % (svc.region, svc.account, svc.cluster_name,
                                                                      svc.name, self.id)
        self.target, self.sources = target, list(sources)
        self.config = dict(config)
        self.strategy = strategy
        self.created = self.started = self.updated = at
        self.finished = self.stopped = None
        self.status, self.reason = "IN_PROGRESS", None
        self.stage = None                   # lifecycle stage (blue/green, canary, linear)
        self.hooks = []                     # Hook
        self.weights = {}                   # revision ARN -> (production %, test %) asked for
        self.rollback = None                # {"reason", "startedAt", "serviceRevisionArn"}
        self.failures = 0                   # failed tasks of the target revision
        breaker = self.config.get("deploymentCircuitBreaker") or {}
        self.breaker = bool(breaker.get("enable"))
        self.breaker_rollback = bool(breaker.get("rollback"))
        self.threshold = breaker_threshold(target.desired)
        self.triggered = False

    @property
    def source(self):
        """The revision that served before: the newest source."""
        return self.sources[0] if self.sources else None

    def in_flight(self):
        return self.status in IN_FLIGHT

    def finish(self, at, status, reason=None):
        self.status, self.updated = status, at
        if reason:
            self.reason = reason
        if status == "STOPPED":
            self.stopped = at
        else:
            self.finished = at

    def awaiting(self):
        return [h for h in self.hooks if h.status == "AWAITING_ACTION"]

    # --- what the APIs show --------------------------------------------------------
    def _revision(self, world, svc, d, now):
        status = [t.last_status(now) for t in svc.tasks if t.deployment is d]
        out = {"arn": d.revision_arn, "requestedTaskCount": d.desired if d in svc.deployments else 0,
               "runningTaskCount": sum(s == "RUNNING" for s in status),
               "pendingTaskCount": sum(s in ("PROVISIONING", "PENDING") for s in status)}
        if d.revision_arn in self.weights:
            out["requestedProductionTrafficWeight"], out["requestedTestTrafficWeight"] = self.weights[d.revision_arn]
        return out

    def brief(self, world, svc):
        out = {"serviceDeploymentArn": self.arn, "serviceArn": svc.arn, "clusterArn": svc.cluster_arn,
               "createdAt": world.wall(self.created), "startedAt": world.wall(self.started),
               "targetServiceRevisionArn": self.target.revision_arn, "status": self.status}
        if self.finished is not None:
            out["finishedAt"] = world.wall(self.finished)
        if self.reason:
            out["statusReason"] = self.reason
        return out

    def describe(self, world, svc, now):
        out = self.brief(world, svc)
        del out["targetServiceRevisionArn"]
        out.update(updatedAt=world.wall(self.updated),
                   sourceServiceRevisions=[self._revision(world, svc, d, now) for d in self.sources],
                   targetServiceRevision=self._revision(world, svc, self.target, now),
                   deploymentConfiguration=self.config)
        if self.stopped is not None:
            out["stoppedAt"] = world.wall(self.stopped)
        if self.stage:
            out["lifecycleStage"] = self.stage
        hooks = [h for h in self.hooks if h.stage == self.stage] or self.hooks[-1:]
        if hooks:
            out["lifecycleHookDetails"] = [h.describe(world) for h in hooks]
        if self.rollback:
            out["rollback"] = dict(self.rollback, startedAt=world.wall(self.rollback["startedAt"]))
        out["deploymentCircuitBreaker"] = {
            "status": "DISABLED" if not self.breaker else "TRIGGERED" if self.triggered
            else "MONITORING" if self.in_flight() else "MONITORING_COMPLETE",
            "failureCount": self.failures, "threshold": self.threshold}
        return out
