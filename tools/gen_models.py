#!/usr/bin/env python3
"""Embed the AWS service models that fgrun speaks into a C source file.

For each service, from botocore's data folder (the newest API version):
service-2.json with documentation and unenforced constraints stripped, plus
paginators-1.json and waiters-2.json, minified and zlib-compressed.

The service model is written with sorted keys and an index, so the runtime
can decode one operation or one shape at a time instead of the whole model
(EC2's is 1 MB of JSON): index = {"metadata":[off,len],
"operations":{Name: off*2^24+len}, "shapes":{Name: off*2^24+len}} with
1-based offsets into the service JSON text.

usage: gen_models.py [--data DIR] OUT.c
"""
import gzip
import json
import os
import sys
import zlib

SERVICES = ["sts", "secretsmanager", "ec2", "ecr", "iam", "ecs", "logs",
            "elbv2", "application-autoscaling"]
# Keys the runtime never reads: prose, and constraints AWS itself does not
# hold clients to (enum values grow; patterns are server-side).
STRIPPED = {"documentation", "documentationUrl", "examples", "deprecatedMessage",
            "deprecatedSince", "enum", "pattern", "contextParam",
            "staticContextParams", "clientContextParams", "operationContextParams",
            "requestcompression", "httpChecksum", "unauthenticatedApiOperations"}
PACK = 1 << 24  # shape lengths are far below 16 MB


def find_data_dir(given):
    candidates = []
    if given:
        candidates.append(given)
    try:
        import botocore
        candidates.append(os.path.join(os.path.dirname(botocore.__file__), "data"))
    except ImportError:
        pass
    candidates.append("/usr/lib/python3/dist-packages/botocore/data")
    for d in candidates:
        if os.path.isdir(os.path.join(d, "sts")):
            return d
    sys.exit("gen_models.py: botocore's data folder not found (tried: %s). "
             "Install python3-botocore (Debian) or botocore (pip), or run "
             "make BOTOCORE_DATA=/path/to/botocore/data" % ", ".join(candidates))


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


def dump(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False)


def indexed_service(model):
    """Returns (service JSON text, index JSON text)."""
    parts, index = [], {"operations": {}, "shapes": {}}
    size = 0  # bytes written so far

    def emit(text):
        nonlocal size
        parts.append(text)
        size += len(text.encode())

    emit("{")
    for key in sorted(model):
        if size > 1:
            emit(",")
        emit(dump(key) + ":")
        if key in ("operations", "shapes"):
            emit("{")
            for i, name in enumerate(sorted(model[key])):
                emit(("," if i else "") + dump(name) + ":")
                text = dump(model[key][name])
                index[key][name] = (size + 1) * PACK + len(text.encode())
                emit(text)
            emit("}")
        else:
            text = dump(model[key])
            if key == "metadata":
                index["metadata"] = [size + 1, len(text.encode())]
            emit(text)
    emit("}")
    return "".join(parts), dump(index)


def c_bytes(data):
    lines = []
    for i in range(0, len(data), 24):
        lines.append(",".join(str(b) for b in data[i:i + 24]))
    return ",\n".join(lines)


def main(argv):
    args = argv[1:]
    data = None
    if len(args) >= 2 and args[0] == "--data":
        data, args = args[1], args[2:]
    if len(args) != 1:
        sys.exit(__doc__.strip().splitlines()[-1])
    out = args[0]
    data = find_data_dir(data)

    arrays, entries = [], []
    for service in sorted(SERVICES):  # models.list() relies on the order
        folder = os.path.join(data, service)
        versions = sorted(v for v in os.listdir(folder)
                          if os.path.isdir(os.path.join(folder, v)))
        if not versions:
            sys.exit("gen_models.py: no API version of %s in %s" % (service, folder))
        base = os.path.join(folder, versions[-1])
        model = read_json(os.path.join(base, "service-2.json"))
        if model is None:
            sys.exit("gen_models.py: %s has no service-2.json" % base)
        service_text, index_text = indexed_service(strip(model))
        kinds = [("service", service_text), ("index", index_text)]
        for kind, fname in (("paginators", "paginators-1.json"),
                            ("waiters", "waiters-2.json")):
            doc = read_json(os.path.join(base, fname))
            if doc is not None:
                kinds.append((kind, dump(strip(doc))))
        for kind, text in kinds:
            raw = text.encode()
            packed = zlib.compress(raw, 9)
            name = "%s_%s" % (service.replace("-", "_"), kind)
            arrays.append("static const unsigned char %s[] = {\n%s\n};" %
                          (name, c_bytes(packed)))
            entries.append('    {"%s", "%s", %s, sizeof %s, %d},' %
                           (service, kind, name, name, len(raw)))

    with open(out + ".tmp", "w") as f:
        f.write("/* Generated by tools/gen_models.py from %s. Do not edit. */\n"
                % data)
        f.write('#include "model_data.h"\n\n')
        f.write("\n".join(arrays))
        f.write("\n\nconst struct fg_model_blob fg_model_blobs[] = {\n")
        f.write("\n".join(entries))
        f.write("\n};\nconst size_t fg_model_blob_count = %d;\n" % len(entries))
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv)
