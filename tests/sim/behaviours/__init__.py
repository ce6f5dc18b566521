"""Behaviours: each one a way real AWS differs from moto, switchable alone.

A behaviour sees every call. `observe` runs for every answer moto gives,
whether the behaviour is on or not, so the models know when things were
made; `before` (may answer instead of moto) and `after` (may rewrite
moto's answer) run only while it is on. `profile` says whether the "aws"
profile includes it: everything AWS always does; a behaviour that models a
setting of the account (enhanced scanning) is chosen by the test.
"""


class Behaviour:
    name = ""
    what = ""           # one line: what AWS does that moto does not
    source = ""         # where AWS documents it
    profile = True

    def before(self, world, call):
        return None

    def after(self, world, call, answer):
        return answer

    def observe(self, world, call, answer):
        pass


def subnets_and_groups(world, call, subnet_ids, group_ids):
    """(subnets, security groups) as moto describes them, or (None, None)
    when moto does not know one of them (its own answer then says so)."""
    ec2 = world.client("ec2", call)
    try:
        subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"] if subnet_ids else []
        groups = ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"] if group_ids else []
    except Exception:
        return None, None
    return subnets, groups


def load(world):
    """Registers every behaviour in the order they run: access first, then
    refusals, then the timing model."""
    from behaviours import access, acm, ec2, ecr, ecs, elbv2, latency, logs, route53, s3, slr
    for module in (access, slr, logs, s3, acm, route53, elbv2, ec2, ecr, ecs, latency):
        for b in module.BEHAVIOURS:
            if b.name in world.catalogue:
                raise AssertionError("behaviour %s registered twice" % b.name)
            world.catalogue[b.name] = b
