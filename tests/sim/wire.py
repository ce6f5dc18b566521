"""The AWS wire protocols as far as the simulator needs them: which service
and operation a request is (json: X-Amz-Target; query and ec2: Action in the
form; rest-json and rest-xml: method and path matched against the service
model), its parameters, errors in each protocol's format, and answers that
can be read and rewritten (JSON bodies, query/ec2 XML bodies).
"""
import json
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import botocore.session

_session = botocore.session.get_session()
_models = {}

# SigV4 signing name -> botocore service model name (where they differ).
MODEL_OF = {"elasticloadbalancing": "elbv2"}


def model(signing_name):
    """The botocore service model for a signing name, or None."""
    name = MODEL_OF.get(signing_name, signing_name)
    if name not in _models:
        try:
            _models[name] = _session.get_service_model(name)
        except Exception:   # an unknown service: no model
            _models[name] = None
    return _models[name]


class Call:
    """One request: service (SigV4 signing name), operation, protocol,
    params, and who sent it (access key, region)."""

    def __init__(self, method, path, headers, body):
        self.method, self.path, self.headers, self.body = method, path, headers, body
        auth = headers.get("Authorization", "")
        m = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request", auth)
        self.access_key, self.region, self.service = (m.group(1), m.group(2), m.group(3)) if m else ("", "us-east-1", "?")
        self.account = self.principal = None   # filled in by the world (moto's view of the access key)
        self.operation, self.protocol, self.params = "?", "rest", {}
        target = headers.get("X-Amz-Target")
        if target:
            self.protocol = "json"
            self.operation = target.rsplit(".", 1)[-1]
            try:
                self.params = json.loads(body or b"{}")
            except ValueError:
                self.params = {}
            return
        form = {}
        if body and ("x-www-form-urlencoded" in headers.get("Content-Type", "") or body[:7] == b"Action="):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        if not form and "?" in path:
            form = urllib.parse.parse_qs(path.split("?", 1)[1], keep_blank_values=True)
        if "Action" in form:
            self.operation = form["Action"][0]
            self.protocol = "ec2" if self.service == "ec2" else "query"
            self.params = {k: v[0] for k, v in form.items()}
            return
        self._rest()

    def _rest(self):
        m = model(self.service)
        if m is None or m.protocol not in ("rest-json", "rest-xml"):
            self.operation = self.method + " " + self.path.split("?", 1)[0]
            return
        self.protocol = m.protocol
        url = urllib.parse.urlsplit(self.path)
        best = None
        for name in m.operation_names:
            op = m.operation_model(name)
            if op.http.get("method") != self.method:
                continue
            got = match_uri(op.http.get("requestUri", "/"), url.path, url.query)
            if got is not None and (best is None or got[0] > best[0]):
                best = (got[0], name, got[1])
        if best is None:
            self.operation = self.method + " " + url.path
            return
        self.operation = best[1]
        params = dict(best[2])
        for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
            params.setdefault(k, v)
        if self.body and self.protocol == "rest-json":
            try:
                body = json.loads(self.body)
                if isinstance(body, dict):
                    params.update(body)
            except ValueError:
                pass
        self.params = params

    # --- parameters --------------------------------------------------------------
    def get(self, name, default=None):
        """A top-level parameter (json) or a flat form value (query, ec2)."""
        return self.params.get(name, default)

    def members(self, name):
        """A list parameter: json lists as they are; query 'Name.member.N';
        ec2 'Name.N'. Scalars only."""
        if self.protocol in ("json", "rest-json"):
            v = self.params.get(name)
            return list(v) if isinstance(v, list) else []
        pat = re.compile(r"^%s\.(?:member\.)?(\d+)$" % re.escape(name))
        found = sorted((int(m.group(1)), v) for k, v in self.params.items() for m in [pat.match(k)] if m)
        return [v for _, v in found]

    def has_prefix(self, name):
        """Whether any parameter is `name` or starts with `name.` (query/ec2 lists)."""
        if self.protocol in ("json", "rest-json"):
            v = self.params.get(name)
            return bool(v)
        return any(k == name or k.startswith(name + ".") for k in self.params)

    def __repr__(self):
        return "%s.%s" % (self.service, self.operation)


def match_uri(template, path, query):
    """(literal characters matched, {label: value}) when the path (and the
    query keys the template requires) fits the template, else None."""
    tpath, _, tquery = template.partition("?")
    names, regex, pos = [], "^", 0
    for m in re.finditer(r"\{([^}]+)\}", tpath):
        name = m.group(1)
        regex += re.escape(tpath[pos:m.start()]) + ("(.+)" if name.endswith("+") else "([^/]+)")
        names.append(name.rstrip("+"))
        pos = m.end()
    regex += re.escape(tpath[pos:]) + "/?$"
    m = re.match(regex, path)
    if not m:
        return None
    have = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    for part in filter(None, tquery.split("&")):
        key, _, value = part.partition("=")
        if key not in have or (value and have[key] != value):
            return None
    values = {n: urllib.parse.unquote(v) for n, v in zip(names, m.groups())}
    return len(re.sub(r"\{[^}]+\}", "", template)), values


