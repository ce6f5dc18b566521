#!/usr/bin/env python3
"""Embed the AWS service models that fgrun speaks into a C source file.

For each service, from botocore's data folder (the newest API version):
service-2.json with documentation and unenforced constraints stripped, plus
paginators-1.json and waiters-2.json, minified. The service model is written
with sorted keys, and with sorted tables of where each operation and shape
sits in it, so the runtime decodes one operation or one shape at a time
instead of the whole model (EC2's is 1 MB of JSON). The text stays
uncompressed in the binary's read-only data: only the pages a run touches
are read, and nothing is inflated or copied.

usage: gen_models.py [--data DIR] OUT.c
"""
import gzip
import json
import os
import sys

SERVICES = ["sts", "secretsmanager", "ec2", "ecr", "iam", "ecs", "logs",
            "elbv2", "application-autoscaling"]
# Keys the runtime never reads: prose, and patterns (server-side). Enum
# values stay: validation does not enforce them (AWS adds values), but the
# REPL's help() and completion show them.
STRIPPED = {"documentation", "documentationUrl", "examples", "deprecatedMessage",
            "deprecatedSince", "pattern", "contextParam",
            "staticContextParams", "clientContextParams", "operationContextParams",
            "requestcompression", "httpChecksum", "unauthenticatedApiOperations"}


def find_data_dir(given):
    if given:  # an explicit folder is the only candidate
        if os.path.isdir(os.path.join(given, "sts")):
            return given
        sys.exit("gen_models.py: %s is not botocore's data folder (no sts/ in it)" % given)
    candidates = []
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
    """Returns the service JSON text and where its parts are:
    (text, (metadata offset, length), {operation: (offset, length)},
    {shape: (offset, length)}), offsets 0-based in bytes."""
    parts, spans = [], {"operations": {}, "shapes": {}}
    meta = (0, 0)
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
                spans[key][name] = (size, len(text.encode()))
                emit(text)
            emit("}")
        else:
            text = dump(model[key])
            if key == "metadata":
                meta = (size, len(text.encode()))
            emit(text)
    emit("}")
    return "".join(parts), meta, spans["operations"], spans["shapes"]


def c_string(text):
    """A C string literal of text, in chunks; '?' escaped against trigraphs."""
    out, line = [], []
    for byte in text.encode():
        c = chr(byte)
        if c in '"\\?':
            line.append("\\" + c)
        elif 32 <= byte < 127:
            line.append(c)
        else:
            line.append("\\%03o" % byte)
        if len(line) >= 2000:
            out.append('"' + "".join(line) + '"')
            line = []
    out.append('"' + "".join(line) + '"')
    return "\n".join(out)


def c_spans(name, spans):
    rows = ['    {%s, %d, %d},' % (json.dumps(k), off, n)
            for k, (off, n) in sorted(spans.items(), key=lambda kv: kv[0].encode())]
    return "static const struct fg_model_span %s[] = {\n%s\n};" % (name, "\n".join(rows))


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
        text, meta, operations, shapes = indexed_service(strip(model))
        c_name = service.replace("-", "_")
        arrays.append("static const char %s_service[] =\n%s;" % (c_name, c_string(text)))
        arrays.append(c_spans(c_name + "_operations", operations))
        arrays.append(c_spans(c_name + "_shapes", shapes))
        docs = {}
        for kind, fname in (("paginators", "paginators-1.json"),
                            ("waiters", "waiters-2.json")):
            doc = read_json(os.path.join(base, fname))
            if doc is not None:
                docs[kind] = "%s_%s" % (c_name, kind)
                arrays.append("static const char %s[] =\n%s;" %
                              (docs[kind], c_string(dump(strip(doc)))))
        entries.append(
            '    {"%s", %s_service, sizeof %s_service - 1, {%d, %d},\n'
            '     %s_operations, %d, %s_shapes, %d, %s, %s},' %
            (service, c_name, c_name, meta[0], meta[1], c_name, len(operations),
             c_name, len(shapes), docs.get("paginators", "NULL"),
             docs.get("waiters", "NULL")))

    with open(out + ".tmp", "w") as f:
        f.write("/* Generated by tools/gen_models.py from %s. Do not edit. */\n"
                % data)
        f.write('#include "model_data.h"\n\n')
        f.write("\n".join(arrays))
        f.write("\n\nconst struct fg_model fg_models[] = {\n")
        f.write("\n".join(entries))
        f.write("\n};\nconst size_t fg_model_count = %d;\n" % len(entries))
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv)
