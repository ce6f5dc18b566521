"""S3's region redirect as fgrun's client meets it (behaviour s3.region):
buckets made in other regions through moto, fgrun's client in us-east-1."""

from base import SimCase, fgrun


class S3Region(SimCase):
    behaviours = ["s3.region"]

    def bucket(self, region):
        name = self.n("fgrun-region")
        s3 = self.sim.boto3("s3", region=region)
        if region == "us-east-1":   # its buckets are made without a location constraint
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_object(Bucket=name, Key="k", Body=b"in " + region.encode())
        return name

    def calls(self, since):
        """(operation, status, who answered) of the S3 calls after log entry `since`."""
        return [(e["operation"], e["status"], e["by"]) for e in self.sim.log()[since:] if e["service"] == "s3"]

    def run_lua(self, snippet):
        rc, out, err = fgrun(snippet, self.sim.url)
        self.assertEqual(rc, 0, err)
        return out.strip().splitlines()

    def test_wrong_signing_region_followed_once(self):
        far, near = self.bucket("eu-west-1"), self.bucket("us-east-1")
        start = len(self.sim.log())
        out = self.run_lua('''
            local s3 = require("aws").s3
            print(s3.get_object{Bucket = "%s", Key = "k"}.Body)
            print(s3.get_object{Bucket = "%s", Key = "k"}.Body)
            print(s3.head_object{Bucket = "%s", Key = "k"}.ContentLength)
            print(s3.get_object{Bucket = "%s", Key = "k"}.Body)
        ''' % (far, far, far, near))
        self.assertEqual(out, ["in eu-west-1", "in eu-west-1", "12", "in us-east-1"])
        # refused once, signed for eu-west-1 from then on; the other bucket as before
        self.assertEqual(self.calls(start), [
            ("GetObject", 400, "s3.region"), ("GetObject", 200, "moto"), ("GetObject", 200, "moto"),
            ("HeadObject", 200, "moto"), ("GetObject", 200, "moto")])

    def test_permanent_redirect_and_a_head_first(self):
        self.sim.configure(options={"s3_region_status": 301})
        far = self.bucket("ap-southeast-2")
        start = len(self.sim.log())
        out = self.run_lua('''
            local s3 = require("aws").s3
            print(s3.head_object{Bucket = "%s", Key = "k"}.ContentLength)
            print(s3.list_objects_v2{Bucket = "%s"}.KeyCount)
        ''' % (far, far))
        self.assertEqual(out, ["17", "1"])
        self.assertEqual(self.calls(start), [
            ("HeadObject", 301, "s3.region"), ("HeadObject", 200, "moto"), ("ListObjectsV2", 200, "moto")])