class Answer:
    """An HTTP answer: status, headers (list of pairs), body (bytes)."""

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, list(headers), body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def ok(self):
        return 200 <= self.status < 300

    # JSON bodies (json, rest-json)
    def json(self):
        return json.loads(self.body or b"{}")

    def set_json(self, value):
        self.body = json.dumps(value).encode()

    # XML bodies (query, ec2)
    def xml(self):
        """The body's root element; namespaces stripped from tags so that
        paths read plainly ('.//LoadBalancers/member'); set_xml puts the
        namespace back."""
        root = ET.fromstring(self.body)
        m = re.match(r"\{([^}]*)\}", root.tag)
        self._ns = m.group(1) if m else None
        for el in root.iter():
            el.tag = el.tag.split("}", 1)[-1]
        return root

    def set_xml(self, root):
        if getattr(self, "_ns", None):
            root.set("xmlns", self._ns)
        self.body = ET.tostring(root, encoding="utf-8", xml_declaration=True)

    def error_code(self):
        """The error code of a failed answer in any protocol, or None."""
        if self.ok:
            return None
        kind = self.header("x-amzn-ErrorType")
        if kind:
            return kind.split(":", 1)[0].split("#")[-1]
        try:
            v = json.loads(self.body)
            return str(v.get("__type", v.get("code", ""))).split("#")[-1] or None
        except ValueError:
            pass
        m = re.search(rb"<Code>([^<]+)</Code>", self.body or b"")
        return m.group(1).decode() if m else None


def request_id():
    return str(uuid.uuid4())


def error(call, code, message, status=None):
    """An error answer in the call's protocol, as that service sends it.
    The HTTP status is the model's for a modelled error, else `status`,
    else 400."""
    if status is None:
        status = 400
        m = model(call.service)
        if m is not None:
            for shape in m.error_shapes:
                if shape.name == code or shape.metadata.get("error", {}).get("code") == code:
                    status = shape.metadata.get("error", {}).get("httpStatusCode", status)
    rid = request_id()
    esc = lambda s: (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    if call.protocol in ("json", "rest-json"):
        ctype = "application/x-amz-json-1.1" if call.protocol == "json" else "application/json"
        body = json.dumps({"__type": code, "message": message}).encode()
        return Answer(status, [("Content-Type", ctype), ("x-amzn-ErrorType", code),
                               ("x-amzn-RequestId", rid)], body)
    if call.protocol == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code>'
                '<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>'
                % (esc(code), esc(message), rid)).encode()
        return Answer(status, [("Content-Type", "text/xml;charset=UTF-8")], body)
    if call.protocol == "rest-xml":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
                '<RequestId>%s</RequestId></Error>' % (esc(code), esc(message), rid)).encode()
        return Answer(status, [("Content-Type", "application/xml")], body)
    m = model(call.service)
    ns = (m.metadata.get("xmlNamespace") if m is not None else None) or ""
    body = ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>'
            '</Error><RequestId>%s</RequestId></ErrorResponse>' % (esc(ns), esc(code), esc(message), rid)).encode()
    return Answer(status, [("Content-Type", "text/xml")], body)


def answer(call, result):
    """A successful answer to `call` carrying `result` (a dict shaped like
    the operation's output), in the call's protocol."""
    rid = request_id()
    if call.protocol in ("json", "rest-json"):
        ctype = "application/x-amz-json-1.1" if call.protocol == "json" else "application/json"
        return Answer(200, [("Content-Type", ctype), ("x-amzn-RequestId", rid)], json.dumps(result).encode())
    m = model(call.service)
    ns = m.metadata.get("xmlNamespace", "") if m is not None else ""
    root = ET.Element(call.operation + "Response", {"xmlns": ns})
    if call.protocol == "ec2":
        _xml_value(root, result, member="item")
        ET.SubElement(root, "requestId").text = rid
    else:
        _xml_value(ET.SubElement(root, call.operation + "Result"), result, member="member")
        ET.SubElement(ET.SubElement(root, "ResponseMetadata"), "RequestId").text = rid
    return Answer(200, [("Content-Type", "text/xml")], ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _xml_value(parent, value, member):
    if isinstance(value, dict):
        for k, v in value.items():
            if v is not None:
                _xml_value(ET.SubElement(parent, k), v, member)
    elif isinstance(value, list):
        for v in value:
            _xml_value(ET.SubElement(parent, member), v, member)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    else:
        parent.text = str(value)
