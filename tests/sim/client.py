"""A Python client of the simulator's control interface (/__sim/), for
tests: switch behaviours, set the deny list, read the log of calls.

    sim = Sim(os.environ["FGRUN_TEST_SIM_URL"])
    sim.reset(moto=True)
    sim.configure(on=["ecr.*"], deny=["ecs:CreateService"])
    ecs = sim.boto3("ecs")
"""
import json
import urllib.request


class Sim:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/__sim/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def config(self):
        return self._call("GET", "config")

    def configure(self, **change):
        """scale=, set=[names], on=[names], off=[names], deny=[actions], options={}"""
        return self._call("POST", "config", change)

    def reset(self, moto=False):
        return self._call("POST", "reset" + ("?moto=1" if moto else ""), {})

    def log(self):
        return self._call("GET", "log")

    def boto3(self, service, region="us-east-1", access_key="testing"):
        import boto3
        import botocore.config
        return boto3.client(service, endpoint_url=self.url, region_name=region, aws_access_key_id=access_key,
                            aws_secret_access_key="testing",
                            config=botocore.config.Config(retries={"max_attempts": 1}))
