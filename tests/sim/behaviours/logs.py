"""CloudWatch Logs: retention periods AWS accepts."""
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


BEHAVIOURS = [Retention()]
