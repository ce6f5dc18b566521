"""ACM: a certificate validated by DNS is issued only once its validation
CNAME records are in Route 53, and it cannot be deleted while a listener
uses it (nor for a moment after)."""
from behaviours import Behaviour
import wire


def _name(n):
    return (n or "").lower().rstrip(".")


class Model:
    def __init__(self, world):
        self.records_seen = {}     # certificate ARN -> when all its validation records were first seen
        self.released = {}         # certificate ARN -> when its last listener went
        self.users_before = None   # certificates in use before an ELB call that may release one


def model(world):
    return world.model("acm", Model)


def _cnames(world, call):
    """{(name, value)} of every CNAME in moto's public hosted zones."""
    r53 = world.client("route53", call)
    found = set()
    for zone in r53.list_hosted_zones()["HostedZones"]:
        if zone.get("Config", {}).get("PrivateZone"):
            continue
        for s in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            if s["Type"] == "CNAME":
                for rr in s.get("ResourceRecords", []):
                    found.add((_name(s["Name"]), _name(rr["Value"])))
    return found


def certificates_in_use(world, call):
    """{certificate ARN: [load balancer ARNs whose listeners use it]}, as moto holds them."""
    elb = world.client("elbv2", call)
    users = {}
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            for c in listener.get("Certificates", []):
                users.setdefault(c["CertificateArn"], []).append(lb["LoadBalancerArn"])
    return users


class DnsValidation(Behaviour):
    name = "acm.dns_validation"
    what = ("a certificate requested with DNS validation stays PENDING_VALIDATION until each of its validation "
            "CNAME records is in a public Route 53 hosted zone, and turns ISSUED acm.dns_validation seconds "
            "after (moto issues it after MOTO_ACM_VALIDATION_WAIT, records or not)")
    source = ("ACM user guide, 'DNS validation': ACM issues the certificate once it finds the CNAME record it "
              "gave in DescribeCertificate's DomainValidationOptions, and keeps the status PENDING_VALIDATION "
              "until then (it keeps trying for 72 hours); timing.py acm.dns_validation")

    def after(self, world, call, answer):
        if call.service != "acm" or call.operation != "DescribeCertificate" or not answer.ok:
            return answer
        body = answer.json()
        cert = body.get("Certificate", {})
        options = cert.get("DomainValidationOptions") or []
        if cert.get("Type") != "AMAZON_ISSUED" or not options or cert.get("Status") not in ("PENDING_VALIDATION", "ISSUED"):
            return answer
        m, now = model(world), world.now()
        arn = cert["CertificateArn"]
        if arn not in m.records_seen:
            have = _cnames(world, call)
            wanted = {(_name(o["ResourceRecord"]["Name"]), _name(o["ResourceRecord"]["Value"]))
                      for o in options if o.get("ResourceRecord")}
            if wanted and wanted <= have:
                m.records_seen[arn] = now
        seen = m.records_seen.get(arn)
        issued = seen is not None and now >= seen + world.seconds("acm.dns_validation")
        cert["Status"] = "ISSUED" if issued else "PENDING_VALIDATION"
        for o in options:
            o["ValidationStatus"] = "SUCCESS" if issued else "PENDING_VALIDATION"
        answer.set_json(body)
        return answer


class InUse(Behaviour):
    name = "acm.in_use"
    what = ("DeleteCertificate answers ResourceInUseException while a load balancer's listener uses the "
            "certificate and for acm.in_use_release seconds after the last one stopped; DescribeCertificate's "
            "InUseBy lists those load balancers (moto deletes it and lists none)")
    source = ("ACM API reference, DeleteCertificate: a certificate in use by another AWS service cannot be "
              "deleted (ResourceInUseException); aws-cdk issue 4179 and terraform-provider-aws issue 3866: "
              "in use for a while after the listener's deletion; timing.py acm.in_use_release")

    RELEASING = ("DeleteListener", "DeleteLoadBalancer", "ModifyListener")

    def before(self, world, call):
        m = model(world)
        if call.service == "elasticloadbalancing" and call.operation in self.RELEASING:
            m.users_before = certificates_in_use(world, call)
            return None
        if call.service != "acm" or call.operation != "DeleteCertificate":
            return None
        arn = call.get("CertificateArn")
        users = certificates_in_use(world, call).get(arn)
        released = m.released.get(arn)
        if users or (released is not None and world.now() < released + world.seconds("acm.in_use_release")):
            return wire.error(call, "ResourceInUseException",
                              "Certificate %s in account %s is in use." % (arn, call.account))
        return None

    def after(self, world, call, answer):
        m = model(world)
        if call.service == "elasticloadbalancing" and call.operation in self.RELEASING and m.users_before is not None:
            now_used = certificates_in_use(world, call) if answer.ok else m.users_before
            for arn in m.users_before:
                if arn not in now_used:
                    m.released[arn] = world.now()
            m.users_before = None
        elif call.service == "acm" and call.operation == "DescribeCertificate" and answer.ok:
            body = answer.json()
            cert = body.get("Certificate", {})
            cert["InUseBy"] = certificates_in_use(world, call).get(cert.get("CertificateArn"), [])
            answer.set_json(body)
        return answer


BEHAVIOURS = [DnsValidation(), InUse()]
