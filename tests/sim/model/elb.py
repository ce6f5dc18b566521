"""Load balancers and target groups on the simulator's clock: when a load
balancer turns active, when its network interfaces go after it is deleted,
and the health of each target (registration, initial health checks,
healthy after threshold x interval, draining for the deregistration delay).

Times are absolute (time.monotonic()), fixed when the event happens with
the scale of that moment.
"""
import timing


class LoadBalancer:
    def __init__(self, world, arn, name, vpc, groups, zones):
        self.arn, self.name, self.vpc, self.groups, self.zones = arn, name, vpc, list(groups), list(zones)
        self.created = world.now()
        self.active_at = self.created + world.seconds("elbv2.provisioning")
        self.deleted = None
        self.released_at = None

    def state(self, now):
        return "active" if now >= self.active_at else "provisioning"

    def holds_interfaces(self, now):
        return self.deleted is None or now < self.released_at


class Target:
    def __init__(self, tid, port, registered, ready_at, zone=None, task=None):
        self.id, self.port, self.registered, self.ready_at = tid, port, registered, ready_at
        self.zone, self.task = zone, task
        self.deregistered = None


class TargetGroup:
    def __init__(self, arn, interval=30, healthy=5, port=None):
        self.arn, self.interval, self.healthy, self.port = arn, int(interval), int(healthy), port
        self.deregistration_delay = timing.seconds("elbv2.deregistration_delay.default")
        self.targets = {}           # (id, port) -> Target

    def checks_time(self, world):
        """Scaled seconds of consecutive successful checks to turn healthy."""
        return world.scaled(self.interval * self.healthy)


def _text(el, path):
    found = el.find(path)
    return found.text if found is not None else None


class ElbModel:
    def __init__(self, world):
        self.world = world
        self.lbs = {}
        self.tgs = {}

    # --- facts from moto's answers ----------------------------------------------------
    def observe(self, call, answer):
        if call.service != "elasticloadbalancing" or not answer.ok:
            return
        op, w = call.operation, self.world
        if op == "CreateLoadBalancer":
            for m in answer.xml().iter("member"):
                arn = _text(m, "LoadBalancerArn")
                if arn and arn not in self.lbs:
                    groups = [g.text for g in m.findall("SecurityGroups/member")]
                    zones = [(_text(z, "ZoneName"), _text(z, "SubnetId")) for z in m.findall("AvailabilityZones/member")]
                    self.lbs[arn] = LoadBalancer(w, arn, _text(m, "LoadBalancerName"), _text(m, "VpcId"), groups, zones)
        elif op == "DeleteLoadBalancer":
            lb = self.lbs.get(call.get("LoadBalancerArn"))
            if lb and lb.deleted is None:
                lb.deleted = w.now()
                lb.released_at = lb.deleted + w.seconds("elbv2.interfaces_release")
        elif op in ("CreateTargetGroup", "ModifyTargetGroup"):
            for m in answer.xml().iter("member"):
                arn = _text(m, "TargetGroupArn")
                if not arn:
                    continue
                tg = self.tgs.get(arn) or TargetGroup(arn)
                tg.interval = int(_text(m, "HealthCheckIntervalSeconds") or tg.interval)
                tg.healthy = int(_text(m, "HealthyThresholdCount") or tg.healthy)
                tg.port = _text(m, "Port") or tg.port
                self.tgs[arn] = tg
        elif op == "ModifyTargetGroupAttributes":
            tg = self.tgs.get(call.get("TargetGroupArn"))
            for i in range(1, 50):
                if call.get("Attributes.member.%d.Key" % i) == "deregistration_delay.timeout_seconds" and tg:
                    tg.deregistration_delay = float(call.get("Attributes.member.%d.Value" % i))
        elif op == "DeleteTargetGroup":
            self.tgs.pop(call.get("TargetGroupArn"), None)
        elif op == "RegisterTargets":
            tg = self.group(call, call.get("TargetGroupArn"))
            now = w.now()
            for tid, port in self._targets_of(call, tg):
                t = tg.targets.get((tid, port))
                if t is None or t.deregistered is not None:
                    tg.targets[(tid, port)] = Target(tid, port, now, now)
        elif op == "DeregisterTargets":
            tg = self.group(call, call.get("TargetGroupArn"))
            for key in self._targets_of(call, tg):
                self.deregister(tg, key)

    def _targets_of(self, call, tg):
        out = []
        for i in range(1, 1000):
            tid = call.get("Targets.member.%d.Id" % i)
            if tid is None:
                break
            port = call.get("Targets.member.%d.Port" % i) or tg.port
            out.append((tid, str(port) if port is not None else None))
        return out

    def group(self, call, arn):
        """The model of a target group, read from moto the first time (it
        may have been made before the simulator watched)."""
        tg = self.tgs.get(arn)
        if tg is None:
            tg = TargetGroup(arn)
            try:
                g = self.world.client("elbv2", call).describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
                tg.interval, tg.healthy = g["HealthCheckIntervalSeconds"], g["HealthyThresholdCount"]
                tg.port = str(g.get("Port")) if g.get("Port") is not None else None
                for a in self.world.client("elbv2", call).describe_target_group_attributes(
                        TargetGroupArn=arn)["Attributes"]:
                    if a["Key"] == "deregistration_delay.timeout_seconds":
                        tg.deregistration_delay = float(a["Value"])
            except Exception:
                pass
            self.tgs[arn] = tg
        return tg

    def deregister(self, tg, key):
        t = tg.targets.get(key)
        if t is not None and t.deregistered is None:
            t.deregistered = self.world.now()

    # --- what AWS would say now ----------------------------------------------------------
    def load_balancer_of(self, call, tg_arn):
        """The model of the (first) load balancer that routes to the group, or None."""
        try:
            g = self.world.client("elbv2", call).describe_target_groups(TargetGroupArns=[tg_arn])["TargetGroups"][0]
        except Exception:
            return None
        for arn in g.get("LoadBalancerArns") or []:
            if arn in self.lbs:
                return self.lbs[arn]
            return _Unknown()
        return None

    def healthy_at(self, tg, target, lb):
        """When the target turns healthy (absolute), or None (never: no load balancer)."""
        if lb is None:
            return None
        start = max(target.registered + self.world.seconds("elbv2.registration"), lb.active_at, target.ready_at)
        return start + tg.checks_time(self.world)

    def health(self, tg, target, lb, now):
        """(State, Reason, Description), or None before it is registered and
        once a deregistered target has drained."""
        if now < target.registered:
            return None
        if target.deregistered is not None:
            if now >= target.deregistered + self.world.scaled(tg.deregistration_delay):
                return None
            return ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
        if lb is None:
            return ("unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
        if now < max(target.registered + self.world.seconds("elbv2.registration"), lb.active_at):
            return ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
        if now < self.healthy_at(tg, target, lb):
            return ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
        return ("healthy", None, None)


class _Unknown:
    """A load balancer made before the simulator watched: active all along."""
    active_at = 0.0


def model(world):
    return world.model("elb", ElbModel)
