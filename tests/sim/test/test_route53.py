"""Route 53 through the simulator: a DELETE must name the record set
exactly as it is now (moto accepts any version the set was ever written
with, and then deletes whatever holds that name and type)."""
from base import SimCase


class DeleteExact(SimCase):
    behaviours = ["route53.delete_exact"]

    def change(self, zone, action, ttl, value="a.example.net"):
        self.c("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
            "Action": action, "ResourceRecordSet": {"Name": "www." + self.zone_name, "Type": "CNAME", "TTL": ttl,
                                                    "ResourceRecords": [{"Value": value}]}}]})

    def names(self, zone):
        sets = self.c("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        return [s["Name"] for s in sets if s["Type"] == "CNAME"]

    def setUp(self):
        super().setUp()
        self.zone_name = "%s.example.com" % self.n("z")
        self.zone = self.c("route53").create_hosted_zone(Name=self.zone_name,
                                                         CallerReference=self.n("ref"))["HostedZone"]["Id"]

    def test_other_values_or_a_missing_set_refused(self):
        self.change(self.zone, "UPSERT", 301)
        code, message, status = self.error(self.change, self.zone, "DELETE", 300)
        self.assertEqual((code, status), ("InvalidChangeBatch", 400))
        self.assertIn("do not match", message)
        code, _, _ = self.error(self.change, self.zone, "DELETE", 301, value="b.example.net")
        self.assertEqual(code, "InvalidChangeBatch")
        self.assertEqual(self.names(self.zone), ["www.%s." % self.zone_name])
        self.change(self.zone, "DELETE", 301)
        self.assertEqual(self.names(self.zone), [])
        code, message, _ = self.error(self.change, self.zone, "DELETE", 301)
        self.assertEqual(code, "InvalidChangeBatch")
        self.assertIn("not found", message)

    def test_moto_alone_deletes_by_an_old_version(self):
        self.sim.configure(set=[])
        self.change(self.zone, "UPSERT", 300)
        self.change(self.zone, "UPSERT", 301)
        self.change(self.zone, "DELETE", 300)
        self.assertEqual(self.names(self.zone), [])
