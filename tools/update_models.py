#!/usr/bin/env python3
"""Refresh the pinned AWS service models (models/) from a botocore data folder.

For each service fgrun embeds, from the newest API version in the folder:
service-2.json with prose and server-side details stripped, paginators-1.json
and waiters-2.json, written as models/<service>/<name>.json with sorted keys
and one operation, shape, paginator or waiter per line (so that a refresh
reads as a diff); the structures of rest-xml services also get memberOrder
(see with_member_order). The build embeds models/ (tools/gen_models.py) and never
reads botocore itself. Traits the runtime or other parts read stay:
`sensitive` (redaction), `httpChecksum` (S3's checksum headers), locations,
host prefixes, enums (completion and help).

usage: update_models.py BOTOCORE_DATA [MODELS_DIR]
"""
import gzip
import json
import os
import sys

SERVICES = ["sts", "secretsmanager", "ec2", "ecr", "iam", "ecs", "logs",
            "elbv2", "application-autoscaling", "s3", "route53", "acm",
            "cloudwatch", "sns", "codedeploy", "sso", "sso-oidc",
            "cloudformation", "lambda", "kms"]
# Keys the runtime never reads: prose, patterns (checked server-side),
# endpoint-rule parameters (fgrun resolves endpoints itself).
STRIPPED = {"documentation", "documentationUrl", "examples", "deprecatedMessage",
            "deprecatedSince", "pattern", "contextParam",
            "staticContextParams", "clientContextParams", "operationContextParams",
            "requestcompression", "unauthenticatedApiOperations"}
DOCUMENTS = (("service-2.json", ("operations", "shapes")),
             ("paginators-1.json", ("pagination",)),
             ("waiters-2.json", ("waiters",)))


def read_json(path):
    """Reads path or path.gz (botocore >= 1.32 ships service models gzipped)."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            return json.loads(f.read())
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz") as f:
            return json.loads(f.read())
    return None


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in STRIPPED}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def with_member_order(model):
    """rest-xml services: each structure's member names in the model's
    order, as memberOrder (JSON objects lose it once read): the order of
    the elements an XML body is written with."""
    if "rest-xml" not in model["metadata"].get("protocols", [model["metadata"].get("protocol")]):
        return model
    for shape in model["shapes"].values():
        if shape.get("type") == "structure" and len(shape.get("members", {})) > 1:
            shape["memberOrder"] = list(shape["members"])
    return model


def dump(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def lines(doc, listed):
    """The document's JSON text: keys sorted, each entry of the listed
    top-level tables on a line of its own."""
    out = ["{"]
    keys = sorted(doc)
    for i, key in enumerate(keys):
        end = "," if i + 1 < len(keys) else ""
        if key in listed and isinstance(doc[key], dict) and doc[key]:
            out.append(dump(key) + ":{")
            names = sorted(doc[key])
            for j, name in enumerate(names):
                out.append(dump(name) + ":" + dump(doc[key][name])
                           + ("," if j + 1 < len(names) else ""))
            out.append("}" + end)
        else:
            out.append(dump(key) + ":" + dump(doc[key]) + end)
    out.append("}")
    return "\n".join(out) + "\n"


def newest_version(data, service):
    folder = os.path.join(data, service)
    if not os.path.isdir(folder):
        sys.exit("update_models.py: %s has no %s/" % (data, service))
    versions = sorted(v for v in os.listdir(folder)
                      if os.path.isdir(os.path.join(folder, v)))
    if not versions:
        sys.exit("update_models.py: no API version of %s in %s" % (service, folder))
    return os.path.join(folder, versions[-1])


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1])
    data = argv[1]
    out = argv[2] if len(argv) == 3 else os.path.join(os.path.dirname(__file__), "..", "models")
    if not os.path.isdir(os.path.join(data, "sts")):
        sys.exit("update_models.py: %s is not botocore's data folder (no sts/ in it)" % data)
    for service in SERVICES:
        base = newest_version(data, service)
        target = os.path.join(out, service)
        os.makedirs(target, exist_ok=True)
        for name, listed in DOCUMENTS:
            doc = read_json(os.path.join(base, name))
            path = os.path.join(target, name)
            if doc is None:
                if name == "service-2.json":
                    sys.exit("update_models.py: %s has no service-2.json" % base)
                if os.path.exists(path):
                    os.remove(path)
                continue
            if name == "service-2.json":
                doc = with_member_order(doc)
            with open(path + ".tmp", "w") as f:
                f.write(lines(strip(doc), listed))
            os.replace(path + ".tmp", path)
        print("%s: %s" % (service, os.path.basename(base)))
    with open(os.path.join(out, "SOURCE"), "w") as f:
        version = "unknown"
        try:
            with open(os.path.join(data, "..", "__init__.py")) as init:
                for line in init:
                    if line.startswith("__version__"):
                        version = line.split("=")[1].strip().strip("'\"")
        except OSError:
            pass
        f.write("botocore %s\n" % version)


if __name__ == "__main__":
    main(sys.argv)
