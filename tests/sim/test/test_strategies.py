"""Issue 19 item 5: ECS's BLUE_GREEN, CANARY and LINEAR deployments (and
the rolling one's circuit breaker) through the simulator: lifecycle stages,
the listener rules' weights in moto, bake times as ratios of their minutes,
PAUSE hooks, rollback on request and when new tasks fail, the service
deployment APIs, and switching a service between strategies."""
import time

import timing
from bluegreen import DRAIN, BlueGreenCase

T = timing.seconds


class Strategies(BlueGreenCase):
    def test_blue_green_update_moves_traffic_then_completes(self):
        cluster, arn = self.blue_green_service()
        self.assertEqual(self.green(self.production_rule), 0.0, "the first deployment runs in the primary group")
        self.scale_for(60, real=2.0)      # every stage long enough for polls to see
        _, sd = self.update(cluster, arn)
        seen = self.follow(sd, lambda d: d["status"] == "SUCCESSFUL",
                           probe=lambda: (self.green(self.test_rule), self.green(self.production_rule)))
        order = ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
                 "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
                 "BAKE_TIME", "CLEAN_UP", "SUCCESSFUL"]
        stages = self.stages(seen)
        self.assertEqual(stages, sorted(stages, key=order.index), "stages in their order")
        self.assertTrue({"SCALE_UP", "BAKE_TIME", "CLEAN_UP"} <= set(stages), stages)
        by_stage = {stage: probe for stage, _, probe in seen}
        self.assertEqual(by_stage["SCALE_UP"], (0.0, 0.0), "no traffic on green while it scales up")
        self.assertEqual(by_stage["BAKE_TIME"], (100.0, 100.0), "test and production traffic on green")
        start = {stage: t for stage, t, _ in reversed(seen)}
        self.assert_took(start["CLEAN_UP"] - start["BAKE_TIME"], 60, "the bake time")
        d = self.ecs.describe_service_deployments(serviceDeploymentArns=[sd])["serviceDeployments"][0]
        self.assertEqual(d["targetServiceRevision"]["requestedProductionTrafficWeight"], 100.0)
        self.assertEqual(d["sourceServiceRevisions"][0]["runningTaskCount"], 0, "blue scaled down")
        td, deployments = self.task_definitions(cluster, arn)
        self.assertIn("/f-", td)
        self.assertEqual(deployments, [("PRIMARY", "COMPLETED")])
        health = self.elb.describe_target_health(TargetGroupArn=self.alternate)["TargetHealthDescriptions"]
        self.assertEqual([h["TargetHealth"]["State"] for h in health], ["healthy", "healthy"])
        listed = self.ecs.list_service_deployments(cluster=cluster, service=arn)["serviceDeployments"]
        self.assertEqual([x["status"] for x in listed], ["SUCCESSFUL", "SUCCESSFUL"])
        self.assertEqual(listed[0]["serviceDeploymentArn"], sd)
        # the next deployment goes back to the primary group
        _, sd = self.update(cluster, arn, image="nginx:3")
        self.follow(sd, lambda d: d["status"] == "SUCCESSFUL")
        self.assertEqual(self.green(self.production_rule), 0.0)

    def test_failing_image_rolls_back_by_the_circuit_breaker(self):
        cluster, arn = self.blue_green_service()
        before, _ = self.task_definitions(cluster, arn)
        _, sd = self.update(cluster, arn, image="nginx:sim-fail")
        seen = self.follow(sd, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL",
                           probe=lambda: self.green(self.production_rule))
        self.assertIn("ROLLBACK_IN_PROGRESS", self.stages(seen))
        self.assertEqual({probe for _, _, probe in seen}, {0.0}, "production traffic never left blue")
        d = self.ecs.describe_service_deployments(serviceDeploymentArns=[sd])["serviceDeployments"][0]
        self.assertEqual(d["deploymentCircuitBreaker"]["status"], "TRIGGERED")
        self.assertGreaterEqual(d["deploymentCircuitBreaker"]["failureCount"], 3)
        self.assertIn("circuit breaker", d["rollback"]["reason"])
        self.assertEqual(d["rollback"]["serviceRevisionArn"], d["sourceServiceRevisions"][0]["arn"])
        td, deployments = self.task_definitions(cluster, arn)
        self.assertEqual(td, before, "the service runs the old revision again")
        self.assertEqual(deployments[0], ("PRIMARY", "COMPLETED"))
        stopped = self.ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED")["taskArns"]
        tasks = self.ecs.describe_tasks(cluster=cluster, tasks=stopped)["tasks"]
        failed = [t for t in tasks if t.get("stopCode") == "EssentialContainerExited"]
        self.assertGreaterEqual(len(failed), 3)
        self.assertEqual(failed[0]["containers"][0]["exitCode"], 1)
        self.assertEqual(failed[0]["stoppedReason"], "Essential container in task exited")

    def test_rollback_during_bake_time_returns_traffic_to_blue(self):
        cluster, arn = self.blue_green_service(bake=5)
        before, _ = self.task_definitions(cluster, arn)
        _, sd = self.update(cluster, arn)
        self.follow(sd, lambda d: d.get("lifecycleStage") == "BAKE_TIME")
        self.assertEqual(self.green(self.production_rule), 100.0)
        self.ecs.stop_service_deployment(serviceDeploymentArn=sd, stopType="ROLLBACK")
        self.assertEqual(self.green(self.production_rule), 0.0, "traffic back on blue at once")
        self.assertEqual(self.green(self.test_rule), 0.0)
        self.follow(sd, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")
        self.assertEqual(self.task_definitions(cluster, arn)[0], before)
        code, message, _ = self.error(self.ecs.stop_service_deployment, serviceDeploymentArn=sd, stopType="ROLLBACK")
        self.assertEqual(code, "ConflictException")
        code, _, _ = self.error(self.ecs.stop_service_deployment, serviceDeploymentArn=sd + "x")
        self.assertEqual(code, "ServiceDeploymentNotFoundException")

    def shifts(self, cluster, arn):
        """The production weights on green seen during an update, and when each began."""
        _, sd = self.update(cluster, arn)
        seen = self.follow(sd, lambda d: d["status"] == "SUCCESSFUL", probe=lambda: self.green(self.production_rule))
        steps = []
        for _, t, percent in seen:
            if not steps or steps[-1][0] != percent:
                steps.append((percent, t))
        return steps

    def test_canary_shifts_its_percent_then_the_rest(self):
        cluster, arn = self.blue_green_service(strategy="CANARY", bake=0, canaryConfiguration={
            "canaryPercent": 10.0, "canaryBakeTimeInMinutes": 1})
        steps = self.shifts(cluster, arn)
        self.assertEqual([p for p, _ in steps], [0.0, 10.0, 100.0])
        self.assert_took(steps[2][1] - steps[1][1], T("ecs.traffic_shift") + 60, "the canary step and its bake time")

    def test_linear_shifts_in_equal_steps(self):
        cluster, arn = self.blue_green_service(strategy="LINEAR", bake=0, linearConfiguration={
            "stepPercent": 25.0, "stepBakeTimeInMinutes": 1})
        steps = self.shifts(cluster, arn)
        self.assertEqual([p for p, _ in steps], [0.0, 25.0, 50.0, 75.0, 100.0])
        for a, b in zip(steps[1:], steps[2:]):
            self.assert_took(b[1] - a[1], 60 + T("ecs.traffic_shift"), "a linear step")

    def test_pause_hook_holds_until_continued(self):
        cluster, arn = self.blue_green_service()
        _, sd = self.update(cluster, arn, deploymentConfiguration={"lifecycleHooks": [{
            "targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}]})
        d = self.follow(sd, lambda d: d.get("lifecycleStage") == "POST_TEST_TRAFFIC_SHIFT")
        d = self.ecs.describe_service_deployments(serviceDeploymentArns=[sd])["serviceDeployments"][0]
        hook = d["lifecycleHookDetails"][0]
        self.assertEqual((hook["targetType"], hook["status"], hook["timeoutAction"]),
                         ("PAUSE", "AWAITING_ACTION", "ROLLBACK"))
        time.sleep(120 * self.scale)        # it stays paused: the test listener on green, production on blue
        d = self.ecs.describe_service_deployments(serviceDeploymentArns=[sd])["serviceDeployments"][0]
        self.assertEqual(d["lifecycleStage"], "POST_TEST_TRAFFIC_SHIFT")
        self.assertEqual((self.green(self.test_rule), self.green(self.production_rule)), (100.0, 0.0))
        code, _, _ = self.error(self.ecs.continue_service_deployment, serviceDeploymentArn=sd, hookId="nope")
        self.assertEqual(code, "InvalidParameterException")
        self.ecs.continue_service_deployment(serviceDeploymentArn=sd, hookId=hook["hookId"], action="CONTINUE")
        self.follow(sd, lambda d: d["status"] == "SUCCESSFUL")
        self.assertEqual(self.green(self.production_rule), 100.0)
        # the same hook answered ROLLBACK the next time
        _, sd = self.update(cluster, arn, image="nginx:3")
        self.follow(sd, lambda d: d.get("lifecycleStage") == "POST_TEST_TRAFFIC_SHIFT")
        hook = self.current(cluster, arn)["lifecycleHookDetails"][0]
        self.ecs.continue_service_deployment(serviceDeploymentArn=sd, hookId=hook["hookId"], action="ROLLBACK")
        self.follow(sd, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")
        self.assertEqual(self.green(self.production_rule), 100.0, "production stays on the last green")

    def test_pause_hook_timeout_takes_its_action(self):
        cluster, arn = self.blue_green_service(lifecycleHooks=[{
            "targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"],
            "timeoutConfiguration": {"timeoutInMinutes": 1, "action": "CONTINUE"}}])
        # the first deployment paused too and went on after its minute
        _, sd = self.update(cluster, arn)
        seen = self.follow(sd, lambda d: d["status"] == "SUCCESSFUL")
        start = {stage: t for stage, t, _ in reversed(seen)}
        self.assert_took(start["SCALE_UP"] - start["PRE_SCALE_UP"], 60, "the hook's timeout")
        d = self.ecs.describe_service_deployments(serviceDeploymentArns=[sd])["serviceDeployments"][0]
        self.assertEqual(d["lifecycleHookDetails"][0]["status"], "TIMED_OUT")

    def test_refused_settings(self):
        lb = self.blue_green_resources()
        bad = [
            (dict(strategy="BLUE_GREEN", bakeTimeInMinutes=1, lifecycleHooks=[
                {"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]), "PAUSE hooks cannot"),
            (dict(strategy="BLUE_GREEN"), "bakeTimeInMinutes"),
            (dict(strategy="LINEAR", canaryConfiguration={"canaryPercent": 5.0}), "only valid"),
            (dict(strategy="LINEAR", linearConfiguration={"stepPercent": 2.0}), "stepPercent"),
            (dict(strategy="CANARY", canaryConfiguration={"canaryPercent": 5.05}), "canaryPercent"),
        ]
        for dc, words in bad:
            code, message, _ = self.error(self.service, desired=1, loadBalancers=[lb], deploymentConfiguration=dc)
            self.assertEqual(code, "InvalidParameterException", dc)
            self.assertIn(words, message)
        # a production rule that forwards to the primary group only
        one = self.elb.create_rule(ListenerArn=self.elb.describe_rules(RuleArns=[self.production_rule])["Rules"][0][
            "RuleArn"].replace("listener-rule", "listener").rsplit("/", 1)[0], Priority=20, Conditions=[
            {"Field": "path-pattern", "Values": ["/x/*"]}], Actions=[{"Type": "forward", "TargetGroupArn": self.primary}])
        alone = dict(lb, advancedConfiguration=dict(lb["advancedConfiguration"],
                                                    productionListenerRule=one["Rules"][0]["RuleArn"]))
        code, message, _ = self.error(self.service, desired=1, loadBalancers=[alone], deploymentConfiguration={
            "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
        self.assertEqual(code, "InvalidParameterException")
        self.assertIn("must forward to both target groups", message)
        plain = dict(lb, advancedConfiguration={"alternateTargetGroupArn": self.alternate})
        code, message, _ = self.error(self.service, desired=1, loadBalancers=[plain], deploymentConfiguration={
            "strategy": "CANARY"})
        self.assertEqual(code, "InvalidParameterException")
        self.assertIn("productionListenerRule, roleArn", message)
        code, _, status = self.error(self.service, desired=1, loadBalancers=[lb], deploymentConfiguration={
            "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "lifecycleHooks": [{
                "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:f", "lifecycleStages": ["PRE_SCALE_UP"],
                "roleArn": lb["advancedConfiguration"]["roleArn"]}]})
        self.assertEqual((code, status), ("SimulatorNotImplemented", 501))

    def test_infrastructure_role_without_the_policy_rolls_back(self):
        lb = self.blue_green_resources(policy=None)
        cluster, arn = self.service(desired=1, deploymentConfiguration={"strategy": "ROLLING"})
        self.wait_for(lambda: self.current(cluster, arn)["status"] == "SUCCESSFUL", 300, "rolling")
        _, sd = self.update(cluster, arn, loadBalancers=[lb], deploymentConfiguration={
            "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
        self.follow(sd, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")
        d = self.ecs.describe_service_deployments(serviceDeploymentArns=[sd])["serviceDeployments"][0]
        self.assertIn("AmazonECSInfrastructureRolePolicyForLoadBalancers", d["statusReason"])

    def test_switching_strategies_both_ways(self):
        lb = self.blue_green_resources(test_listener=False)
        rolling = {"targetGroupArn": self.primary, "containerName": "app", "containerPort": 80}
        cluster, arn = self.service(desired=2, loadBalancers=[rolling], deploymentConfiguration={
            "strategy": "ROLLING", "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        self.wait_for(lambda: self.current(cluster, arn)["status"] == "SUCCESSFUL", 600, "rolling")
        self.assertNotIn("lifecycleStage", self.current(cluster, arn))
        # rolling -> blue/green: green goes to the alternate group, production moves there
        _, sd = self.update(cluster, arn, loadBalancers=[lb], deploymentConfiguration={
            "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
        seen = self.follow(sd, lambda d: d["status"] == "SUCCESSFUL")
        self.assertIn("BAKE_TIME", self.stages(seen))
        self.assertEqual(self.green(self.production_rule), 100.0)
        s = self.ecs.describe_services(cluster=cluster, services=[arn])["services"][0]
        self.assertEqual(s["deploymentConfiguration"]["strategy"], "BLUE_GREEN")
        self.assertEqual(s["deploymentConfiguration"]["deploymentCircuitBreaker"], {"enable": True, "rollback": True})
        # blue/green -> rolling, in the group that now takes the traffic
        back = dict(rolling, targetGroupArn=self.alternate)
        _, sd = self.update(cluster, arn, loadBalancers=[back], deploymentConfiguration={"strategy": "ROLLING"})
        seen = self.follow(sd, lambda d: d["status"] == "SUCCESSFUL")
        self.assertEqual(self.stages(seen)[-1], "SUCCESSFUL")
        self.assertNotIn("BAKE_TIME", self.stages(seen))
        health = lambda: [h["TargetHealth"]["State"] for h in self.elb.describe_target_health(
            TargetGroupArn=self.alternate)["TargetHealthDescriptions"]]
        self.wait_for(lambda: "draining" not in health(), DRAIN, "blue/green's tasks drained")
        self.assertEqual(health(), ["healthy", "healthy"])
        listed = self.ecs.list_service_deployments(cluster=cluster, service=arn)["serviceDeployments"]
        self.assertEqual([x["status"] for x in listed], ["SUCCESSFUL"] * 3)

    def test_rolling_circuit_breaker_rolls_back(self):
        cluster, arn = self.service(desired=2, deploymentConfiguration={
            "strategy": "ROLLING", "minimumHealthyPercent": 50,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        self.wait_for(lambda: self.current(cluster, arn)["status"] == "SUCCESSFUL", 300, "rolling")
        before, _ = self.task_definitions(cluster, arn)
        _, sd = self.update(cluster, arn, image="nginx:sim-fail")
        seen = self.follow(sd, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")
        self.assertEqual(self.stages(seen)[-2:], ["ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"])
        self.assertEqual(self.task_definitions(cluster, arn)[0], before)
        events = " ".join(e["message"] for e in self.ecs.describe_services(
            cluster=cluster, services=[arn])["services"][0]["events"])
        self.assertIn("rolling back", events)
