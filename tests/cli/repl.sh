#!/usr/bin/env bash
# The REPL: driven under a pseudo-terminal (completion, printing, :json,
# q(), errors, Ctrl-C, history, multi-line input) and with piped input.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- standard input not a terminal: statements, no prompt, no colour ----
out=$(printf '1 + 1\nt = {}\nfor i = 1, 3 do\n  t[i] = i * i\nend\nprint(#t)\n{b = 2, a = "x"}\n_.b\n' |
      "$FGRUN" -i 2>&1)
expect_eq "piped statements run, expressions show, no prompt" \
    "$(printf '2\n3\n{ a = "x", b = 2 }\n2')" "$out"
out=$(printf ':json\n{b = {1, 2}, a = "x"}\n:yaml\n{b = {1, 2}, a = "x y: z"}\n:fmt table\n{1}\n' | "$FGRUN" -i 2>&1)
expect_eq ":json, :yaml and :fmt table switch the format" \
    "$(printf '{\n  "a": "x",\n  "b": [\n    1,\n    2\n  ]\n}\na: "x y: z"\nb:\n  - 1\n  - 2\n{ 1 }')" "$out"
out=$(printf 'local t = {} for i = 1, 1000 do t[i] = {id = i} end return t\n' | "$FGRUN" -i 2>&1)
expect_match "a long list is cut with a count" "… 950 more" "$out"
expect_eq "a cut list shows 50 items" "50" "$(printf '%s\n' "$out" | grep -c 'id = ')"
# shellcheck disable=SC2016 # JMESPath literals use backticks
out=$(printf 'q({services = {{name = "a", n = 1}, {name = "b", n = 2}}}, "services[?n > `1`].name")\n' |
      "$FGRUN" -i 2>&1)
expect_eq "q() queries with JMESPath" '{ "b" }' "$out"
out=$(printf 'error("boom")\nprint("still here")\n' | "$FGRUN" -i 2>&1)
expect_eq "an error is one line and the loop goes on" "$(printf 'error: stdin:1: boom\nstill here')" "$out"
out=$(printf 'error(setmetatable({}, {__tostring = function() return "ecs.DescribeServices: AccessDenied: no" end}))\n' |
      "$FGRUN" -i 2>&1)
expect_eq "an error object shows through __tostring" "error: stdin:1: ecs.DescribeServices: AccessDenied: no" "$out"
out=$(printf 'error("boom")\n' | "$FGRUN" -v -i 2>&1)
expect_match "-v adds the traceback" "stack traceback:" "$out"
out=$(printf 'type(json), type(jmespath), rawget(_G, "ecs")\n' | "$FGRUN" -i 2>&1)
expect_eq "ready names load on first use, clients not before" "$(printf '"table"\t"table"\tnil')" "$out"
out=$("$FGRUN" -e 'print(rawget(_G, "q"), json)' </dev/null 2>&1)
expect_eq "scripts get no REPL names" "nil	nil" "$out"
printf 'answer = 42\n' > "$tmp/script.lua"
out=$(printf 'answer + 1\n' | "$FGRUN" -i "$tmp/script.lua" 2>&1)
expect_eq "-i after a script keeps its globals" "43" "$out"
out=$({ printf 'x = "'; head -c 70000 /dev/zero | tr '\0' a; printf '"\n#"abc"\n'; } | "$FGRUN" -i 2>&1)
expect_eq "a line over 64 KiB is refused, not split" "$(printf 'error: line longer than 64 KiB: skipped\n3')" "$out"
out=$(printf '{1, 2}\n' | "$FGRUN" -i 2>&1)
case "$out" in *$'\033'*) tap_fail "no colour when not on a terminal" "$out" ;;
     *) tap_pass "no colour when not on a terminal" ;; esac

if command -v valgrind >/dev/null && [ -z "${FGRUN_NO_VALGRIND:-}" ] && ! ldd "$FGRUN" | grep -q libasan; then
    printf '{a = {1, 2}}\nhelp(ecs.describe_services)\n:yaml\n_\nerror("x")\nq({1, 2}, "[1]")\n' |
        valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q \
        "$FGRUN" -i >/dev/null 2>"$tmp/vg"; rc=$?
    expect_eq "valgrind: no leak or memory error in the REPL" "0" "$rc"
else
    tap_skip "valgrind not available, or an ASan build"
fi

# ---- under a pseudo-terminal ----
cat > "$tmp/drive.py" <<'PY'
import os, pty, re, select, signal, sys, time

