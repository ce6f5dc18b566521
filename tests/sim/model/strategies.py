"""Deployment strategies: what ECS's scheduler does at each event of a
service deployment (deploymentConfiguration.strategy).

ROLLING (ECS developer guide, 'Deploy Amazon ECS services by replacing
tasks'): new tasks up to maximumPercent of the desired count, old ones
stopped while the healthy stay at minimumHealthyPercent, SUCCESSFUL once
the desired count is healthy.

BLUE_GREEN, CANARY and LINEAR (ECS developer guide, 'Amazon ECS blue/green
service deployments workflow', 'Amazon ECS canary deployments', 'Amazon
ECS linear deployments'; API reference ServiceDeployment.lifecycleStage):
the new (green) revision is started at full size in the target group that
carries no production traffic (the primary or the alternate one of each
load balancer's advancedConfiguration), then the deployment moves through
its lifecycle stages

    [RECONCILE_SERVICE] PRE_SCALE_UP SCALE_UP POST_SCALE_UP
    TEST_TRAFFIC_SHIFT POST_TEST_TRAFFIC_SHIFT
    (PRE_PRODUCTION_TRAFFIC_SHIFT PRODUCTION_TRAFFIC_SHIFT) per traffic step
    POST_PRODUCTION_TRAFFIC_SHIFT BAKE_TIME CLEAN_UP

moving the forward weights of the test and production listener rules (in
moto, by ModifyRule, as the infrastructure role) at the shift stages:
BLUE_GREEN all at once, CANARY canaryPercent then the rest after
canaryBakeTimeInMinutes, LINEAR stepPercent at a time with
stepBakeTimeInMinutes between steps (not after the last). BAKE_TIME lasts
bakeTimeInMinutes; CLEAN_UP stops the blue tasks and ends when they have
stopped. A PAUSE hook holds its stage until ContinueServiceDeployment or
its timeout. A rollback (the circuit breaker, a hook, StopServiceDeployment)
returns every rule to the blue target group and stops the green tasks.
Every minute here is scaled like the timing table's seconds.
"""
import json
import math

from model.service_deployments import Hook

HOOK_STAGES_REFUSED_FOR_PAUSE = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")   # DeploymentLifecycleHook

# ECS's managed policy for the infrastructure role that moves listener rules (ECS developer guide,
# 'Amazon ECS infrastructure IAM role for load balancers'); an inline or customer policy allowing
# elasticloadbalancing:ModifyRule does as well.
LOAD_BALANCER_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"


def live(svc, d):
    return [t for t in svc.tasks if t.deployment is d and t.stop_decided is None]


def healthy(tasks, at):
    return [t for t in tasks if t.healthy_at is not None and at >= t.healthy_at]


def stopped(svc, d, at):
    return all(t.stopped_at is not None and at >= t.stopped_at for t in svc.tasks if t.deployment is d)


def keep(model, svc, d, at, limit=math.inf, live_count=None):
    """Launches tasks of `d` up to its desired count (and while all live tasks stay under `limit`),
    stops those above it. Returns d's live tasks."""
    mine = live(svc, d)
    n = len([t for t in svc.tasks if t.stop_decided is None]) if live_count is None else live_count
    while len(mine) < d.desired and n < limit and at >= svc.next_launch_at and d.rollout != "FAILED":
        task = model.launch(svc, d, at)
        if task is None:
            break
        mine.append(task)
        n += 1
    for extra in sorted(mine, key=lambda t: t.created)[d.desired:]:
        extra.stop(model.world, at, "Scaling activity initiated by (deployment %s)" % d.id)
        mine.remove(extra)
    return mine


def settle(model, svc, sd, at):
    """Drops old revisions whose tasks have all stopped (not the source a deployment in progress may
    return to) and says when the service reached a steady state."""
    primary = svc.primary()
    for d in list(svc.deployments[1:]):
        if stopped(svc, d, at) and not (sd.status == "IN_PROGRESS" and d in sd.sources):
            svc.deployments.remove(d)
    if primary is not None and len(svc.deployments) == 1 and primary.rollout == "COMPLETED" \
            and not svc.steady and svc.deleted_at is None and not sd.in_flight():
        svc.steady = True
        svc.event(model.world, at, "(service %s) has reached a steady state." % svc.name)


def completed(model, svc, d, at):
    d.rollout = "COMPLETED"
    svc.event(model.world, at, "(service %s) (deployment %s) deployment completed." % (svc.name, d.id))


class Strategy:
    name = ""

    def __init__(self, config):
        self.config = config

    def start(self, model, svc, sd, at):
        pass

    def due(self, svc, sd):
        """Times (monotonic) at which the strategy has something to do."""
        return []

    def can_roll_back(self, sd):
        return True


