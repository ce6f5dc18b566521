"""Issue 21 items 1-3 and issue 18's scan time: the scan on push uses the
image's one scan a day; scans take time; an image with no operating system
(FROM scratch) is UNSUPPORTED_IMAGE; enhanced scanning answers ACTIVE and
its counts come later, or never."""
import gzip
import hashlib
import io
import json
import os
import tarfile
import time
import urllib.request

import timing
from base import SimCase


def layer(files):
    """A gzipped tar layer holding {path: bytes}."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def push(registry, repo, blobs):
    """Uploads blobs to the registry's repository; the image manifest (text)."""
    def upload(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        req = urllib.request.Request("http://%s/v2/%s/blobs/uploads/" % (registry, repo), method="POST", data=b"")
        with urllib.request.urlopen(req) as r:
            location = r.headers["Location"]
        if location.startswith("/"):
            location = "http://%s%s" % (registry, location)
        sep = "&" if "?" in location else "?"
        req = urllib.request.Request("%s%sdigest=%s" % (location, sep, digest), method="PUT", data=data,
                                     headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req).close()
        return {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(data), "digest": digest}
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    conf = upload(config)
    conf["mediaType"] = "application/vnd.docker.container.image.v1+json"
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": conf, "layers": [upload(b) for b in blobs]})


def fake_manifest(n):
    digest = "sha256:" + hashlib.sha256(b"layer %d" % n).hexdigest()
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                                  "digest": digest}, "layers": []})


class ScanCase(SimCase):
    def repository(self, scan_on_push=True):
        name = self.n("repo")
        self.c("ecr").create_repository(repositoryName=name,
                                        imageScanningConfiguration={"scanOnPush": scan_on_push})
        return name

    def status(self, repo, tag):
        try:
            got = self.c("ecr").describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": tag})
        except self.c("ecr").exceptions.ScanNotFoundException:
            return "not found", None
        return got["imageScanStatus"]["status"], got.get("imageScanFindings", {}).get("findingSeverityCounts")


class Scans(ScanCase):
    behaviours = ["ecr.scan_on_push", "ecr.scan_time"]

    def test_scan_on_push_then_start_is_limit_exceeded(self):
        ecr = self.c("ecr")
        repo = self.repository()
        ecr.put_image(repositoryName=repo, imageManifest=fake_manifest(self.serial()), imageTag="v1")
        code, message, _ = self.error(ecr.start_image_scan, repositoryName=repo, imageId={"imageTag": "v1"})
        self.assertEqual(code, "LimitExceededException")

    def test_without_scan_on_push_a_start_works_once(self):
        ecr = self.c("ecr")
        repo = self.repository(scan_on_push=False)
        ecr.put_image(repositoryName=repo, imageManifest=fake_manifest(self.serial()), imageTag="v1")
        self.assertEqual(self.status(repo, "v1")[0], "not found")
        got = ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
        self.assertEqual(got["imageScanStatus"]["status"], "IN_PROGRESS")
        self.assertEqual(self.error(ecr.start_image_scan, repositoryName=repo, imageId={"imageTag": "v1"})[0],
                         "LimitExceededException")

    def test_not_found_then_in_progress_then_complete(self):
        self.scale_for(timing.seconds("ecr.scan.start"), real=0.25)
        ecr = self.c("ecr")
        repo = self.repository()
        t0 = time.monotonic()
        ecr.put_image(repositoryName=repo, imageManifest=fake_manifest(self.serial()), imageTag="v1")
        seen = []
        while not seen or seen[-1][0] != "COMPLETE":
            state = self.status(repo, "v1")[0]
            if not seen or seen[-1][0] != state:
                seen.append((state, time.monotonic() - t0))
            self.assertLess(time.monotonic() - t0, 30)
            time.sleep(0.03)
        self.assertEqual([s for s, _ in seen], ["not found", "IN_PROGRESS", "COMPLETE"])
        self.assert_took(seen[1][1], timing.seconds("ecr.scan.start"), "the scan on push starting")
        self.assert_took(seen[2][1], timing.seconds("ecr.scan.start") + timing.seconds("ecr.scan.basic"),
                         "the scan completing")


