"""ACM through the simulator: a certificate validated by DNS is issued
only once its validation CNAME is in Route 53 (acm.dns_validation after),
and it cannot be deleted while a listener uses it nor for
acm.in_use_release after (moto issues after a fixed wait, records or not,
and deletes a certificate in use)."""
import time

import timing
from base import SimCase, accepted


def _status(acm, arn):
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


class DnsValidation(SimCase):
    behaviours = ["acm.dns_validation"]

    def test_issued_only_after_the_cname_exists(self):
        acm, r53 = self.c("acm"), self.c("route53")
        self.scale_for(timing.seconds("acm.dns_validation"), real=1.0)
        zone_name = "%s.example.com" % self.n("z")
        zone = r53.create_hosted_zone(Name=zone_name, CallerReference=self.n("ref"))["HostedZone"]["Id"]
        arn = acm.request_certificate(DomainName="app." + zone_name, ValidationMethod="DNS")["CertificateArn"]
        time.sleep(timing.seconds("acm.dns_validation") * self.scale * 1.5)
        self.assertEqual(_status(acm, arn), "PENDING_VALIDATION", "issued without its validation record")
        rr = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
        # another name's record does not count
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT",
            "ResourceRecordSet": {"Name": "other." + zone_name, "Type": "CNAME", "TTL": 300,
                                  "ResourceRecords": [{"Value": rr["Value"]}]}}]})
        self.assertEqual(_status(acm, arn), "PENDING_VALIDATION")
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT",
            "ResourceRecordSet": {"Name": rr["Name"], "Type": "CNAME", "TTL": 300,
                                  "ResourceRecords": [{"Value": rr["Value"]}]}}]})
        _, took = self.wait_for(lambda: _status(acm, arn) == "ISSUED", timing.seconds("acm.dns_validation"), "ISSUED")
        self.assert_took(took, timing.seconds("acm.dns_validation"), "validation")
        options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
        self.assertEqual({o["ValidationStatus"] for o in options}, {"SUCCESS"})


class InUse(SimCase):
    behaviours = ["acm.in_use"]

    def https_listener(self):
        acm, ec2, elb = self.c("acm"), self.c("ec2"), self.c("elbv2")
        vpc, subnets = self.network()
        sg = ec2.create_security_group(GroupName=self.n("lb"), Description="lb", VpcId=vpc)["GroupId"]
        lb = elb.create_load_balancer(Name=self.n("lb"), SecurityGroups=[sg],
                                      Subnets=[s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name=self.n("tg"), Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        cert = acm.request_certificate(DomainName="%s.example.com" % self.n("app"), ValidationMethod="DNS")["CertificateArn"]
        listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
        return lb, cert, listener

    def test_refused_while_a_listener_uses_it_and_a_moment_after(self):
        acm, elb = self.c("acm"), self.c("elbv2")
        self.scale_for(timing.seconds("acm.in_use_release"), real=1.0)
        lb, cert, listener = self.https_listener()
        self.assertEqual(acm.describe_certificate(CertificateArn=cert)["Certificate"]["InUseBy"], [lb])
        code, message, status = self.error(acm.delete_certificate, CertificateArn=cert)
        self.assertEqual((code, status), ("ResourceInUseException", 400))
        self.assertIn("is in use", message)
        elb.delete_listener(ListenerArn=listener)
        self.assertFalse(accepted(acm.delete_certificate, CertificateArn=cert), "deleted at once after the listener")
        _, took = self.wait_for(lambda: accepted(acm.delete_certificate, CertificateArn=cert),
                                timing.seconds("acm.in_use_release"), "the certificate's deletion")
        self.assert_took(took, timing.seconds("acm.in_use_release") * 0.9, "the release")

    def test_moto_alone_deletes_it_in_use(self):
        self.sim.configure(set=[])
        _, cert, _ = self.https_listener()
        self.c("acm").delete_certificate(CertificateArn=cert)