class Rolling(Strategy):
    """ECS's rolling update."""
    name = "ROLLING"

    def reconcile(self, model, svc, sd, at):
        world, primary = model.world, svc.primary()
        if svc.deleted_at is None and primary is not None:
            everyone = [t for t in svc.tasks if t.stop_decided is None]
            limit = max(math.floor(svc.desired * svc.max_percent / 100.0), 1 if primary.desired else 0)
            mine = keep(model, svc, primary, at, limit)
            alive = [t for t in svc.tasks if t.stop_decided is None]
            # old tasks go while the healthy ones stay at minimumHealthyPercent
            floor_ = math.ceil(svc.desired * svc.min_percent / 100.0)
            good = healthy(alive, at)
            for t in sorted((t for t in everyone if t.deployment is not primary and t.stop_decided is None),
                            key=lambda t: t.created):
                if t in good:
                    if len(good) - 1 < floor_:
                        continue
                    good.remove(t)
                t.stop(world, at, "Task stopped by ECS deployment %s" % primary.id)
            if primary.rollout == "IN_PROGRESS" and len(healthy(mine, at)) >= primary.desired:
                completed(model, svc, primary, at)
                if sd.status == "IN_PROGRESS" and primary is sd.target:
                    sd.finish(at, "SUCCESSFUL")
                elif sd.status == "ROLLBACK_IN_PROGRESS" and primary is not sd.target:
                    sd.finish(at, "ROLLBACK_SUCCESSFUL")
        settle(model, svc, sd, at)

    def rollback(self, model, svc, sd, at):
        """ECS starts a new deployment of the last completed revision (ECS developer guide, 'How the
        Amazon ECS deployment circuit breaker detects failures')."""
        model.redeploy(svc, sd.source, at)


