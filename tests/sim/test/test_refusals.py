"""Issue 21, "Model what moto hides": what AWS refuses and moto takes,
each reproduced through the simulator (and the same call accepted when the
behaviour is off, so the test shows the simulator made the difference)."""
import time

import timing
from base import SimCase, accepted


class Retention(SimCase):
    behaviours = ["logs.retention"]

    def test_invalid_days_refused_valid_accepted(self):
        logs = self.c("logs")
        g = self.n("g")
        logs.create_log_group(logGroupName=g)
        code, message, status = self.error(logs.put_retention_policy, logGroupName=g, retentionInDays=4)
        self.assertEqual((code, status), ("InvalidParameterException", 400))
        self.assertIn("3653", message)
        logs.put_retention_policy(logGroupName=g, retentionInDays=7)
        self.assertEqual(logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]["retentionInDays"], 7)


class SubnetsPerZone(SimCase):
    behaviours = ["elbv2.subnets"]

    def test_two_subnets_in_one_zone_refused(self):
        vpc, subnets = self.network()
        ec2, elb = self.c("ec2"), self.c("elbv2")
        zone = subnets[0]["AvailabilityZone"]
        extra = ec2.create_subnet(VpcId=vpc, CidrBlock="172.31.%d.0/24" % (100 + self.serial()),
                                  AvailabilityZone=zone)["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName=self.n("lb"), Description="lb", VpcId=vpc)["GroupId"]
        name = self.n("lb")
        code, message, _ = self.error(elb.create_load_balancer, Name=name, SecurityGroups=[sg],
                                      Subnets=[subnets[0]["SubnetId"], extra, subnets[1]["SubnetId"]])
        self.assertEqual(code, "InvalidConfigurationRequest")
        self.assertIn("same Availability Zone", message)
        self.assertNotIn(name, [lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]])
        elb.create_load_balancer(Name=name, SecurityGroups=[sg], Subnets=[s["SubnetId"] for s in subnets[:2]])


class GroupsOfAnotherVpc(SimCase):
    behaviours = ["elbv2.vpc", "ecs.vpc"]

    def setUp(self):
        super().setUp()
        ec2 = self.c("ec2")
        self.vpc, self.subnets = self.network()
        other = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        self.foreign = ec2.create_security_group(GroupName=self.n("x"), Description="x", VpcId=other)["GroupId"]
        self.own = ec2.create_security_group(GroupName=self.n("y"), Description="y", VpcId=self.vpc)["GroupId"]

    def test_load_balancer(self):
        elb = self.c("elbv2")
        name = self.n("lb")
        code, message, _ = self.error(elb.create_load_balancer, Name=name, SecurityGroups=[self.foreign],
                                      Subnets=[s["SubnetId"] for s in self.subnets[:2]])
        self.assertEqual(code, "InvalidConfigurationRequest")
        self.assertIn("does not belong to VPC '%s'" % self.vpc, message)
        elb.create_load_balancer(Name=name, SecurityGroups=[self.own], Subnets=[s["SubnetId"] for s in self.subnets[:2]])

    def test_service(self):
        ecs = self.c("ecs")
        cluster = self.n("c")
        ecs.create_cluster(clusterName=cluster)
        td = ecs.register_task_definition(family=self.n("f"), networkMode="awsvpc", containerDefinitions=[
            {"name": "app", "image": "nginx"}], requiresCompatibilities=["FARGATE"], cpu="256", memory="512")
        arn = td["taskDefinition"]["taskDefinitionArn"]

        def create(group):
            return ecs.create_service(cluster=cluster, serviceName="s", taskDefinition=arn, desiredCount=1,
                                      launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                                          "subnets": [self.subnets[0]["SubnetId"]], "securityGroups": [group]}})
        code, message, _ = self.error(create, self.foreign)
        self.assertEqual(code, "InvalidParameterException")
        self.assertIn("same VPC", message)
        create(self.own)


