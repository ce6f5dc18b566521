"""Images put to ECR: their scans on the simulator's clock, and whether
basic scanning supports them.

ECR's basic scanning reads the packages of the image's operating system;
an image with none (FROM scratch) cannot be scanned (ECR user guide,
'Troubleshooting image scanning': UnsupportedImageError). The simulator
looks into the image's layers, in the registry that holds them (the
local stand-in for ECR's storage, SIM_REGISTRY), for the files of a
supported distribution's package database.
"""
import io
import json
import tarfile
import urllib.request

# Files that mark an operating system basic scanning supports (Amazon
# Linux, Debian, Ubuntu, CentOS, Oracle Linux, Alpine, RHEL: ECR user guide,
# 'Scan images for OS vulnerabilities in Amazon ECR').
OS_FILES = {"etc/os-release", "usr/lib/os-release", "etc/alpine-release", "etc/debian_version",
            "etc/redhat-release", "etc/system-release", "var/lib/dpkg/status", "lib/apk/db/installed",
            "var/lib/rpm/Packages", "var/lib/rpm/rpmdb.sqlite"}


class Scan:
    def __init__(self, requested, started, done):
        self.requested, self.started, self.done = requested, started, done


class ImageModel:
    def __init__(self, world):
        self.world = world
        self.scans = {}         # (repository, digest) -> Scan
        self.digests = {}       # (repository, tag) -> digest
        self.manifests = {}     # (repository, digest) -> manifest text
        self._os = {}           # digest -> True / False / None

    def observe_put(self, body):
        img = body.get("image") or {}
        repo, ident = img.get("repositoryName"), img.get("imageId") or {}
        digest = ident.get("imageDigest")
        if ident.get("imageTag"):
            self.digests[(repo, ident["imageTag"])] = digest
        if img.get("imageManifest"):
            self.manifests[(repo, digest)] = img["imageManifest"]
        return repo, digest

    def digest_of(self, call, repo, image_id):
        if image_id.get("imageDigest"):
            return image_id["imageDigest"]
        d = self.digests.get((repo, image_id.get("imageTag")))
        if d:
            return d
        try:
            got = self.world.client("ecr", call).describe_images(repositoryName=repo, imageIds=[image_id])
            return got["imageDetails"][0]["imageDigest"]
        except Exception:
            return None

    def start_scan(self, repo, digest, delay):
        now = self.world.now()
        started = now + delay
        self.scans[(repo, digest)] = Scan(now, started, started + self.world.seconds("ecr.scan.basic"))

    def has_os(self, repo, digest):
        """True, False (no operating system in any layer), or None (the
        layers cannot be read: no registry, or not there)."""
        if digest in self._os:
            return self._os[digest]
        manifest = self.manifests.get((repo, digest))
        registry = self.world.registry
        found = None
        if manifest and registry:
            try:
                layers = json.loads(manifest).get("layers")
                if layers is not None:
                    found = any(self._layer_has_os(registry, repo, l["digest"]) for l in layers)
            except (OSError, ValueError, KeyError, tarfile.TarError):
                found = None
        self._os[digest] = found
        return found

    @staticmethod
    def _layer_has_os(registry, repo, digest):
        url = "http://%s/v2/%s/blobs/%s" % (registry, repo, digest)
        with urllib.request.urlopen(url, timeout=30) as r:
            data = r.read()
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            return any(m.name.lstrip("./").lstrip("/") in OS_FILES for m in tar.getmembers())


def model(world):
    return world.model("images", ImageModel)
