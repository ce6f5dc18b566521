"""Issue 18 item 1: the timing model observed through the simulator. Each
duration is checked against the timing table (or the resource's own
settings) at the run's scale, as a ratio within base.EARLY..LATE."""
import statistics
import time

import timing
from base import SimCase, accepted

T = timing.seconds


class LoadBalancers(SimCase):
    behaviours = ["elbv2.provisioning", "elbv2.targets", "ec2.sg_dependencies"]

    def load_balancer(self):
        vpc, subnets = self.network()
        ec2 = self.c("ec2")
        sg = ec2.create_security_group(GroupName=self.n("lb"), Description="lb", VpcId=vpc)["GroupId"]
        t0 = time.monotonic()
        lb = self.c("elbv2").create_load_balancer(Name=self.n("lb"), SecurityGroups=[sg],
                                                  Subnets=[s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]
        return vpc, sg, lb["LoadBalancerArn"], lb["State"]["Code"], t0

    def state(self, arn):
        return self.c("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]

    def health(self, tg, target=None):
        got = self.c("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        return [(d["TargetHealth"]["State"], d["TargetHealth"].get("Reason")) for d in got
                if target is None or d["Target"]["Id"] == target]

    def test_provisioning_then_active(self):
        _, _, arn, first, t0 = self.load_balancer()
        self.assertEqual(first, "provisioning")
        self.assertEqual(self.state(arn), "provisioning")
        self.wait_for(lambda: self.state(arn) == "active", T("elbv2.provisioning"), "active")
        self.assert_took(time.monotonic() - t0, T("elbv2.provisioning"), "provisioning")

    def test_target_initial_then_healthy_after_threshold_times_interval(self):
        vpc, _, lb, _, t0 = self.load_balancer()
        elb = self.c("elbv2")
        tg = elb.create_target_group(Name=self.n("tg"), Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                     HealthCheckIntervalSeconds=10, HealthyThresholdCount=3)["TargetGroups"][0]
        tg = tg["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "172.31.0.10", "Port": 80}])
        self.assertEqual(self.health(tg), [("unused", "Target.NotInUse")], "no load balancer routes to it yet")
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        self.assertEqual(self.health(tg), [("initial", "Elb.RegistrationInProgress")])
        self.wait_for(lambda: self.health(tg) == [("initial", "Elb.InitialHealthChecking")],
                      T("elbv2.provisioning"), "initial health checks")
        self.assert_took(time.monotonic() - t0, T("elbv2.provisioning"), "checks start when the load balancer is active")
        self.wait_for(lambda: self.health(tg) == [("healthy", None)], 60, "healthy")
        self.assert_took(time.monotonic() - t0, T("elbv2.provisioning") + 3 * 10, "healthy")

    def test_draining_for_the_deregistration_delay(self):
        vpc, _, lb, _, _ = self.load_balancer()
        elb = self.c("elbv2")
        tg = elb.create_target_group(Name=self.n("tg"), Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "100"}])
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "172.31.0.11", "Port": 80}])
        t0 = time.monotonic()
        elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "172.31.0.11", "Port": 80}])
        self.assertEqual(self.health(tg), [("draining", "Target.DeregistrationInProgress")])
        self.wait_for(lambda: self.health(tg) == [], 100, "drained")
        self.assert_took(time.monotonic() - t0, 100, "draining")

    def test_group_in_use_until_the_interfaces_go(self):
        _, sg, arn, _, _ = self.load_balancer()
        ec2 = self.c("ec2")
        self.assertEqual(self.error(ec2.delete_security_group, GroupId=sg)[0], "DependencyViolation")
        self.c("elbv2").delete_load_balancer(LoadBalancerArn=arn)
        t0 = time.monotonic()
        self.assertEqual(self.error(ec2.delete_security_group, GroupId=sg)[0], "DependencyViolation")
        self.wait_for(lambda: accepted(ec2.delete_security_group, GroupId=sg), T("elbv2.interfaces_release"),
                      "the group deleted")
        self.assert_took(time.monotonic() - t0, T("elbv2.interfaces_release"), "the interfaces going")


