"""Issue 18's ordering rules and critical path: the plan matches the recipe
as it is, the longest chain is found, and the checks of a call log and of
a journal catch an order AWS refuses (and pass the recipe's own order,
through the simulator, when fgrun is built)."""
import json
import os
import subprocess
import tempfile
import unittest

import critical_path
import plan
import rules
import timing
from base import SimCase

T = timing.seconds


class Plan(unittest.TestCase):
    def test_plan_steps_are_the_recipe_steps(self):
        steps = plan.recipe_steps()
        for phase in ("deploy", "destroy"):
            planned = {n.name for n in plan.recipe_plan(phase).values() if n.step}
            self.assertEqual(planned, steps, "%s: the plan (plan.py) and recipes/fargate_alb.lua differ" % phase)
        update = {n.name for n in plan.recipe_plan("update").values() if n.step}
        self.assertLessEqual(update, steps)

    def test_every_reason_names_a_rule_or_says_why(self):
        for phase in critical_path.PHASES:
            for node in plan.recipe_plan(phase).values():
                for dep, why in node.needs:
                    self.assertIn(dep, plan.recipe_plan(phase), "%s needs unknown %s" % (node.name, dep))
                    if "-needs-" in why:
                        self.assertIn(why, rules.BY_NAME, "%s: no rule %s" % (node.name, why))

    def test_settings_come_from_the_recipe(self):
        s = plan.recipe_settings()
        self.assertTrue(s["health_interval"][1].startswith("recipes/fargate_alb.lua:"))
        self.assertTrue(s["healthy_threshold"][1].startswith("recipes/fargate_alb.lua:"))

    def test_longest_chain(self):
        nodes = plan._graph([plan.Node("a", 1), plan.Node("b", 5, [("a", "data")]), plan.Node("c", 2, [("a", "data")]),
                             plan.Node("d", 1, [("b", "data"), ("c", "data")])])
        length, path = critical_path.critical_path(nodes)
        self.assertEqual((length, [n.name for n, _, _ in path]), (7.0, ["a", "b", "d"]))

    def test_deploy_is_the_load_balancer_then_health_checks(self):
        r = critical_path.report("deploy", 0.05, 0.0, plan.recipe_settings())
        names = [p["node"] for p in r["path"]]
        self.assertIn("load_balancer_active", names)
        s = {k: v[0] for k, v in plan.recipe_settings().items()}
        waits = T("elbv2.provisioning") + s["health_interval"] * s["healthy_threshold"]
        self.assertGreaterEqual(r["aws_seconds"], waits)
        self.assertLess(r["aws_seconds"], waits + 1)
        self.assertAlmostEqual(r["scaled_seconds"], r["aws_seconds"] * 0.05, places=2)

    def test_destroy_waits_on_the_draining(self):
        r = critical_path.report("destroy", 1.0, 0.0, plan.recipe_settings())
        self.assertIn("service_inactive", [p["node"] for p in r["path"]])
        self.assertGreater(r["aws_seconds"], plan.recipe_settings()["deregistration_delay"][0])

    def test_command_line(self):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run(["python3", os.path.join(here, "critical_path.py"), "--scale", "0.1", "--json"],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual([p["phase"] for p in json.loads(out)["phases"]], ["deploy", "update", "destroy"])
        table = subprocess.run(["python3", os.path.join(here, "critical_path.py"), "--table"],
                               capture_output=True, text=True, check=True).stdout
        self.assertIn("elbv2.provisioning", table)

    def test_readme_holds_the_current_table(self):
        readme = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
        self.assertIn(timing.markdown(), open(readme).read(),
                      "tests/sim/README.md: paste `python3 tests/sim/critical_path.py --table` into it")


def entry(n, op, status=200, **keys):
    service, operation = op.split(".")
    return {"n": n, "service": service, "operation": operation, "status": status, "keys": keys}


class LogRules(unittest.TestCase):
    def test_removals(self):
        log = [entry(1, "iam.AttachRolePolicy", RoleName="r", PolicyArn="p"),
               entry(2, "iam.DeleteRole", RoleName="r")]
        self.assertEqual([v[0] for v in rules.check_log(log)], ["role-delete-needs-detach"])
        log.insert(1, entry(9, "iam.DetachRolePolicy", RoleName="r", PolicyArn="p"))
        self.assertEqual(rules.check_log(log), [])

    def test_a_load_balancer_deletion_takes_its_listeners(self):
        log = [entry(1, "elasticloadbalancing.CreateListener", LoadBalancerArn="lb", ListenerArn="l",
                     **{"forward:TargetGroupArn": ["tg"]}),
               entry(2, "elasticloadbalancing.DeleteLoadBalancer", LoadBalancerArn="lb"),
               entry(3, "elasticloadbalancing.DeleteTargetGroup", TargetGroupArn="tg")]
        self.assertEqual(rules.check_log(log), [])
        self.assertEqual(len(rules.check_log([log[0], log[2]])), 1)

    def test_failed_calls_are_not_checked(self):
        log = [entry(1, "ecs.CreateService", **{"loadBalancers:targetGroupArn": ["tg"]}),
               entry(2, "elasticloadbalancing.CreateListener", **{"forward:TargetGroupArn": ["tg"]})]
        self.assertEqual([v[0] for v in rules.check_log(log)], ["service-needs-listener"])
        log[0]["status"] = 400
        self.assertEqual(rules.check_log(log), [])


class Journal(unittest.TestCase):
    def test_order_against_the_plan(self):
        good = {"steps": [{"name": "suffix"}, {"name": "load_balancer"}, {"name": "target_group"},
                          {"name": "listener", "started_at": "2026-01-01T00:00:05Z"}]}
        good["steps"][1]["finished_at"] = "2026-01-01T00:00:04Z"
        self.assertEqual(rules.check_journal(good), [])
        bad = {"steps": [{"name": "listener"}, {"name": "load_balancer"}]}
        self.assertEqual(rules.check_journal(bad)[0][:2], ("listener", "load_balancer"))
        late = {"steps": [{"name": "load_balancer", "finished_at": "2026-01-01T00:00:09Z"},
                          {"name": "listener", "started_at": "2026-01-01T00:00:05Z"}]}
        self.assertEqual(len(rules.check_journal(late)), 1)


class RecipeOrder(SimCase):
    """The recipe as it is, through the simulator as a plain proxy: its
    journal and the log of its calls respect every rule."""

    def test_deploy_and_destroy(self):
        exe = os.environ.get("FGRUN", "")
        if not exe or not os.access(exe, os.X_OK):
            self.skipTest("no fgrun binary (FGRUN)")
        root = os.path.dirname(plan.RECIPE)
        with tempfile.TemporaryDirectory() as state:
            env = dict(os.environ, AWS_ENDPOINT_URL=self.sim.url, AWS_ACCESS_KEY_ID="testing",
                       AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                       NO_COLOR="1")
            for k in ("AWS_PROFILE", "DOCKER_HOST", "FGRUN_REGISTRY_MAP"):
                env.pop(k, None)
            base = [exe, "--state-dir", state, "--env", "local", "-D", "image=public.ecr.aws/nginx/nginx:latest"]
            p = subprocess.run(base + [os.path.join(root, "fargate_alb.lua")], env=env, capture_output=True,
                               text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            journal = os.path.join(state, "fargate-alb.local.json")
            self.assertEqual(rules.check_journal(journal), [])
            deployed = self.sim.log()
            self.assertEqual(rules.check_log(deployed), [])
            p = subprocess.run(base + ["--destroy", os.path.join(root, "fargate_alb.lua")], env=env,
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertEqual(rules.check_log(self.sim.log()), [])
