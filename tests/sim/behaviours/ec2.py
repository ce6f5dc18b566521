"""EC2: a security group just created is not yet visible to the calls that
change its rules, and one in use by network interfaces cannot be deleted."""
import re

from behaviours import Behaviour
from model import ecs, elb
import wire

RULE_CALLS = ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
              "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress")


class GroupVisibility(Behaviour):
    name = "ec2.sg_eventual"
    what = ("for ec2.sg_visibility seconds after CreateSecurityGroup, calls that change the group's rules "
            "answer InvalidGroup.NotFound")
    source = "EC2 API reference, 'Eventual consistency in the Amazon EC2 API'; issue 21 item 10"

    def observe(self, world, call, answer):
        if call.service == "ec2" and call.operation == "CreateSecurityGroup" and answer.ok:
            m = re.search(rb"<groupId>([^<]+)</groupId>", answer.body)
            if m:
                world.model("ec2.created", lambda w: {})[m.group(1).decode()] = world.now()

    def before(self, world, call):
        if call.service != "ec2" or call.operation not in RULE_CALLS:
            return None
        group = call.get("GroupId")
        created = world.model("ec2.created", lambda w: {}).get(group)
        if created is not None and world.now() < created + world.seconds("ec2.sg_visibility"):
            return wire.error(call, "InvalidGroup.NotFound", "The security group '%s' does not exist" % group)
        return None


class GroupInUse(Behaviour):
    name = "ec2.sg_dependencies"
    what = ("DeleteSecurityGroup answers DependencyViolation while a load balancer's or a task's network "
            "interfaces use the group (they go minutes after the load balancer or task is deleted)")
    source = ("EC2 DeleteSecurityGroup reference ('DependencyViolation' while associated); issue 18; "
              "timing.py elbv2.interfaces_release, ecs.task.*")

    def before(self, world, call):
        if call.service != "ec2" or call.operation != "DeleteSecurityGroup":
            return None
        group, now = call.get("GroupId"), world.now()
        holders = [lb.name for lb in elb.model(world).lbs.values()
                   if group in lb.groups and lb.holds_interfaces(now)]
        holders += ecs.model(world).tasks_holding(group, now)
        if holders:
            return wire.error(call, "DependencyViolation", "resource %s has a dependent object" % group)
        return None


BEHAVIOURS = [GroupVisibility(), GroupInUse()]
