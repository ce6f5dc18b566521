"""The simulator's state: its clock and scale, which behaviours are on, the
deny list, the log of calls, the models of resources (tests/sim/model/),
and clients to moto for looking things up.

Everything is guarded by one lock: the server holds it from the first
behaviour to the last, moto's answer included, so the models change in the
same order as moto's state. Latency is slept outside it.
"""
import fnmatch
import http.client
import json
import threading
import time
import urllib.parse

import behaviours as behaviours_module
import timing
import wire


class World:
    def __init__(self, upstream, scale=1.0, behaviours=(), deny=(), options=None, registry=None, log_path=None):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.registry = registry
        self.lock = threading.RLock()
        self.log_file = open(log_path, "a", buffering=1) if log_path else None
        self.catalogue = {}             # name -> Behaviour, in the order they run
        behaviours_module.load(self)
        self.started = time.monotonic()
        self._initial = (scale, tuple(behaviours), tuple(deny), dict(options or {}))
        self.reset()

    def reset(self):
        """Back to the state at start: configuration, models, log."""
        scale, behaviours, deny, options = self._initial
        self.scale = scale
        self.on = set()
        self.deny = list(deny)
        self.options = dict(options)
        self.log = []
        self.models = {}
        self._accounts = getattr(self, "_accounts", {})     # moto's identities and clients outlive a reset
        self._clients = getattr(self, "_clients", {})
        self.switch(behaviours, True)

    # --- configuration -------------------------------------------------------------
    def expand(self, names):
        """Behaviour names from names, 'aws' (the profile: every behaviour
        that AWS always shows) and globs ('ecr.*'). Unknown names are an error."""
        out = []
        for n in names:
            n = n.strip()
            if not n:
                continue
            if n == "aws":
                out += [b.name for b in self.catalogue.values() if b.profile]
                continue
            hits = [b for b in self.catalogue if fnmatch.fnmatchcase(b, n)]
            if not hits:
                raise ValueError("unknown behaviour %r (known: aws, %s)" % (n, ", ".join(sorted(self.catalogue))))
            out += hits
        return out

    def switch(self, names, on):
        for n in self.expand(names):
            (self.on.add if on else self.on.discard)(n)

    def config(self):
        return {
            "scale": self.scale,
            "on": sorted(self.on),
            "deny": self.deny,
            "options": self.options,
            "behaviours": {b.name: {"on": b.name in self.on, "profile": b.profile, "what": b.what,
                                    "source": b.source} for b in self.catalogue.values()},
        }

    def configure(self, change):
        """Applies {"scale", "set", "on", "off", "deny", "options"}; unknown
        keys and names are errors and nothing changes."""
        known = {"scale", "set", "on", "off", "deny", "options"}
        bad = set(change) - known
        if bad:
            raise ValueError("unknown keys %s (known: %s)" % (sorted(bad), ", ".join(sorted(known))))
        for key in ("set", "on", "off"):
            if key in change:
                self.expand(change[key])
        if "scale" in change:
            scale = float(change["scale"])
            if not scale > 0:
                raise ValueError("scale must be > 0")
            self.scale = scale
        if "set" in change:
            self.on = set()
            self.switch(change["set"], True)
        self.switch(change.get("on", ()), True)
        self.switch(change.get("off", ()), False)
        if "deny" in change:
            self.deny = [str(a) for a in change["deny"]]
        if "options" in change:
            self.options.update(change["options"])

    def is_on(self, name):
        return name in self.on

    # --- time ------------------------------------------------------------------------
    def now(self):
        return time.monotonic()

    def seconds(self, name):
        """The table's delay `name`, scaled: real seconds."""
        return timing.seconds(name) * self.scale

    def scaled(self, aws_seconds):
        """A resource's own setting (AWS seconds), scaled."""
        return float(aws_seconds) * self.scale

    def wall(self, at):
        """Epoch seconds of a monotonic instant (as AWS's JSON answers give times)."""
        return round(time.time() - (self.now() - at), 3)

    # --- models ----------------------------------------------------------------------
    def model(self, name, make):
        if name not in self.models:
            self.models[name] = make(self)
        return self.models[name]

    # --- access ---------------------------------------------------------------------
    def denied(self, action):
        """The deny-list entry that refuses an IAM action ('ecs:CreateService'), or None."""
        for pattern in self.deny:
            if fnmatch.fnmatch(action.lower(), pattern.lower()):
                return pattern
        return None

    def identity(self, call):
        """(account, principal ARN) of the caller as moto sees its access key."""
        key = call.access_key
        if key not in self._accounts:
            try:
                who = self.client("sts", call).get_caller_identity()
                self._accounts[key] = (who["Account"], who["Arn"])
            except Exception:
                self._accounts[key] = ("123456789012", "arn:aws:iam::123456789012:user/unknown")
        return self._accounts[key]

    def client(self, service, call):
        """A boto3 client to moto, as the caller of `call` (same access key and region)."""
        import boto3
        key = (service, call.access_key, call.region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service, endpoint_url=urllib.parse.urlunsplit(self.upstream), region_name=call.region,
                aws_access_key_id=call.access_key or "sim", aws_secret_access_key="sim")
        return self._clients[key]

    # --- moto ---------------------------------------------------------------------------
    def forward(self, method, path, headers, body):
        u = self.upstream
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return wire.Answer(r.status, r.getheaders(), data)
        finally:
            conn.close()

    def reset_moto(self):
        self.forward("POST", "/moto-api/reset", {}, b"")

    # --- the log of calls ----------------------------------------------------------------
    def record(self, entry):
        entry["n"] = len(self.log) + 1
        self.log.append(entry)
        if self.log_file:
            self.log_file.write(json.dumps(entry) + "\n")