class GroupVisibility(SimCase):
    behaviours = ["ec2.sg_eventual"]

    def test_new_group_not_found_for_a_moment(self):
        ec2 = self.c("ec2")
        vpc, _ = self.network()
        self.scale_for(timing.seconds("ec2.sg_visibility"))
        t0 = time.monotonic()
        sg = ec2.create_security_group(GroupName=self.n("g"), Description="g", VpcId=vpc)["GroupId"]
        rule = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        code, message, _ = self.error(ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=rule)
        self.assertEqual(code, "InvalidGroup.NotFound")
        self.assertIn(sg, message)
        self.wait_for(lambda: accepted(ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=rule),
                      timing.seconds("ec2.sg_visibility"), "authorize after visibility")
        self.assert_took(time.monotonic() - t0, timing.seconds("ec2.sg_visibility"), "the group visible")
        self.assertEqual(ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"][0]
                         ["FromPort"], 80)


class EcsServiceLinkedRole(SimCase):
    behaviours = ["ecs.slr"]
    fresh_account = True

    def test_first_cluster_with_capacity_providers(self):
        ecs, iam = self.c("ecs"), self.c("iam")
        self.scale_for(timing.seconds("iam.slr.ecs"))
        cp = dict(capacityProviders=["FARGATE", "FARGATE_SPOT"],
                  defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
        iam.list_roles()                # moto builds its IAM backend on first use: not part of the wait
        ecs.list_clusters()
        t0 = time.monotonic()
        code, message, _ = self.error(ecs.create_cluster, clusterName="c", **cp)
        self.assertEqual(code, "InvalidParameterException")
        self.assertIn("Unable to assume the service linked role", message)
        self.assertEqual(ecs.list_clusters()["clusterArns"], [])
        roles = iam.list_roles(PathPrefix="/aws-service-role/ecs.amazonaws.com/")["Roles"]
        self.assertEqual(len(roles), 1, "ECS made its service-linked role")
        ecs.create_cluster(clusterName="plain")         # without capacity providers: no role needed
        self.wait_for(lambda: accepted(ecs.create_cluster, clusterName="c", **cp), 10, "cluster")
        self.assert_took(time.monotonic() - t0, timing.seconds("iam.slr.ecs"), "the role usable")



class EcsServiceLinkedRoleThere(SimCase):
    behaviours = ["ecs.slr"]

    def test_account_with_the_role_is_not_refused(self):
        iam = self.c("iam")
        if not iam.list_roles(PathPrefix="/aws-service-role/ecs.amazonaws.com/")["Roles"]:
            iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
        self.c("ecs").create_cluster(clusterName=self.n("c"), capacityProviders=["FARGATE"])


class ServiceSettings(SimCase):
    behaviours = ["ecs.service_settings"]

    def test_describe_reports_what_create_and_update_set(self):
        ecs = self.c("ecs")
        vpc, subnets = self.network()
        group = self.c("ec2").create_security_group(GroupName=self.n("g"), Description="g", VpcId=vpc)["GroupId"]
        cluster = self.n("c")
        ecs.create_cluster(clusterName=cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"])
        dc = {"maximumPercent": 150, "minimumHealthyPercent": 50,
              "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
        ecs.create_service(cluster=cluster, serviceName="s", taskDefinition=self.task_definition(), desiredCount=1,
                           capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
                           deploymentConfiguration=dc, enableExecuteCommand=True,
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [subnets[0]["SubnetId"]],
                                                                         "securityGroups": [group]}})
        s = ecs.describe_services(cluster=cluster, services=["s"])["services"][0]
        self.assertEqual(s["capacityProviderStrategy"], [{"capacityProvider": "FARGATE", "weight": 1}])
        self.assertNotIn("launchType", s)
        self.assertEqual(s["deploymentConfiguration"], dc)
        self.assertTrue(s["enableExecuteCommand"])
        ecs.update_service(cluster=cluster, service="s", capacityProviderStrategy=[], forceNewDeployment=True)
        s = ecs.describe_services(cluster=cluster, services=["s"])["services"][0]
        self.assertEqual((s.get("capacityProviderStrategy"), s["launchType"]), (None, "FARGATE"))
        self.assertEqual(s["deploymentConfiguration"], dc)
        self.sim.configure(off=["ecs.service_settings"])
        s = ecs.describe_services(cluster=cluster, services=["s"])["services"][0]
        self.assertNotEqual(s.get("deploymentConfiguration"), dc)   # moto's own answer, without the behaviour