fgrun, home = sys.argv[1], sys.argv[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x07|\r")
results = []

def report(ok, what, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + what + ("\t" + detail.replace("\n", "\\n")[-600:] if not ok else ""))
    sys.stdout.flush()

class Repl:
    def __init__(self, *args, env=None):
        e = dict(os.environ, HOME=home, TERM="xterm", COLUMNS="100")
        e.pop("NO_COLOR", None)
        moto = os.environ.get("FGRUN_TEST_MOTO_URL")
        if moto:
            e.update(AWS_ENDPOINT_URL=moto, AWS_ACCESS_KEY_ID="testing",
                     AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
        e.update(env or {})
        for k in [k for k, v in e.items() if v is None]:
            del e[k]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(fgrun, [fgrun] + list(args), e)
        self.out = ""
        self.raw = ""

    def read(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], max(0, end - time.time()))
            if not r:
                break
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            self.out += data.decode("utf-8", "replace")
            self.raw += data.decode("utf-8", "replace")
            return True
        return False

    def expect(self, pattern, timeout=10):
        """Waits until the text since the last mark matches; returns it (or None)."""
        end = time.time() + timeout
        while True:
            text = ANSI.sub("", self.out)
            m = re.search(pattern, text, re.S)
            if m:
                self.out = text[m.end():]
                return text[:m.end()]
            if time.time() >= end or not self.read(end - time.time()):
                if time.time() >= end:
                    self.last = text
                    return None

    def send(self, s):
        os.write(self.fd, s.encode())

    def close(self):
        time.sleep(0.1)  # the prompt shows before libedit's raw mode: a ^D sooner is lost
        self.send("\x04")
        end = time.time() + 30
        while time.time() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            self.read(0.1)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None

def check(what, repl, pattern, timeout=10):
    got = repl.expect(pattern, timeout)
    report(got is not None, what, "" if got else "expected /%s/, got: %r" % (pattern, getattr(repl, "last", repl.out)))
    return got

PROMPT = r"(^|\n)> $"

r = Repl()
t0 = time.time()
check("a terminal gets the prompt", r, PROMPT)
r.send("ecs.desc\t")
check("Tab completes a client's operations: ecs.desc -> ecs.describe_", r, r"ecs\.describe_")
r.send("\t")
check("a second Tab lists the choices", r, r"describe_clusters.*describe_services.*\n> ecs\.describe_")
r.send("services{clu\t")
check("Tab completes a parameter inside an operation's braces", r, r"services\{cluster")
r.send("\x03")
check("Ctrl-C at the prompt cancels the line", r, PROMPT)
r.send("1 + 1\r")
check("the line after Ctrl-C starts afresh", r, r"\n2\n> $")
r.send("ecs.create_service{networkConfiguration = {awsvpcConfiguration = {assign\t")
check("Tab completes nested parameters", r, r"assignPublicIp")
r.send("\x03")
r.expect(PROMPT)
r.send("ecs.wait(\"services_s\t")
check("Tab completes waiter names inside wait(\"", r, r"wait\(\"services_stable")
r.send("\x03")
r.expect(PROMPT)
r.send("aws.secr\t")
time.sleep(0.3)
r.send("\r")
check("Tab completes table fields (aws.secr -> aws.secretsmanager)", r, r"\naws client secretsmanager\n> $")
r.send("jso\t")
time.sleep(0.3)
r.send(".null\r")
check("Tab completes globals, including ready names (jso -> json)", r, r"\nnull\n> $")
r.send("t = {\r")
check("an unfinished statement continues with >>", r, r"\n>> $")
r.send("  answer = 41,\r")
r.expect(r"\n>> $")
r.send("}\r")
r.expect(PROMPT)
r.send("t.answer + 1\r")
check("multi-line input runs as one statement", r, r"\n42\n> $")
r.send("{zeta = 1, alpha = {\"x\", \"y\"}, flag = true}\r")
check("tables print key-sorted", r, r"\{ alpha = \{ \"x\", \"y\" \}, flag = true, zeta = 1 \}\n> $")
r.send(":json\r")
r.expect(PROMPT)
r.send("{b = 1, a = {1, 2}}\r")
check(":json prints JSON", r, r'\{\n  "a": \[\n    1,\n    2\n  \],\n  "b": 1\n\}\n> $')
r.send(":fmt table\r")
r.expect(PROMPT)
r.send("q({items = {{n = 1}, {n = 5}}}, \"items[?n > `2`].n\")\r")
check("q() runs a JMESPath query", r, r"\{ 5 \}\n> $")
r.send("help(ecs.describe_services)\r")
check("help(op) shows required inputs and the output", r, r"\* services: list of string.*output:.*services: list of Service.*\n> $")
r.send("ecs.help(\"create_service\")\r")
check("client.help(op) works too", r, r"\* serviceName: string.*\n> $")
r.send("help()\r")
check("help() lists what is there", r, r"Ready names: aws docker fg jmespath json, and a client of each of the \d+ AWS services.*\n> $")
r.send("require(\"fgrun\").sleep(30)\r")
time.sleep(0.5)
start = time.time()
os.kill(r.pid, signal.SIGINT)
check("Ctrl-C interrupts a running call and returns to the prompt", r, r"error: .*interrupted.*\n> $", 5)
report(time.time() - start < 3, "the interrupt is prompt", "took %.1fs" % (time.time() - start))
r.send("require(\"fgrun\").sleep(30)\r")
time.sleep(0.5)
os.kill(r.pid, signal.SIGINT)
check("a second Ctrl-C interrupts again (not exiting)", r, r"interrupted.*\n> $", 5)
r.send("x_password = \"hunter2\"\r")
r.expect(PROMPT)
r.send("print(\"AKIAIOSFODNN7EXAMPLE\", \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\")\r")
r.expect(PROMPT)
r.send("secretsmanager.create_secret{Name = \"n\", SecretString = \"s3cr3t\"}\r")
r.expect(PROMPT)

moto = os.environ.get("FGRUN_TEST_MOTO_URL")
if moto:
    r.send("ecs.create_cluster{clusterName = \"repl-test\"}\r")
    check("a result from moto prints as a tree", r, r"cluster = \{.*clusterName = \"repl-test\".*\n> $")
    r.send("_.cluster.status\r")
    check("_ holds the last result", r, r"\"ACTIVE\"\n> $")
    r.send("ecs.describe_services{cluster = \"no-such-cluster\", services = {\"x\"}}\r")
    check("an AWS error prints as one line and the REPL goes on", r,
          r"\nerror: [^\n]*(ClusterNotFound|ecs\.describe_services)[^\n]*\n> $")
    r.send("ecs.describe_services{clusterr = 1}\r")
    check("a validation error names the parameter", r, r"\nerror: [^\n]*clusterr[^\n]*\n> $")
else:
    for what in ("a result from moto prints as a tree", "_ holds the last result",
                 "an AWS error prints as one line", "a validation error names the parameter"):
        print("SKIP " + what + ": FGRUN_TEST_MOTO_URL is not set (moto not running)")
r.send("kept_line = 7\r")
r.expect(PROMPT)
rc = r.close()
report(rc == 0, "Ctrl-D leaves with status 0", "exit %r; output: %r" % (rc, r.raw[-1500:]))

hist = open(os.path.join(home, ".fgrun_history")).read() if os.path.exists(os.path.join(home, ".fgrun_history")) else ""
hist = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), hist)
report("t.answer + 1" in hist and "kept_line = 7" in hist, "history is written to ~/.fgrun_history", hist)
report("hunter2" not in hist and "wJalrXUtnFEMI" not in hist and "s3cr3t" not in hist,
       "lines that look like secrets are not written to history", hist)
