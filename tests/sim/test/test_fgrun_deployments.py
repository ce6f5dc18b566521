"""Issue 19 items 2 and 3 through fgrun: fg.wait_for_deployment follows a
blue/green service deployment stage by stage and fails (exit 1, with the
diagnosis) when it is rolled back; fg.rollback_deployment during the bake
time returns the traffic to the old revision; fg.continue_deployment takes a
deployment past its PAUSE hook; fg.deployment_status says where it is; and
the requests fgrun makes for these are botocore's on the wire."""
import json
import urllib.parse

import botocore.serialize
import botocore.session

from base import SimCase, fgrun
from bluegreen import BlueGreenCase

# Polls quick enough to see a stage of a few hundredths of a second at the suite's scale.
FAST = "delay = 0.05, max_delay = 0.2, timeout = 300"


class FgrunDeployments(BlueGreenCase):
    def run_lua(self, snippet):
        return fgrun(snippet, self.sim.url)

    def wait_snippet(self, cluster, arn, extra=""):
        return '''
            local fg = require "fg"
            local s, sd = fg.wait_for_deployment{cluster = "%s", service = "%s", %s %s}
            print(sd.status, s.taskDefinition)''' % (cluster, arn, FAST, extra)

    def test_wait_follows_each_stage_then_succeeds(self):
        cluster, arn = self.blue_green_service()
        self.scale_for(60, real=2.0)      # every stage long enough for polls to see
        self.update(cluster, arn)
        td = self.ecs.describe_services(cluster=cluster, services=[arn])["services"][0]["deployments"][0][
            "taskDefinition"]
        rc, out, err = self.run_lua(self.wait_snippet(cluster, arn, ', task_definition = "%s"' % td))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.split(), ["SUCCESSFUL", td])
        for line in ("stage SCALE_UP: starting the new revision's tasks", "stage BAKE_TIME",
                     "traffic: production 100%, test 100% on the new revision", "stage CLEAN_UP"):
            self.assertIn(line, err)
        self.assertLess(err.index("stage SCALE_UP"), err.index("stage BAKE_TIME"))
        self.assertLess(err.index("stage BAKE_TIME"), err.index("stage CLEAN_UP"))

    def test_failing_image_rolled_back_exits_1_with_the_diagnosis(self):
        cluster, arn = self.blue_green_service()
        self.update(cluster, arn, image="nginx:sim-fail")
        rc, out, err = self.run_lua(self.wait_snippet(cluster, arn))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("ROLLBACK_IN_PROGRESS: circuit breaker", err)
        self.assertIn("was rolled back to", err)
        self.assertIn("circuit breaker TRIGGERED: 3 of 3 failed tasks", err)
        self.assertIn("Essential container in task exited", err, "the diagnosis names the stopped tasks")
        self.assertIn("exit code 1", err)
        self.assertEqual(self.green(self.production_rule), 0.0)

    def test_rolling_circuit_breaker_rollback_exits_1(self):
        cluster, arn = self.service(desired=2, deploymentConfiguration={
            "strategy": "ROLLING", "minimumHealthyPercent": 50,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        self.wait_for(lambda: self.current(cluster, arn)["status"] == "SUCCESSFUL", 300, "rolling")
        self.update(cluster, arn, image="nginx:sim-fail")
        rc, out, err = self.run_lua(self.wait_snippet(cluster, arn))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("rolling back", err)
        self.assertIn("Essential container in task exited", err)

    def test_rollback_during_bake_time(self):
        cluster, arn = self.blue_green_service(bake=10)
        before = self.task_definitions(cluster, arn)[0]
        _, sd = self.update(cluster, arn)
        self.follow(sd, lambda d: d.get("lifecycleStage") == "BAKE_TIME")
        self.assertEqual(self.green(self.production_rule), 100.0)
        rc, out, err = self.run_lua('''
            local fg = require "fg"
            for _, line in ipairs(fg.deployment_status{cluster = "%s", service = "%s"}) do print(line) end
            local sd = fg.rollback_deployment{cluster = "%s", service = "%s", %s}
            print(sd.status)''' % (cluster, arn, cluster, arn, FAST))
        self.assertEqual(rc, 0, err)
        self.assertIn("BLUE_GREEN", out.splitlines()[0])
        self.assertIn("BAKE_TIME", out.splitlines()[0])
        self.assertIn("production 100%, test 100% on the new revision", out.splitlines()[0])
        self.assertEqual(out.splitlines()[-1], "ROLLBACK_SUCCESSFUL")
        self.assertIn("ROLLBACK_IN_PROGRESS: StopServiceDeployment", err)
        self.assertEqual((self.green(self.production_rule), self.green(self.test_rule)), (0.0, 0.0))
        self.assertEqual(self.task_definitions(cluster, arn)[0], before)
        # nothing left to roll back
        rc, out, err = self.run_lua('require("fg").rollback_deployment{cluster = "%s", service = "%s"}'
                                    % (cluster, arn))
        self.assertEqual(rc, 1)
        self.assertIn("no deployment of", err)
        self.assertIn("is ROLLBACK_SUCCESSFUL", err)

    def test_continue_past_a_pause_hook(self):
        cluster, arn = self.blue_green_service()
        self.update(cluster, arn, deploymentConfiguration={"lifecycleHooks": [{
            "targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]})
        rc, out, err = self.run_lua('''
            local fg = require "fg"
            local _, sd = fg.wait_for_deployment{cluster = "%s", service = "%s", paused = "return", %s}
            print(sd.status, sd.lifecycleStage)
            for _, line in ipairs(fg.deployment_status{cluster = "%s", service = "%s"}) do print(line) end
        ''' % (cluster, arn, FAST, cluster, arn))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[0].split(), ["IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT"])
        self.assertIn("awaits ContinueServiceDeployment", out)
        self.assertIn("then ROLLBACK", out)
        self.assertIn("paused at this stage", err)
        self.assertEqual((self.green(self.test_rule), self.green(self.production_rule)), (100.0, 0.0))
        rc, out, err = self.run_lua('''
            local sd = require("fg").continue_deployment{cluster = "%s", service = "%s", %s}
            print(sd.status)''' % (cluster, arn, FAST))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), "SUCCESSFUL")
        self.assertEqual(self.green(self.production_rule), 100.0)
        rc, out, err = self.run_lua('require("fg").continue_deployment{cluster = "%s", service = "%s"}'
                                    % (cluster, arn))
        self.assertEqual(rc, 1)
        self.assertIn("no deployment of", err)


# The requests fgrun makes for issue 19, with the parameters its library
# sends, each compared with botocore's serialization of the same input.
WIRE = [
    ("ecs", "ListServiceDeployments", {"cluster": "c", "service": "s", "maxResults": 1}),
    ("ecs", "DescribeServiceDeployments", {"serviceDeploymentArns": [
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/abc"]}),
    ("ecs", "StopServiceDeployment", {"serviceDeploymentArn": "arn:aws:ecs:us-east-1:1:service-deployment/c/s/a",
                                      "stopType": "ROLLBACK"}),
    ("ecs", "ContinueServiceDeployment", {"serviceDeploymentArn": "arn:aws:ecs:us-east-1:1:service-deployment/c/s/a",
                                          "hookId": "ecs-pause-x", "action": "CONTINUE"}),
    ("ecs", "UpdateService", {"cluster": "c", "service": "s", "taskDefinition": "f:2", "deploymentConfiguration": {
        "strategy": "CANARY", "bakeTimeInMinutes": 5, "canaryConfiguration": {"canaryPercent": 2.5,
                                                                           "canaryBakeTimeInMinutes": 3},
        "maximumPercent": 200, "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"],
                            "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "CONTINUE"}}]},
        "loadBalancers": [{"targetGroupArn": "arn:tg/a", "containerName": "app", "containerPort": 3000,
                           "advancedConfiguration": {"alternateTargetGroupArn": "arn:tg/b",
                                                     "productionListenerRule": "arn:rule/p",
                                                     "testListenerRule": "arn:rule/t", "roleArn": "arn:role/r"}}]}),
    ("ecs", "UpdateService", {"cluster": "c", "service": "s", "deploymentConfiguration": {
        "strategy": "LINEAR", "bakeTimeInMinutes": 0, "linearConfiguration": {"stepPercent": 12.5,
                                                                           "stepBakeTimeInMinutes": 1}}}),
    ("ecs", "UpdateService", {"cluster": "c", "service": "s", "deploymentConfiguration": {
        "strategy": "ROLLING", "lifecycleHooks": []}}),
    # the production and test rules of fg.aws's listener_rule with alternate_target_group
    ("elbv2", "CreateRule", {"ListenerArn": "arn:l", "Priority": 1, "Conditions": [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}], "Actions": [
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "arn:tg/a", "Weight": 100},
                                                               {"TargetGroupArn": "arn:tg/b", "Weight": 0}]}}],
        "Tags": [{"Key": "fgrun:step", "Value": "production_rule"}]}),
    ("ecs", "UpdateService", {"cluster": "c", "service": "s", "deploymentConfiguration": {"strategy": "ROLLING"},
                              "loadBalancers": [{"targetGroupArn": "arn:tg/b", "containerName": "app",
                                                 "containerPort": 3000}]}),
]


class Wire(SimCase):
    def test_requests_are_botocores(self):
        session = botocore.session.get_session()
        snippet = '''
            local json = require "json"
            local out = {}
            for _, case in ipairs(json.decode(%r)) do
              local service, operation, params = case[1], case[2], case[3]
              local client = require("aws")[service]
              local snake = require("aws.model").snake_name(operation)
              local r = client.build_request(snake, params)
              out[#out + 1] = {method = r.method, target = r.headers["X-Amz-Target"],
                               ctype = r.headers["Content-Type"], body = r.body}
            end
            print(json.encode(out))''' % json.dumps(WIRE)
        rc, out, err = fgrun(snippet, self.sim.url)
        self.assertEqual(rc, 0, err)
        mine = json.loads(out)
        for (service, operation, params), got in zip(WIRE, mine):
            model = session.get_service_model(service)
            want = botocore.serialize.create_serializer(model.metadata["protocol"]).serialize_to_request(
                params, model.operation_model(operation))
            self.assertEqual(got["method"], want["method"], operation)
            self.assertEqual(got.get("target"), want["headers"].get("X-Amz-Target"), operation)
            self.assertEqual(got["ctype"], want["headers"].get("Content-Type"), operation)
            if model.metadata["protocol"] == "query":
                # form fields: botocore's dict against the body fgrun sends
                sent = dict(urllib.parse.parse_qsl(got["body"], keep_blank_values=True))
                self.assertEqual(sent, {k: str(v) for k, v in want["body"].items()}, operation)
                continue
            self.assertEqual(json.loads(got["body"]), json.loads(want["body"]), operation)
            # doubles keep their fraction, integers stay integers, as botocore writes them
            self.assertEqual(json.dumps(json.loads(got["body"]), sort_keys=True),
                             json.dumps(json.loads(want["body"]), sort_keys=True), operation)
