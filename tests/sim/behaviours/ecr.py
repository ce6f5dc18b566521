"""ECR image scanning as AWS does it: the scan on push (which uses the
image's one scan a day), scans taking time, images basic scanning cannot
read, and enhanced scanning's different answers."""
from behaviours import Behaviour
from model import images
import wire

SCAN_ANSWERS = ("ecr.scan_time", "ecr.unsupported_image", "ecr.enhanced")


def _scan_not_found(call, repo, image_id, registry):
    return wire.error(call, "ScanNotFoundException",
                      "Image scan does not exist for the image with '{imageDigest:'%s', imageTag:'%s'}' in the "
                      "repository with name '%s' in the registry with id '%s'"
                      % (image_id.get("imageDigest") or "null", image_id.get("imageTag") or "null", repo, registry))


def scan_findings(world, call, answer):
    """DescribeImageScanFindings as the scan's time, the image and the
    registry's scanning type make it."""
    m = images.model(world)
    repo, image_id = call.get("repositoryName"), call.get("imageId") or {}
    digest = m.digest_of(call, repo, image_id)
    scan = m.scans.get((repo, digest))
    if scan is None:
        return answer
    now = world.now()
    if world.is_on("ecr.scan_time") and now < scan.started:
        return _scan_not_found(call, repo, image_id, call.get("registryId") or call.account)
    if not answer.ok:
        return answer
    body = answer.json()
    if world.is_on("ecr.scan_time") and now < scan.done:
        body["imageScanStatus"] = {"status": "IN_PROGRESS", "description": "The scan is in progress."}
        body.pop("imageScanFindings", None)
    elif world.is_on("ecr.unsupported_image") and m.has_os(repo, digest) is False:
        body["imageScanStatus"] = {"status": "UNSUPPORTED_IMAGE", "description":
                                   "UnsupportedImageError: The operating system and/or package manager are not "
                                   "supported."}
        body.pop("imageScanFindings", None)
    elif world.is_on("ecr.enhanced"):
        if world.options.get("ecr_enhanced_status") == "COMPLETE":    # scan on push frequency
            body["imageScanStatus"] = {"status": "COMPLETE", "description": "The scan was completed successfully."}
        else:                                                       # continuous scanning
            body["imageScanStatus"] = {"status": "ACTIVE", "description": "Continuous scan is selected for image."}
        findings = body.get("imageScanFindings") or {}
        arrives = scan.done + world.seconds("ecr.scan.enhanced_findings")
        if world.options.get("ecr_enhanced_findings") == "never" or now < arrives:
            findings.pop("findingSeverityCounts", None)
            findings["findings"] = []
        findings["enhancedFindings"] = findings.pop("findings", [])
        body["imageScanFindings"] = findings
    answer.set_json(body)
    return answer


class _ScanAnswer(Behaviour):
    """Rewrites DescribeImageScanFindings once, by whichever of the scan
    behaviours that are on comes first."""

    def after(self, world, call, answer):
        if call.service != "ecr" or call.operation != "DescribeImageScanFindings":
            return answer
        first = next(n for n in SCAN_ANSWERS if world.is_on(n))
        return scan_findings(world, call, answer) if first == self.name else answer


class ScanOnPush(Behaviour):
    name = "ecr.scan_on_push"
    what = ("an image put to a repository with scanOnPush starts its scan, which is the image's one basic scan "
            "in 24 hours: StartImageScan then answers LimitExceededException")
    source = "ECR API reference, StartImageScan ('once per 24 hours ... includes if an image was scanned on initial push')"

    def observe(self, world, call, answer):
        if call.service != "ecr" or not answer.ok:
            return
        m = images.model(world)
        if call.operation == "PutImage":
            repo, digest = m.observe_put(answer.json())
            if self.name not in world.on or (repo, digest) in m.scans:
                return
            ecr = world.client("ecr", call)
            conf = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]
            if conf.get("imageScanningConfiguration", {}).get("scanOnPush"):
                try:    # moto keeps the findings; its own once-a-day rule now holds too
                    ecr.start_image_scan(repositoryName=repo, imageId={"imageDigest": digest})
                except Exception:
                    pass
                m.start_scan(repo, digest, world.seconds("ecr.scan.start"))
        elif call.operation == "StartImageScan":
            body = answer.json()
            m.start_scan(body["repositoryName"], body["imageId"]["imageDigest"], 0.0)

    def before(self, world, call):
        if call.service != "ecr" or call.operation != "StartImageScan":
            return None
        m = images.model(world)
        repo = call.get("repositoryName")
        scan = m.scans.get((repo, m.digest_of(call, repo, call.get("imageId") or {})))
        if scan is not None and world.now() < scan.requested + world.seconds("ecr.scan.quota_window"):
            return wire.error(call, "LimitExceededException",
                              "The scan quota per image has been exceeded. Wait and try again.")
        return None


class ScanTime(_ScanAnswer):
    name = "ecr.scan_time"
    what = ("a scan is not found for ecr.scan.start seconds after the push, then IN_PROGRESS for ecr.scan.basic "
            "seconds, then COMPLETE")
    source = "timing.py ecr.scan.start, ecr.scan.basic"

    def after(self, world, call, answer):
        if call.service == "ecr" and call.operation == "StartImageScan" and answer.ok:
            body = answer.json()
            body["imageScanStatus"] = {"status": "IN_PROGRESS"}
            answer.set_json(body)
        return super().after(world, call, answer)


class UnsupportedImage(_ScanAnswer):
    name = "ecr.unsupported_image"
    what = ("an image with no supported operating system in its layers (FROM scratch) ends its scan "
            "UNSUPPORTED_IMAGE, without findings")
    source = ("ECR user guide, 'Troubleshooting image scanning issues' (UnsupportedImageError); ImageScanStatus "
              "in the ECR API reference; issue 21 item 1")


class Enhanced(_ScanAnswer):
    name = "ecr.enhanced"
    profile = False     # a registry setting (PutRegistryScanningConfiguration ENHANCED): the test chooses it
    what = ("enhanced scanning (Amazon Inspector): the status is ACTIVE, never COMPLETE (option "
            "ecr_enhanced_status='COMPLETE': COMPLETE, as with scan-on-push frequency), and the severity counts "
            "come ecr.scan.enhanced_findings seconds after it (option ecr_enhanced_findings='never': never)")
    source = "ECR user guide, 'Enhanced scanning'; aws-sdk issues 288 (ACTIVE) and 289 (status before findings)"


BEHAVIOURS = [ScanOnPush(), ScanTime(), UnsupportedImage(), Enhanced()]