class Unsupported(ScanCase):
    behaviours = ["ecr.scan_on_push", "ecr.scan_time", "ecr.unsupported_image"]

    def setUp(self):
        super().setUp()
        self.registry = os.environ.get("FGRUN_TEST_REGISTRY")
        if not self.registry:
            self.skipTest("no registry (FGRUN_TEST_REGISTRY) to hold the image's layers")

    def final(self, repo, manifest):
        self.c("ecr").put_image(repositoryName=repo, imageManifest=manifest, imageTag="v1")
        return self.wait_for(lambda: self.status(repo, "v1")[0] not in ("not found", "IN_PROGRESS") and
                             self.status(repo, "v1"), 20, "the scan's end")[0]

    def test_scratch_image_is_unsupported(self):
        repo = self.repository()
        manifest = push(self.registry, repo, [layer({"fgrun-demo-app": b"\x7fELF binary"})])
        self.assertEqual(self.final(repo, manifest), ("UNSUPPORTED_IMAGE", None))

    def test_image_with_an_os_is_scanned(self):
        repo = self.repository()
        manifest = push(self.registry, repo, [layer({"etc/os-release": b"ID=debian\n",
                                                     "var/lib/dpkg/status": b"Package: libc6\n"}),
                                              layer({"app": b"binary"})])
        status, counts = self.final(repo, manifest)
        self.assertEqual(status, "COMPLETE")
        self.assertIsNotNone(counts)


class Enhanced(ScanCase):
    behaviours = ["ecr.scan_on_push", "ecr.scan_time", "ecr.enhanced"]

    def test_active_then_counts_later(self):
        self.scale_for(timing.seconds("ecr.scan.enhanced_findings"), real=1.0)
        repo = self.repository()
        self.c("ecr").put_image(repositoryName=repo, imageManifest=fake_manifest(self.serial()), imageTag="v1")
        t0 = time.monotonic()
        first, _ = self.wait_for(lambda: self.status(repo, "v1")[0] == "ACTIVE" and self.status(repo, "v1"), 20,
                                 "ACTIVE")
        self.assertEqual(first, ("ACTIVE", None), "ACTIVE comes before any counts")
        (_, counts), waited = self.wait_for(lambda: self.status(repo, "v1")[1] and self.status(repo, "v1"),
                                            timing.seconds("ecr.scan.enhanced_findings"), "the counts")
        self.assertTrue(counts)
        self.assert_took(time.monotonic() - t0, timing.seconds("ecr.scan.enhanced_findings"), "the counts")

    def test_complete_before_any_counts(self):
        self.sim.configure(options={"ecr_enhanced_status": "COMPLETE"})
        repo = self.repository()
        self.c("ecr").put_image(repositoryName=repo, imageManifest=fake_manifest(self.serial()), imageTag="v1")
        first, _ = self.wait_for(lambda: self.status(repo, "v1")[0] == "COMPLETE" and self.status(repo, "v1"), 20,
                                 "COMPLETE")
        self.assertEqual(first, ("COMPLETE", None), "COMPLETE comes before any counts (aws-sdk issue 289)")
        self.wait_for(lambda: self.status(repo, "v1")[1], timing.seconds("ecr.scan.enhanced_findings"), "the counts")

    def test_counts_that_never_come(self):
        self.sim.configure(options={"ecr_enhanced_findings": "never"})
        repo = self.repository()
        self.c("ecr").put_image(repositoryName=repo, imageManifest=fake_manifest(self.serial()), imageTag="v1")
        self.wait_for(lambda: self.status(repo, "v1")[0] == "ACTIVE", 20, "ACTIVE")
        time.sleep(timing.seconds("ecr.scan.enhanced_findings") * self.scale * 2)
        self.assertEqual(self.status(repo, "v1"), ("ACTIVE", None))