mode = os.stat(os.path.join(home, ".fgrun_history")).st_mode & 0o777 if hist else 0
report(mode == 0o600, "the history file is private (0600)", oct(mode))

r = Repl()
r.expect(PROMPT)
r.send("\x1b[A")
check("history is reloaded: Up recalls the last line", r, r"kept_line = 7")
r.send("\r")
r.expect(PROMPT)
r.close()

for nocolor, what in ((False, "tables are coloured on a terminal"), (True, "NO_COLOR turns colour off")):
    r = Repl(env={"NO_COLOR": "1"} if nocolor else {})
    r.expect(PROMPT)
    r.send('{s = "x"}\r')
    r.expect(r"\}\n> $")
    raw = r.raw
    coloured = '\x1b[32m"x"' in raw
    report(coloured != nocolor, what, repr(raw[-200:]))
    r.close()

r = Repl(env={"LANG": None, "LC_ALL": None, "LC_CTYPE": None})
r.expect(PROMPT)
r.send('#"h\u00e9llo\u2026"\r')
check("UTF-8 input is kept, also without a locale", r, r"\n9\n> $")
r.close()

# an endpoint that accepts connections and never answers
import socket
stall = socket.socket()
stall.bind(("127.0.0.1", 0))
stall.listen(8)
r = Repl(env={"AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % stall.getsockname()[1],
              "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
              "AWS_REGION": "us-east-1"})
r.expect(PROMPT)
r.send("sts.get_caller_identity()\r")
time.sleep(1.5)
start = time.time()
os.kill(r.pid, signal.SIGINT)
check("Ctrl-C interrupts an AWS call to an endpoint that stalls", r, r"\nerror: [^\n]*interrupted[^\n]*\n> $", 10)
report(time.time() - start < 3, "the stalled call gives up at once", "took %.1fs" % (time.time() - start))
r.send("1 + 2\r")
check("the REPL goes on after the interrupted call", r, r"\n3\n> $")
r.close()
stall.close()

r = Repl()
r.expect(PROMPT)
os.kill(r.pid, signal.SIGTERM)
rc = r.close()
report(rc is not None, "SIGTERM at the prompt ends the REPL", "exit %r" % rc)
PY

while IFS= read -r line; do
    case "$line" in
        PASS\ *) tap_pass "${line#PASS }" ;;
        FAIL\ *) desc=${line#FAIL }; tap_fail "${desc%%$'\t'*}" "${desc#*$'\t'}" ;;
        SKIP\ *) tap_skip "${line#SKIP }" ;;
    esac
done < <(timeout 300 python3 "$tmp/drive.py" "$FGRUN" "$tmp" 2>&1)

# start-up: the prompt comes without loading any service model
printf 'rawget(package.loaded, "aws")\n' | "$FGRUN" -i >"$tmp/startup" 2>&1
expect_eq "nothing AWS is loaded before it is used" "nil" "$(cat "$tmp/startup")"

tap_done
