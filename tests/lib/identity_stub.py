#!/usr/bin/env python3
"""Loopback stand-ins for the identity services fgrun signs in through,
on one free port, in front of moto (the STS that mints the credentials).

  GET  /federation/credentials   the IAM Identity Center portal's
                                 GetRoleCredentials (rest-json): checks the
                                 x-amz-sso_bearer_token header against the
                                 access tokens it issued, then asks moto's
                                 STS for the role's credentials
  POST /token                    SSO OIDC CreateToken, refresh_token grant:
                                 checks the client and the refresh token,
                                 issues a new access token and rotates the
                                 refresh token
  anything else                  passed to moto unchanged (and logged with
                                 its action and the access key that signed
                                 it), except that AssumeRoleWithWebIdentity
                                 gets DurationSeconds when one is configured
                                 (the SDKs' web identity providers send none,
                                 so AWS's default of an hour applies; a short
                                 session lets a test see the refresh)

Control (JSON):
  POST /__config  {"sts_duration": s, "sso": {"client_id", "client_secret",
                  "refresh_token", "access_tokens": [...], "expires_in": s,
                  "role_duration": s}}
                  (each key optional; "sso" replaces the portal's state)
  GET  /__log     what was asked ({"kind", ...}) since the last /__log,
                  and the current refresh and access tokens
Every number here is the test's choice, not AWS's: AWS's sessions last at
least 900 s and its access tokens about 8 hours.

Usage: identity_stub.py PORT_FILE MOTO_URL
"""
import json
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

import loopback
import stub_server

lock = threading.Lock()
state = {"sts_duration": None, "log": [], "sso": {
    "client_id": None, "client_secret": None, "refresh_token": None,
    "access_tokens": [], "expires_in": 3600, "role_duration": 3600}}
MOTO = None


def log(entry):
    with lock:
        state["log"].append(entry)


def moto_sts(form):
    """POSTs a form to moto's STS; returns (status, headers, body)."""
    req = urllib.request.Request(MOTO + "/", data=urllib.parse.urlencode(form).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded",
        # moto reads the account and caller from an access key it does not check
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIDENTITYSTUB/20260101/us-east-1/sts/aws4_request,"
                         " SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def xml_text(body, tag):
    start = body.find("<" + tag + ">")
    end = body.find("</" + tag + ">")
    return body[start + len(tag) + 2:end] if start >= 0 and end > start else None


class Handler(stub_server.Handler):
    def error(self, status, code, message, extra=None):
        doc = {"message": message}
        doc.update(extra or {})
        return self.answer(status, doc, headers={"x-amzn-ErrorType": code})

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.body()
        if url.path == "/__config" and self.command == "POST":
            conf = json.loads(body)
            with lock:
                if "sts_duration" in conf:
                    state["sts_duration"] = conf["sts_duration"]
                if "sso" in conf:
                    state["sso"].update(conf["sso"])
            return self.answer(200, {})
        if url.path == "/__log":
            with lock:
                entries, state["log"] = state["log"], []
                sso = dict(state["sso"])
            return self.answer(200, {"log": entries, "refresh_token": sso["refresh_token"],
                                     "access_tokens": sso["access_tokens"]})
        if url.path == "/federation/credentials" and self.command == "GET":
            return self.role_credentials(urllib.parse.parse_qs(url.query))
        if url.path == "/token" and self.command == "POST":
            return self.create_token(body)
        return self.forward(body)

    def forward(self, body):
        ctype = self.headers.get("Content-Type") or ""
        form = dict(urllib.parse.parse_qsl(body.decode())) if "form-urlencoded" in ctype else {}
        auth = self.headers.get("Authorization") or ""
        akid = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else None
        log({"kind": "aws", "action": form.get("Action") or self.headers.get("X-Amz-Target"),
             "akid": akid, "signed": bool(auth), "web_identity_token": form.get("WebIdentityToken"),
             "session_name": form.get("RoleSessionName")})
        with lock:
            duration = state["sts_duration"]
        if form.get("Action") == "AssumeRoleWithWebIdentity" and duration:
            form["DurationSeconds"] = str(duration)
            body = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(MOTO + self.path, data=body or None, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req) as r:
                status, headers, answer = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, answer = e.code, e.headers, e.read()
        return self.answer(status, answer, headers.get("Content-Type", "text/xml"))

    def role_credentials(self, query):
        token = self.headers.get("x-amz-sso_bearer_token")
        role = (query.get("role_name") or [None])[0]
        account = (query.get("account_id") or [None])[0]
        with lock:
            sso = dict(state["sso"])
            valid = token in sso["access_tokens"]
        log({"kind": "portal", "role": role, "account": account, "token_valid": valid})
        if not valid:
            return self.error(401, "UnauthorizedException", "Session token not found or invalid")
        if not role or not account:
            return self.error(400, "InvalidRequestException", "role_name and account_id are required")
        status, _, xml = moto_sts({"Action": "AssumeRole", "Version": "2011-06-15",
                                   "RoleArn": "arn:aws:iam::%s:role/%s" % (account, role),
                                   "RoleSessionName": "sso-user",
                                   "DurationSeconds": str(sso["role_duration"])})
        xml = xml.decode()
        if status != 200:
            return self.error(500, "InternalServerException", "moto answered %d" % status)
        return self.answer(200, {"roleCredentials": {
            "accessKeyId": xml_text(xml, "AccessKeyId"),
            "secretAccessKey": xml_text(xml, "SecretAccessKey"),
            "sessionToken": xml_text(xml, "SessionToken"),
            "expiration": int((time.time() + sso["role_duration"]) * 1000)}})

    def create_token(self, body):
        try:
            req = json.loads(body)
        except ValueError:
            return self.error(400, "InvalidRequestException", "not JSON")
        with lock:
            sso = state["sso"]
            ok_client = (req.get("clientId") == sso["client_id"]
                         and req.get("clientSecret") == sso["client_secret"])
            ok_grant = (req.get("grantType") == "refresh_token"
                        and req.get("refreshToken") == sso["refresh_token"])
            if ok_client and ok_grant:
                access = "at-" + secrets.token_hex(12)
                refresh = "rt-" + secrets.token_hex(12)
                sso["access_tokens"].append(access)
                sso["refresh_token"] = refresh
                expires_in = sso["expires_in"]
        log({"kind": "oidc", "grant_type": req.get("grantType"), "client_ok": ok_client, "grant_ok": ok_grant})
        if not ok_client:
            return self.error(400, "InvalidClientException", "invalid client", {"error": "invalid_client"})
        if not ok_grant:
            return self.error(400, "InvalidGrantException", "invalid grant",
                              {"error": "invalid_grant", "error_description": "Invalid refresh token"})
        return self.answer(200, {"accessToken": access, "tokenType": "Bearer",
                                 "expiresIn": expires_in, "refreshToken": refresh})

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def main():
    global MOTO
    MOTO = sys.argv[2].rstrip("/")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    loopback.serve_server(server, sys.argv[1])


if __name__ == "__main__":
    main()
