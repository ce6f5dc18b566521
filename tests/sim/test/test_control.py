"""The control interface: behaviours switched one by one, the "aws"
profile, unknown names refused, reset, and the log of calls."""
import json
import urllib.error
import urllib.request

from base import SimCase


class Control(SimCase):
    def test_profile_aws_is_every_behaviour_but_account_settings(self):
        conf = self.sim.configure(set=["aws"])
        every = conf["behaviours"]
        self.assertEqual(set(conf["on"]), {n for n, b in every.items() if b["profile"]})
        self.assertIn("ecr.unsupported_image", conf["on"])
        self.assertNotIn("ecr.enhanced", conf["on"])

    def test_each_behaviour_names_its_source(self):
        for name, b in self.sim.config()["behaviours"].items():
            self.assertTrue(b["source"] and b["what"], name)

    def test_on_off_and_globs(self):
        self.assertEqual(self.sim.configure(on=["ecr.*"], off=["ecr.enhanced"])["on"],
                         ["ecr.scan_on_push", "ecr.scan_time", "ecr.unsupported_image"])
        self.assertEqual(self.sim.configure(off=["ecr.scan_time"])["on"], ["ecr.scan_on_push", "ecr.unsupported_image"])
        with urllib.request.urlopen(self.sim.url + "/__sim/on/logs.retention") as r:
            self.assertIn("logs.retention", json.loads(r.read())["on"])

    def test_unknown_names_are_refused_and_change_nothing(self):
        self.sim.configure(on=["logs.retention"])
        req = urllib.request.Request(self.sim.url + "/__sim/config", method="POST",
                                     data=json.dumps({"on": ["ecr.scan_time", "no.such"]}).encode())
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req)
        self.assertEqual(e.exception.code, 400)
        self.assertIn("no.such", json.loads(e.exception.read())["error"])
        self.assertEqual(self.sim.config()["on"], ["logs.retention"])

    def test_reset_restores_the_start_and_empties_the_log(self):
        self.c("sts").get_caller_identity()
        self.assertEqual([(e["service"], e["operation"]) for e in self.sim.log()], [("sts", "GetCallerIdentity")])
        self.sim.configure(on=["aws"], deny=["ecs:*"], scale=0.5)
        conf = self.sim.reset()
        self.assertEqual((conf["on"], conf["deny"], conf["scale"]), ([], [], self.scale))
        self.assertEqual(self.sim.log(), [])

    def test_plain_proxy_when_nothing_is_on(self):
        g = self.n("g")
        self.c("logs").create_log_group(logGroupName=g)
        self.c("logs").put_retention_policy(logGroupName=g, retentionInDays=4)   # moto takes it
        self.assertEqual(self.sim.log()[-1]["by"], "moto")
