"""Route 53: a DELETE removes a record set only when it names it exactly."""
import xml.etree.ElementTree as ET

from behaviours import Behaviour
import wire


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _child(el, name):
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el, name):
    c = _child(el, name) if el is not None else None
    return c.text if c is not None else None


def _dns(n):
    return (n or "").lower().rstrip(".")


def _deletes(body):
    """[(name, type, ttl, [values], alias)] of the DELETE changes in a request body."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    out = []
    for change in root.iter():
        if _local(change.tag) != "Change" or _text(change, "Action") != "DELETE":
            continue
        rrs = _child(change, "ResourceRecordSet")
        if rrs is None:
            continue
        records = _child(rrs, "ResourceRecords")
        values = sorted(_dns(_text(r, "Value")) for r in records) if records is not None else []
        alias = _child(rrs, "AliasTarget")
        out.append((_text(rrs, "Name"), _text(rrs, "Type"), _text(rrs, "TTL"), values,
                    alias is not None and (_text(alias, "HostedZoneId"), _dns(_text(alias, "DNSName")),
                                           (_text(alias, "EvaluateTargetHealth") or "").lower())))
    return out


class DeleteExact(Behaviour):
    name = "route53.delete_exact"
    what = ("ChangeResourceRecordSets refuses a DELETE of a record set that does not exist or whose TTL, values "
            "or alias target differ from what the zone holds now: InvalidChangeBatch, nothing changed (moto "
            "accepts any version the set was ever written with, then deletes whatever holds that name and type)")
    source = ("Route 53 API reference, ChangeResourceRecordSets: 'DELETE: Deletes an existing resource record set "
              "that has the specified values'; a batch with a change that fails is rejected whole "
              "(InvalidChangeBatch, 400)")

    def before(self, world, call):
        if call.service != "route53" or call.operation != "ChangeResourceRecordSets":
            return None
        zone = call.get("Id") or call.get("HostedZoneId")
        r53 = world.client("route53", call)
        for name, rtype, ttl, values, alias in _deletes(call.body):
            try:
                sets = r53.list_resource_record_sets(HostedZoneId=zone, StartRecordName=name,
                                                     StartRecordType=rtype)["ResourceRecordSets"]
            except Exception:
                return None     # moto's own answer names the zone's problem
            have = [s for s in sets if _dns(s["Name"]) == _dns(name) and s["Type"] == rtype]
            if not have:
                return wire.error(call, "InvalidChangeBatch", "[Tried to delete resource record set [name='%s', "
                                  "type='%s'] but it was not found]" % (name, rtype))
            s = have[0]
            a = s.get("AliasTarget")
            # an alias has no TTL (moto reports 0)
            held = (str(s.get("TTL")) if "TTL" in s and a is None else None,
                    sorted(_dns(r["Value"]) for r in s.get("ResourceRecords", [])),
                    a is not None and (a["HostedZoneId"], _dns(a["DNSName"]), str(a["EvaluateTargetHealth"]).lower()))
            if held != (ttl, values, alias):
                return wire.error(call, "InvalidChangeBatch", "[Tried to delete resource record set [name='%s', "
                                  "type='%s'] but the values provided do not match the current values]"
                                  % (name, rtype))
        return None


BEHAVIOURS = [DeleteExact()]
