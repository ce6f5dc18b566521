#!/usr/bin/env python3
"""The tree's own rules, checked (TAP):
- every quoted #include in runtime/ names a file there, and the include
  graph between C files (a .c with its .h counted as one) has no cycle;
- the parts depend one way: base <- net <- aws, docker <- core;
- the require graph of the stdlib and the C modules has no cycle;
- every C module's name follows its path (runtime/aws/shape_json.c is
  require "aws.shape_json");
- every path HACKING.md and README.md's Layout section name exists.
Run from anywhere: python3 tests/tree/layout.py"""
import glob
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
os.chdir(ROOT)

results = []


def check(ok, what, details=()):
    results.append((ok, what, list(details)))


def find_cycle(graph):
    """A cycle of the directed graph {node: set(nodes)} as a list, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in graph}
    stack = []

    def visit(n):
        color[n] = GREY
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if color.get(m, WHITE) == GREY:
                return stack[stack.index(m):] + [m]
            if color.get(m, WHITE) == WHITE:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        color[n] = BLACK
        return None

    for n in sorted(graph):
        if color[n] == WHITE:
            found = visit(n)
            if found:
                return found
    return None


# ---- C ---------------------------------------------------------------------
sources = sorted(glob.glob("runtime/*/*.[ch]"))
include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
missing = []
unit_graph = {}  # "aws/sigv4" -> {"base/buffer", ...}
for src in sources:
    rel = src[len("runtime/"):]
    unit = rel[:-2]
    unit_graph.setdefault(unit, set())
    for inc in include_re.findall(open(src, encoding="utf-8").read()):
        if not os.path.exists(os.path.join("runtime", inc)):
            missing.append("%s: %s" % (src, inc))
            continue
        dep = inc[:-2] if inc.endswith(".h") else inc
        if dep != unit:
            unit_graph[unit].add(dep)
check(not missing, "every quoted #include in runtime/ names a file in runtime/", missing)
cycle = find_cycle(unit_graph)
check(cycle is None, "no cycle in the include graph of runtime/",
      [" -> ".join(cycle)] if cycle else [])

ALLOWED = {"base": {"base"}, "net": {"base", "net"}, "aws": {"base", "net", "aws"},
           "docker": {"base", "net", "docker"}, "core": {"base", "net", "aws", "docker", "core"}}
wrong = []
for unit, deps in sorted(unit_graph.items()):
    part = unit.split("/")[0]
    if part not in ALLOWED:
        wrong.append("%s: runtime/%s/ is not a part" % (unit, part))
        continue
    for dep in sorted(deps):
        if dep.split("/")[0] not in ALLOWED[part]:
            wrong.append("%s includes %s" % (unit, dep))
check(not wrong, "C parts depend one way: base <- net <- aws, docker <- core", wrong)

luaopen_re = re.compile(r"^int (luaopen_fg_\w+)\(lua_State \*L\)$", re.M)
c_modules = {}
misnamed = []
for src in glob.glob("runtime/*/*.c"):
    name = src[len("runtime/"):-2].replace("/", ".")
    for fn in luaopen_re.findall(open(src, encoding="utf-8").read()):
        if fn != "luaopen_fg_" + name.replace(".", "_"):
            misnamed.append("%s defines %s" % (src, fn))
        c_modules[name] = src
check(not misnamed, "every C module's name follows its path", misnamed)

# ---- Lua -------------------------------------------------------------------
require_re = re.compile(r"""require\s*\(?\s*["']([\w.]+)["']""")
lua_modules = {}
for path in glob.glob("stdlib/**/*.lua", recursive=True):
    lua_modules[path[len("stdlib/"):-4].replace("/", ".")] = path
req_graph = {}
unknown = []
for name, path in sorted(lua_modules.items()):
    text = re.sub(r"--[^\n]*", "", open(path, encoding="utf-8").read())
    deps = set(require_re.findall(text)) - {name}
    for dep in deps:
        if dep not in lua_modules and dep not in c_modules:
            unknown.append("%s requires %s" % (path, dep))
    req_graph[name] = {d for d in deps if d in lua_modules}
check(not unknown, "every module the stdlib requires exists", unknown)
cycle = find_cycle(req_graph)
check(cycle is None, "no cycle in the require graph of stdlib/",
      [" -> ".join(cycle)] if cycle else [])

# ---- documentation ---------------------------------------------------------
TOP = ("runtime/", "stdlib/", "tests/", "tools/", "mk/", "recipes/")
FILE_NAME = re.compile(r"^[\w.-]*\w\.(c|h|lua|sh|py|mk|md)$")


def missing_paths(text):
    """Paths in `backticks` (from a top folder, or a file name alone, found
    anywhere) and file names in code blocks that the tree does not have."""
    gone = set()
    for token in re.findall(r"`([^`\s]+)`", text):
        token = token.rstrip(".,:;)")
        if token.startswith(TOP) and re.match(r"^[\w.*/<>-]+$", token) and "<" not in token:
            if not glob.glob(token, recursive=True):
                gone.add(token)
        elif FILE_NAME.match(token) and not glob.glob("**/" + token, recursive=True):
            gone.add(token)
    for block in text.split("```")[1::2]:
        for name in re.findall(r"(?<![\w<>])([A-Za-z][\w-]*\.(?:c|h|lua|py|sh))\b", block):
            if not glob.glob("**/" + name, recursive=True):
                gone.add(name)
        for folder in re.findall(r"^\s*(\w+/)\s", block, re.M):
            if not glob.glob("**/" + folder, recursive=True):
                gone.add(folder)
    return sorted(gone)


gone = missing_paths(open("HACKING.md", encoding="utf-8").read())
check(not gone, "every path HACKING.md names exists", gone)

readme = open("README.md", encoding="utf-8").read()
layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0] if "## Layout" in readme else ""
gone = missing_paths(layout)
check(layout != "" and not gone, "every path README.md's Layout names exists", gone)

print("1..%d" % len(results))
for i, (ok, what, details) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    for d in details[:50]:
        print("#   " + d)
