"""Elastic Load Balancing: what CreateLoadBalancer refuses, a load balancer
provisioning before it is active, and the health of targets over time."""
from behaviours import Behaviour, subnets_and_groups
from model import elb
import wire


def _subnets_and_groups(world, call):
    return subnets_and_groups(world, call, call.members("Subnets"), call.members("SecurityGroups"))


class OneSubnetPerZone(Behaviour):
    name = "elbv2.subnets"
    what = "CreateLoadBalancer and SetSubnets refuse two subnets in one Availability Zone"
    source = ("ELB user guide, 'Availability Zones and subnets': one subnet per zone; the error "
              "InvalidConfigurationRequest 'A load balancer cannot be attached to multiple subnets in the "
              "same Availability Zone' (e.g. aws-samples/aws-scalable-big-blue-button-example issue 51)")

    def before(self, world, call):
        if call.service != "elasticloadbalancing" or call.operation not in ("CreateLoadBalancer", "SetSubnets"):
            return None
        subnets, _ = _subnets_and_groups(world, call)
        zones = [s["AvailabilityZone"] for s in subnets or []]
        if len(zones) != len(set(zones)):
            return wire.error(call, "InvalidConfigurationRequest",
                              "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
        return None


class GroupsInSubnetsVpc(Behaviour):
    name = "elbv2.vpc"
    what = "CreateLoadBalancer refuses a security group of another VPC than its subnets'"
    source = ("ELB user guide, 'Security groups for your Application Load Balancer' (groups of the load "
              "balancer's VPC); the error as pulumi-awsx issue 816 reports it: InvalidConfigurationRequest "
              "\"Security group 'sg-...' does not belong to VPC 'vpc-...'\"")

    def before(self, world, call):
        if call.service != "elasticloadbalancing" or call.operation != "CreateLoadBalancer":
            return None
        subnets, groups = _subnets_and_groups(world, call)
        vpcs = {s["VpcId"] for s in subnets or []}
        if len(vpcs) != 1:
            return None
        vpc = vpcs.pop()
        for g in groups or []:
            if g.get("VpcId") != vpc:
                return wire.error(call, "InvalidConfigurationRequest",
                                  "Security group '%s' does not belong to VPC '%s'" % (g["GroupId"], vpc))
        return None


class Provisioning(Behaviour):
    name = "elbv2.provisioning"
    what = "a new load balancer is 'provisioning' for elbv2.provisioning seconds, then 'active'"
    source = "timing.py elbv2.provisioning"

    def observe(self, world, call, answer):
        elb.model(world).observe(call, answer)

    def after(self, world, call, answer):
        if call.service != "elasticloadbalancing" or call.operation != "DescribeLoadBalancers" or not answer.ok:
            return answer
        m, now = elb.model(world), world.now()
        root = answer.xml()
        for member in root.iter("member"):
            arn = member.find("LoadBalancerArn")
            lb = m.lbs.get(arn.text) if arn is not None else None
            code = member.find("State/Code")
            if lb is not None and code is not None:
                code.text = lb.state(now)
        answer.set_xml(root)
        return answer


class TargetHealth(Behaviour):
    name = "elbv2.targets"
    what = ("targets are 'initial' until registered and the load balancer is active, then healthy after the "
            "group's HealthyThresholdCount x HealthCheckIntervalSeconds; 'unused' without a load balancer; "
            "'draining' for the deregistration delay")
    source = "ELB user guide, 'Target health status', 'Health checks for target groups', 'Deregistration delay'"

    def after(self, world, call, answer):
        if call.service != "elasticloadbalancing" or call.operation != "DescribeTargetHealth" or not answer.ok:
            return answer
        m, now = elb.model(world), world.now()
        tg = m.group(call, call.get("TargetGroupArn"))
        lb = m.load_balancer_of(call, tg.arn)
        wanted = {call.get("Targets.member.%d.Id" % i) for i in range(1, 1000)
                  if call.get("Targets.member.%d.Id" % i)}
        out, seen = [], set()
        for key, t in tg.targets.items():
            seen.add(t.id)
            h = m.health(tg, t, lb, now)
            if h is None or (wanted and t.id not in wanted):
                continue
            health = {"State": h[0]}
            if h[1]:
                health.update(Reason=h[1], Description=h[2])
            target = {"Id": t.id}
            if t.port is not None:
                target["Port"] = t.port
            if t.zone:
                target["AvailabilityZone"] = t.zone
            out.append({"Target": target, "HealthCheckPort": str(t.port or tg.port or "traffic-port"),
                        "TargetHealth": health})
        for member in answer.xml().findall(".//TargetHealthDescriptions/member"):
            tid = member.find("Target/Id")
            if tid is not None and tid.text not in seen:      # registered before the simulator watched
                out.append(_as_dict(member))
        return wire.answer(call, {"TargetHealthDescriptions": out})


def _as_dict(el):
    children = list(el)
    if not children:
        return el.text
    if all(c.tag == "member" for c in children):
        return [_as_dict(c) for c in children]
    return {c.tag: _as_dict(c) for c in children}


BEHAVIOURS = [OneSubnetPerZone(), GroupsInSubnetsVpc(), Provisioning(), TargetHealth()]
