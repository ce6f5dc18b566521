"""CloudWatch Logs: retention periods AWS accepts; FilterLogEvents in
pages, empty ones included."""
import uuid

from behaviours import Behaviour
import wire

# CloudWatch Logs API reference, PutRetentionPolicy: retentionInDays "Valid Values".
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                  2557, 2922, 3288, 3653)


class Retention(Behaviour):
    name = "logs.retention"
    what = "PutRetentionPolicy refuses a retentionInDays outside the documented values (moto takes any)"
    source = "CloudWatch Logs API reference, PutRetentionPolicy: retentionInDays valid values"

    def before(self, world, call):
        if call.service != "logs" or call.operation != "PutRetentionPolicy":
            return None
        days = call.get("retentionInDays")
        if days in RETENTION_DAYS:
            return None
        return wire.error(call, "InvalidParameterException",
                          "1 validation error detected: Value '%s' at 'retentionInDays' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [%s]"
                          % (days, ", ".join(str(d) for d in RETENTION_DAYS)))


class Pages(Behaviour):
    name = "logs.pages"
    what = ("FilterLogEvents answers in pages: first an empty one with a nextToken, then one event a page "
            "(moto answers every event at once, without a token)")
    source = ("CloudWatch Logs API reference, FilterLogEvents: 'A returned page might only be partially full, or "
              "even empty ... Partially full or empty pages don't necessarily mean that pagination is finished'; "
              "issue 21 item 14")
    profile = False     # how AWS splits the pages varies: a test chooses it

    def before(self, world, call):
        if call.service != "logs" or call.operation != "FilterLogEvents":
            return None
        page = world.model("logs.pages", lambda w: {}).pop(call.get("nextToken"), None)
        return wire.answer(call, page) if page is not None else None

    def after(self, world, call, answer):
        if call.service != "logs" or call.operation != "FilterLogEvents" or not answer.ok:
            return answer
        result = answer.json()
        events = result.get("events") or []
        if not events:
            return answer
        pages = world.model("logs.pages", lambda w: {})
        following = result.get("nextToken")     # moto's own, if it had more
        for event in reversed(events):
            token = "sim-" + uuid.uuid4().hex
            pages[token] = dict({"events": [event], "searchedLogStreams": []},
                                **({"nextToken": following} if following else {}))
            following = token
        answer.set_json({"events": [], "searchedLogStreams": [], "nextToken": following})
        return answer


BEHAVIOURS = [Retention(), Pages()]
