"""S3: a bucket answers only requests signed for its own region."""
from behaviours import Behaviour
import wire

# Calls that name a bucket but are not the bucket's to answer.
NOT_THE_BUCKETS = {"CreateBucket", "ListBuckets", "ListDirectoryBuckets"}


class Region(Behaviour):
    name = "s3.region"
    what = ("a request for a bucket signed for another region than the bucket's is refused and names the "
            "bucket's region (moto serves a bucket in any region): 400 AuthorizationHeaderMalformed with "
            "<Region> and x-amz-bucket-region, as at the regional endpoint of the request's region; a HEAD gets "
            "the status and header without a body; with the option s3_region_status=301, 301 "
            "PermanentRedirect, as at another region's endpoint")
    source = ("Amazon S3 API reference, Error responses (AuthorizationHeaderMalformed: 400; PermanentRedirect: "
              "301) and HeadBucket (x-amz-bucket-region); the SDKs' region redirect reads the header, then "
              "<Region> (botocore S3RegionRedirectorv2)")

    def bucket_region(self, world, call, bucket):
        """The bucket's region as moto holds it, or None when moto has no such bucket."""
        try:
            where = world.client("s3", call).get_bucket_location(Bucket=bucket).get("LocationConstraint")
        except Exception:
            return None
        return where or "us-east-1"   # GetBucketLocation: null for us-east-1

    def before(self, world, call):
        if call.service != "s3" or call.operation in NOT_THE_BUCKETS:
            return None
        bucket = call.get("Bucket")
        region = bucket and self.bucket_region(world, call, bucket)
        if not region or region == call.region:
            return None
        if world.options.get("s3_region_status") == 301:
            answer = wire.error(call, "PermanentRedirect", "The bucket you are attempting to access must be "
                                "addressed using the specified endpoint.", status=301)
        else:
            answer = wire.error(call, "AuthorizationHeaderMalformed", "The authorization header is malformed; "
                                "the region '%s' is wrong; expecting '%s'" % (call.region, region), status=400)
            answer.body = answer.body.replace(b"</Message>", b"</Message><Region>%s</Region>" % region.encode())
        answer.headers.append(("x-amz-bucket-region", region))
        if call.method == "HEAD":
            answer.body = b""
        return answer


BEHAVIOURS = [Region()]