class BlueGreen(Strategy):
    """BLUE_GREEN: production traffic moves in one step."""
    name = "BLUE_GREEN"

    def shifts(self):
        """[(percent of production traffic on green after the step, AWS seconds to wait after it)]."""
        return [(100.0, 0.0)]

    # --- the plan ------------------------------------------------------------------
    def start(self, model, svc, sd, at):
        sd.plan = []
        if sum(1 for d in sd.sources if any(t.stop_decided is None for t in svc.tasks if t.deployment is d)) > 1:
            sd.plan.append(("RECONCILE_SERVICE", None))
        sd.plan += [(s, None) for s in ("PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                                        "POST_TEST_TRAFFIC_SHIFT")]
        for step in self.shifts():
            sd.plan += [("PRE_PRODUCTION_TRAFFIC_SHIFT", None), ("PRODUCTION_TRAFFIC_SHIFT", step)]
        sd.plan += [(s, None) for s in ("POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP")]
        sd.position, sd.stage_done, sd.scaled = -1, None, False
        # green goes to the group of each pair that carries no production traffic
        sd.pairs = []                       # (load balancer entry, blue group, green group)
        groups = []
        for lb in svc.load_balancers:
            adv = lb.get("advancedConfiguration") or {}
            primary, alternate = lb.get("targetGroupArn"), adv.get("alternateTargetGroupArn")
            if not primary:
                continue
            if alternate:
                weights = rule_weights(model, svc.call, adv.get("productionListenerRule"))
                blue = alternate if weights.get(alternate, 0) > weights.get(primary, 0) else primary
                green = primary if blue == alternate else alternate
                if not sd.sources:          # a first deployment: nothing serves yet
                    blue, green = alternate, primary
                sd.pairs.append((lb, blue, green))
            else:
                green = primary
            groups.append((green, lb.get("containerPort")))
        sd.target.groups = groups
        self._next(model, svc, sd, at)

    def can_roll_back(self, sd):
        return sd.stage != "CLEAN_UP"

    def _enter(self, model, svc, sd, at):
        w = model.world
        stage, step = sd.plan[sd.position]
        sd.stage, sd.updated, sd.stage_done = stage, at, at
        for spec in self.config.get("lifecycleHooks") or []:
            if spec.get("targetType") == "PAUSE" and stage in (spec.get("lifecycleStages") or []):
                sd.hooks.append(Hook(w, spec, stage, at))
        if stage == "RECONCILE_SERVICE":
            for d in sd.sources[1:]:
                for t in live(svc, d):
                    t.stop(w, at, "Task stopped by ECS deployment %s (reconcile)" % sd.target.id)
        elif stage == "SCALE_UP":
            sd.stage_done, sd.scaled = None, True
            keep(model, svc, sd.target, at)
        elif stage == "CLEAN_UP":
            sd.stage_done = None
            for d in sd.sources:
                for t in live(svc, d):
                    t.stop(w, at, "Task stopped by ECS deployment %s (clean up)" % sd.target.id)
        elif stage == "TEST_TRAFFIC_SHIFT":
            refused = infrastructure_role_refusal(model, svc, sd, at)
            if refused:
                model.roll_back(svc, sd, at, refused)
                return
            if self._shift(model, svc, sd, "testListenerRule", 100.0):
                sd.stage_done = at + w.seconds("ecs.traffic_shift")
        elif stage == "PRODUCTION_TRAFFIC_SHIFT":
            percent, wait = step
            self._shift(model, svc, sd, "productionListenerRule", percent)
            sd.stage_done = at + w.seconds("ecs.traffic_shift") + (w.scaled(wait) if percent < 100 else 0.0)
        elif stage == "BAKE_TIME":
            sd.stage_done = at + w.scaled(60 * self.config.get("bakeTimeInMinutes", 0))

    def _done(self, svc, sd, at):
        if any(h.stage == sd.stage and h.status == "AWAITING_ACTION" for h in sd.hooks):
            return False
        if sd.stage == "SCALE_UP":
            return len(healthy(live(svc, sd.target), at)) >= sd.target.desired
        if sd.stage == "CLEAN_UP":
            return all(stopped(svc, d, at) for d in sd.sources)
        return at >= sd.stage_done

    def _next(self, model, svc, sd, at):
        """Enters the next stages whose predecessors are done at `at`."""
        while sd.status == "IN_PROGRESS":
            if sd.position >= 0 and not self._done(svc, sd, at):
                return
            if sd.position + 1 == len(sd.plan):
                completed(model, svc, sd.target, at)
                sd.finish(at, "SUCCESSFUL")
                return
            sd.position += 1
            self._enter(model, svc, sd, at)

    # --- the clock -----------------------------------------------------------------
    def due(self, svc, sd):
        times = [h.expires_at for h in sd.awaiting()]
        if sd.status == "IN_PROGRESS" and sd.stage_done is not None:
            times.append(sd.stage_done)
        return times

    def reconcile(self, model, svc, sd, at):
        if svc.deleted_at is None:
            for h in sd.awaiting():
                if at >= h.expires_at:
                    h.status = "TIMED_OUT"
                    if h.timeout_action == "ROLLBACK" and sd.status == "IN_PROGRESS":
                        model.roll_back(svc, sd, at, "lifecycle hook %s timed out at %s" % (h.id, h.stage))
            if sd.status == "IN_PROGRESS":
                if sd.source is not None and sd.stage != "CLEAN_UP":
                    keep(model, svc, sd.source, at)         # blue serves until the clean-up
                if sd.scaled:
                    keep(model, svc, sd.target, at)         # green tasks that fail are replaced
                self._next(model, svc, sd, at)
            elif sd.status == "ROLLBACK_IN_PROGRESS":
                blue = keep(model, svc, sd.source, at)
                if stopped(svc, sd.target, at) and len(healthy(blue, at)) >= sd.source.desired:
                    if sd.source.rollout != "COMPLETED":
                        completed(model, svc, sd.source, at)
                    sd.finish(at, "ROLLBACK_SUCCESSFUL")
            elif svc.primary() is not None:
                keep(model, svc, svc.primary(), at)
        settle(model, svc, sd, at)

    def rollback(self, model, svc, sd, at):
        blue = sd.source
        self._shift(model, svc, sd, "productionListenerRule", 0.0)
        self._shift(model, svc, sd, "testListenerRule", 0.0)
        for t in live(svc, sd.target):
            t.stop(model.world, at, "Task stopped by ECS deployment %s (rollback)" % sd.target.id)
        if blue in svc.deployments:
            svc.deployments.remove(blue)
        svc.deployments.insert(0, blue)

    # --- traffic -------------------------------------------------------------------
    def _shift(self, model, svc, sd, rule_key, green_percent):
        """Moves each load balancer's `rule_key` rule to green_percent on the green group; whether
        there was such a rule."""
        any_rule = False
        for lb, blue, green in sd.pairs:
            rule = (lb.get("advancedConfiguration") or {}).get(rule_key)
            if not rule:
                continue
            any_rule = True
            set_weights(model, svc, rule, {blue: 100.0 - green_percent, green: green_percent})
        if any_rule:
            production, test = sd.weights.get(sd.target.revision_arn, (0.0, 0.0))
            if rule_key == "productionListenerRule":
                production = green_percent
            else:
                test = green_percent
            sd.weights[sd.target.revision_arn] = (production, test)
            if sd.source is not None:
                sd.weights[sd.source.revision_arn] = (100.0 - production, 100.0 - test)
        return any_rule


class Canary(BlueGreen):
    """CANARY: canaryPercent (default 5.0), canaryBakeTimeInMinutes later (default 10) the rest
    (CanaryConfiguration reference)."""
    name = "CANARY"

    def shifts(self):
        c = self.config.get("canaryConfiguration") or {}
        return [(float(c.get("canaryPercent", 5.0)), 60.0 * c.get("canaryBakeTimeInMinutes", 10)), (100.0, 0.0)]


class Linear(BlueGreen):
    """LINEAR: stepPercent (default 10.0) at a time, stepBakeTimeInMinutes (default 6) between steps
    and not after reaching 100 percent (LinearConfiguration reference)."""
    name = "LINEAR"

    def shifts(self):
        c = self.config.get("linearConfiguration") or {}
        step, wait = float(c.get("stepPercent", 10.0)), 60.0 * c.get("stepBakeTimeInMinutes", 6)
        out, percent = [], 0.0
        while percent + step < 100.0 - 1e-9:
            percent = round(percent + step, 1)
            out.append((percent, wait))
        return out + [(100.0, 0.0)]


STRATEGIES = {s.name: s for s in (Rolling, BlueGreen, Canary, Linear)}


# --- listener rules in moto -------------------------------------------------------------
def _actions(model, call, arn):
    """(the rule's or listener's actions, a function that writes new ones), asked of moto as the
    caller of `call`."""
    elb = model.world.client("elbv2", call)
    if ":listener-rule/" in arn:
        rule = elb.describe_rules(RuleArns=[arn])["Rules"][0]
        return rule["Actions"], lambda actions: elb.modify_rule(RuleArn=arn, Actions=actions)
    listener = elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]
    return listener["DefaultActions"], lambda actions: elb.modify_listener(ListenerArn=arn, DefaultActions=actions)


def rule_weights(model, call, arn):
    """{target group ARN: weight} of a rule's (or a listener's) forward action; {} when unknown."""
    if not arn:
        return {}
    try:
        actions, _ = _actions(model, call, arn)
    except Exception:
        return {}
    for a in actions:
        if a.get("Type") == "forward":
            groups = (a.get("ForwardConfig") or {}).get("TargetGroups")
            if groups:
                return {g["TargetGroupArn"]: g.get("Weight", 1) for g in groups}
            return {a["TargetGroupArn"]: 1} if a.get("TargetGroupArn") else {}
    return {}


def weights_of(percents):
    """ELB weights (integers 0..999) for {group: percent}: whole percents as they are, tenths of a
    percent (canary 2.5) times ten (ELB user guide, 'Listener rules': weights 0 to 999)."""
    if all(float(p).is_integer() for p in percents.values()):
        return {g: int(p) for g, p in percents.items()}
    return {g: int(round(p * 10)) for g, p in percents.items()}


def set_weights(model, svc, arn, percents):
    actions, write = _actions(model, svc.call, arn)
    weights = weights_of(percents)
    out = []
    for a in actions:
        a = dict(a)
        if a.get("Type") == "forward":
            config = dict(a.get("ForwardConfig") or {})
            config["TargetGroups"] = [{"TargetGroupArn": g, "Weight": w} for g, w in weights.items()]
            a.pop("TargetGroupArn", None)
            a["ForwardConfig"] = config
        out.append(a)
    write(out)


# --- the infrastructure role ----------------------------------------------------------------
def infrastructure_role_refusal(model, svc, sd, at):
    """Why ECS cannot move the listener rules with the load balancers' infrastructure role (None
    when it can): a role ECS cannot assume (missing, not trusting ecs.amazonaws.com, too new to
    be visible: iam.propagation) or without permission to modify rules."""
    w = model.world
    iam = w.client("iam", svc.call)
    for lb, _, _ in sd.pairs:
        role = (lb.get("advancedConfiguration") or {}).get("roleArn")
        if not role:
            continue
        made = model.roles.get(role)
        if w.is_on("iam.propagation") and made is not None and at < made + w.seconds("iam.propagation"):
            return "ECS was unable to assume the role '%s'" % role
        name = role.rsplit("/", 1)[-1]
        try:
            trust = iam.get_role(RoleName=name)["Role"].get("AssumeRolePolicyDocument")
        except Exception:
            return "ECS was unable to assume the role '%s'" % role
        if "ecs.amazonaws.com" not in json.dumps(trust):
            return "ECS was unable to assume the role '%s': its trust policy does not name ecs.amazonaws.com" % role
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        documents = [json.dumps(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
                     for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]
        documents += [json.dumps(iam.get_policy_version(PolicyArn=p, VersionId=iam.get_policy(PolicyArn=p)[
            "Policy"]["DefaultVersionId"])["PolicyVersion"]["Document"]) for p in attached
            if not p.endswith("/" + LOAD_BALANCER_POLICY) and ":aws:policy/" not in p]
        if not any(p.endswith("/" + LOAD_BALANCER_POLICY) for p in attached) and not any(
                "elasticloadbalancing:ModifyRule" in d or "elasticloadbalancing:*" in d for d in documents):
            return ("the role '%s' is not authorized to perform elasticloadbalancing:ModifyRule (attach %s)"
                    % (role, LOAD_BALANCER_POLICY))
    return None
