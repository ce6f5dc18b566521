"""API latency: every answer comes after the service's latency."""
from behaviours import Behaviour


class Latency(Behaviour):
    name = "latency"
    what = "every answer is delayed by api.latency (IAM: api.latency.iam)"
    source = "timing.py api.latency, api.latency.iam"

    def delay(self, world, call):
        return world.seconds("api.latency.iam" if call.service == "iam" else "api.latency")


BEHAVIOURS = [Latency()]