class Services(SimCase):
    behaviours = ["ecs.deployments", "elbv2.provisioning", "elbv2.targets", "ec2.sg_dependencies"]

    def describe(self, cluster, arn):
        return self.c("ecs").describe_services(cluster=cluster, services=[arn])["services"][0]

    def rollouts(self, cluster, arn):
        return [(d["status"], d["rolloutState"]) for d in self.describe(cluster, arn)["deployments"]]

    def tasks(self, cluster, arn):
        ecs = self.c("ecs")
        tasks = ecs.list_tasks(cluster=cluster, serviceName=arn.rsplit("/", 1)[-1])["taskArns"]
        return ecs.describe_tasks(cluster=cluster, tasks=tasks)["tasks"] if tasks else []

    def test_tasks_provisioning_pending_running_without_load_balancer(self):
        t0 = time.monotonic()
        cluster, arn = self.service(desired=2)
        seen = {}
        while "RUNNING" not in seen:
            for t in self.tasks(cluster, arn):
                seen.setdefault(t["lastStatus"], time.monotonic() - t0)
            self.assertLess(time.monotonic() - t0, 30)
            time.sleep(0.02)
        self.assertEqual(list(seen), ["PROVISIONING", "PENDING", "RUNNING"])
        self.assert_took(seen["PENDING"], T("ecs.task.provisioning"), "PROVISIONING")
        self.assert_took(seen["RUNNING"], T("ecs.task.provisioning") + T("ecs.task.pending"), "PENDING")
        self.wait_for(lambda: self.rollouts(cluster, arn) == [("PRIMARY", "COMPLETED")], 60, "rollout")
        s = self.describe(cluster, arn)
        self.assertEqual((s["runningCount"], s["pendingCount"], s["desiredCount"]), (2, 0, 2))

    def behind_load_balancer(self, interval=10, healthy=2):
        vpc, subnets = self.network()
        ec2, elb = self.c("ec2"), self.c("elbv2")
        sg = ec2.create_security_group(GroupName=self.n("lb"), Description="lb", VpcId=vpc)["GroupId"]
        t0 = time.monotonic()
        lb = elb.create_load_balancer(Name=self.n("lb"), SecurityGroups=[sg], Subnets=[
            s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name=self.n("tg"), Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                     HealthCheckIntervalSeconds=interval,
                                     HealthyThresholdCount=healthy)["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        return t0, lb, tg

    def test_rollout_completes_when_the_tasks_are_healthy_behind_the_load_balancer(self):
        t0, _, tg = self.behind_load_balancer(interval=10, healthy=2)
        cluster, arn = self.service(desired=2, target_group=tg)
        self.assertEqual(self.rollouts(cluster, arn), [("PRIMARY", "IN_PROGRESS")])
        self.wait_for(lambda: self.rollouts(cluster, arn) == [("PRIMARY", "COMPLETED")], 300, "rollout")
        # the load balancer's provisioning is the longer wait; then the checks
        self.assert_took(time.monotonic() - t0, T("elbv2.provisioning") + 2 * 10, "the rollout")
        health = self.c("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        self.assertEqual(sorted(d["Target"]["Id"] for d in health),
                         sorted(t["attachments"][0]["details"][2]["value"] for t in self.tasks(cluster, arn)))
        self.assertEqual({d["TargetHealth"]["State"] for d in health}, {"healthy"})

    def faster(self):
        """Half the suite's scale: these tests wait on the load balancer first, which another test measures."""
        self.scale /= 2
        self.sim.configure(scale=self.scale)

    def test_update_new_deployment_then_old_drains(self):
        self.faster()
        _, _, tg = self.behind_load_balancer(interval=5, healthy=2)
        cluster, arn = self.service(desired=2, target_group=tg)
        self.wait_for(lambda: self.rollouts(cluster, arn) == [("PRIMARY", "COMPLETED")], 300, "first rollout")
        t0 = time.monotonic()
        self.c("ecs").update_service(cluster=cluster, service=arn, taskDefinition=self.task_definition())
        self.assertEqual(self.rollouts(cluster, arn), [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")])
        start = T("ecs.task.provisioning") + T("ecs.task.pending")
        healthy = start + T("elbv2.registration") + 2 * 5
        self.wait_for(lambda: self.rollouts(cluster, arn)[0] == ("PRIMARY", "COMPLETED"), healthy, "rollout")
        self.assert_took(time.monotonic() - t0, healthy, "the new tasks healthy")
        self.wait_for(lambda: len(self.rollouts(cluster, arn)) == 1, 200, "the old deployment gone")
        gone = healthy + 30 + T("ecs.task.stopping") + T("ecs.task.deprovisioning")
        self.assert_took(time.monotonic() - t0, gone, "the old tasks drained and stopped")
        self.assertEqual(self.describe(cluster, arn)["runningCount"], 2)

    def test_delete_draining_then_inactive_and_what_waits_on_it(self):
        self.faster()
        _, _, tg = self.behind_load_balancer(interval=5, healthy=2)
        group = self.c("ec2").create_security_group(GroupName=self.n("tasks"), Description="t",
                                                    VpcId=self.network()[0])["GroupId"]
        cluster, arn = self.service(desired=2, target_group=tg, group=group)
        self.wait_for(lambda: self.rollouts(cluster, arn) == [("PRIMARY", "COMPLETED")], 300, "rollout")
        ecs, ec2 = self.c("ecs"), self.c("ec2")
        ecs.update_service(cluster=cluster, service=arn, desiredCount=0)
        t0 = time.monotonic()
        ecs.delete_service(cluster=cluster, service=arn, force=True)
        self.assertEqual(self.describe(cluster, arn)["status"], "DRAINING")
        self.assertEqual(self.error(ecs.delete_cluster, cluster=cluster)[0], "ClusterContainsServicesException")
        self.assertEqual(self.error(ec2.delete_security_group, GroupId=group)[0], "DependencyViolation")
        self.wait_for(lambda: self.describe(cluster, arn)["status"] == "INACTIVE", 200, "INACTIVE")
        stopped = 30 + T("ecs.task.stopping") + T("ecs.task.deprovisioning")
        self.assert_took(time.monotonic() - t0, stopped + T("ecs.service.inactive"), "DRAINING")
        ec2.delete_security_group(GroupId=group)
        ecs.delete_cluster(cluster=cluster)


class Iam(SimCase):
    behaviours = ["iam.propagation", "ecs.deployments"]

    def role(self, name):
        return self.c("iam").create_role(RoleName=name, AssumeRolePolicyDocument='{"Version":"2012-10-17",'
                                         '"Statement":[]}')["Role"]["Arn"]

    def test_pass_role_refused_until_the_role_propagates(self):
        self.scale_for(T("iam.propagation"))
        t0 = time.monotonic()
        arn = self.role(self.n("exec"))
        code, message, _ = self.error(self.task_definition, executionRoleArn=arn)
        self.assertEqual(code, "AccessDeniedException")
        self.assertIn("iam:PassRole", message)
        self.wait_for(lambda: accepted(self.task_definition, executionRoleArn=arn), T("iam.propagation"),
                      "the task definition")
        self.assert_took(time.monotonic() - t0, T("iam.propagation"), "propagation")

    def test_a_recreated_role_fails_the_first_launch_then_ecs_retries(self):
        self.scale_for(T("iam.propagation"), real=0.4)
        name = self.n("exec")
        self.sim.configure(off=["iam.propagation"])
        role = self.role(name)
        cluster, arn = self.service(desired=0, taskDefinition=self.task_definition(executionRoleArn=role))
        self.c("iam").delete_role(RoleName=name)
        self.sim.configure(on=["iam.propagation"])
        self.role(name)                 # made again, as a destroy and redeploy does
        t0 = time.monotonic()
        ecs = self.c("ecs")
        ecs.update_service(cluster=cluster, service=arn, desiredCount=1)
        s = ecs.describe_services(cluster=cluster, services=[arn])["services"][0]
        self.assertIn("ECS was unable to assume the role", " ".join(e["message"] for e in s["events"]))
        self.assertEqual(s["deployments"][0]["failedTasks"], 1)
        self.wait_for(lambda: ecs.list_tasks(cluster=cluster)["taskArns"], T("ecs.launch_retry"), "the retry")
        self.assert_took(time.monotonic() - t0, T("ecs.launch_retry"), "the launch retry")


class Latency(SimCase):
    behaviours = ["latency"]

    def median_call(self, fn):
        fn()
        times = []
        for _ in range(5):
            t = time.monotonic()
            fn()
            times.append(time.monotonic() - t)
        return statistics.median(times)

    def test_iam_slower_than_regional_services(self):
        self.sim.configure(scale=1.0)
        ecs = self.median_call(self.c("ecs").list_clusters)
        iam = self.median_call(self.c("iam").list_roles)
        self.assertGreaterEqual(ecs, T("api.latency") * 0.95)
        self.assertGreaterEqual(iam, T("api.latency.iam") * 0.95)
        self.assertGreater(iam - ecs, (T("api.latency.iam") - T("api.latency")) * 0.7)
