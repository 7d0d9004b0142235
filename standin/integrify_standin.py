#!/usr/bin/env python3
"""Integrify stand-in: a local simulator of Integrify's REST API for intake.

Serves both API styles on one port, as a real v8 host does: the legacy v7
paths (/access, /oauth2, /processes, /instances, /tasktypes, /files,
/reports) and the v8 paths (/api/..., /core-service/..., /workflow/napi/...).
v8 paths answer only when the Host header names the configured tenant host.

Everything Integrify does not document is a plausible guess; the guesses
that clients might depend on are switchable at run time (see "variants").
Test control lives under /__sim/: reset, state, instances, clock, faults,
config.  With --state-file the simulated state survives a restart.

Only the Python 3.11 standard library is used.  See standin/README.md.
"""

import argparse
import base64
import copy
import datetime
import email.message
import email.parser
import hashlib
import hmac
import http
import http.server
import json
import math
import os
import re
import signal
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

MAX_BODY = 25 * 1024 * 1024          # the v8 ingress limit (nginx "25m")
UTF8_BOM = b"\xef\xbb\xbf"
JSON_TYPE = "application/json; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

VARIANTS = {                          # name: (default, allowed values)
    "v7_start_shape": ("doc", ("doc", "SID", "both")),
    "v8_impersonate_body": ("json_token", ("json_token", "text")),
    "v8_expired_body": ("text", ("text", "json")),
    # The request lists (v8 /api/instance/list/*, v7 /instances/mine): their
    # shape is undocumented, so a client must read any of these.
    "instance_list_shape": ("camel", ("camel", "pascal", "bare", "wrapped")),
    "instance_list_ids": ("number", ("number", "string")),
    "instance_list_extra": ("no", ("no", "yes")),
    "instance_list_sid": ("yes", ("yes", "no")),
    # A tenant without the v8 request search: /api/instance/list/* answers 404.
    "instance_search": ("yes", ("yes", "no")),
    # The JSON run of a report (v7 POST /reports/{sid}, v8 /api/reports/{sid}/run):
    # its shape is undocumented.
    "report_run_shape": ("items", ("items", "Items", "rows", "bare")),
    # Whether a v7 start takes the request's name from its body ({"name": ...});
    # Integrify documents no body for it.
    "v7_request_name": ("no", ("no", "yes")),
}
AUTH_FAILURES = ("missing", "invalid", "expired", "wrong_tenant")
TOKEN_PATHS = ("/access/", "/oauth2/", "/api/auth/apikey/")
V8_PREFIXES = ("/api/", "/core-service/", "/workflow/")
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TTL_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
FAULT_COUNTS = {"slow": None, "drop": 1, "drop-before": 1, "refuse-token": 1}  # default count
MAX_FAULT_SECONDS = 86400.0
STATE_FORMAT = "integrify-standin-state/1"
SAVE_INTERVAL = 1.0                   # background saves of --state-file, at most this often
DRAIN_TIMEOUT = 5.0                   # on exit, wait this long for requests in progress


class ConfigError(Exception):
    """The fixture or a config change is unusable."""


class ApiError(Exception):
    """An error answer.  auth, when set, is recorded in the call log;
    body, when set, replaces the dialect's usual error body."""

    def __init__(self, status, description="", auth=None, body=None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.auth = auth
        self.body = body


class Response:
    def __init__(self, status, body=b"", content_type=JSON_TYPE, headers=()):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers)


def json_response(obj, status=200):
    return Response(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))


def text_response(text, status=200):
    return Response(status, text.encode("utf-8"), TEXT_TYPE)


def iso(t):
    """Epoch seconds as Integrify's ISO 8601 UTC form with milliseconds."""
    dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def new_hex():
    return uuid.uuid4().hex


def new_guid():
    return str(uuid.uuid4())


def is_token_path(path):
    return path.startswith(TOKEN_PATHS)


def path_dialect(path):
    return "v8" if path.startswith(V8_PREFIXES) else "v7"


# --------------------------------------------------------------------------
# JWT (HS256 only)

def b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_sign(claims, secret):
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    header = b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}, **compact).encode())
    payload = b64url_encode(json.dumps(claims, **compact).encode("utf-8"))
    signing_input = (header + "." + payload).encode("ascii")
    sig = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return header + "." + payload + "." + b64url_encode(sig)


def jwt_claims(token):
    """(header, claims, signing input, signature) of a compact JWT, unverified.
    Raises ValueError when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWT")
    header = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("JWT parts are not objects")
    return header, claims, (parts[0] + "." + parts[1]).encode("ascii"), b64url_decode(parts[2])


def jwt_verify(token, secret):
    """The claims of an HS256 JWT signed with secret, or None."""
    try:
        header, claims, signing_input, sig = jwt_claims(token)
    except (ValueError, RecursionError):
        return None
    if header.get("alg") != "HS256":
        return None
    want = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return claims if hmac.compare_digest(want, sig) else None


def numeric_date(value):
    """A JWT NumericDate as float, or None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


# --------------------------------------------------------------------------
# Configuration: the fixture, indexed.  Immutable once built; a config change
# builds a new Catalog and swaps it in.

def _index(items, key, what):
    out = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get(key), str):
            raise ConfigError("every %s needs a string %r" % (what, key))
        out[item[key]] = item
    return out


class Catalog:
    def __init__(self, cfg):
        if not isinstance(cfg, dict):
            raise ConfigError("the configuration must be a JSON object")
        self.cfg = cfg
        for name in ("tenant", "host_header", "jwt_secret"):
            if not isinstance(cfg.get(name), str) or not cfg[name]:
                raise ConfigError("%s must be a non-empty string" % name)
        self.tenant = cfg["tenant"]
        self.host_header = cfg["host_header"].lower()
        self.jwt_secret = cfg["jwt_secret"]
        self.default_ttl = numeric_date(cfg.get("default_ttl_s", 3600))
        if self.default_ttl is None or self.default_ttl < 0:
            raise ConfigError("default_ttl_s must be a number of seconds")
        self.enforce_required = bool(cfg.get("enforce_required", False))
        self.users = _index(cfg.get("users", []), "userName", "user")
        self.consumers = _index(cfg.get("legacy_consumers", []), "key", "legacy consumer")
        self.api_keys = _index(cfg.get("v8_api_keys", []), "key", "v8 api key")
        self.processes = _index(cfg.get("processes", []), "sid", "process")
        self.reports = _index(cfg.get("reports", []), "sid", "report")
        self.tasks = {}
        self.forms = {}
        for p in self.processes.values():
            task = p.get("first_task")
            if not isinstance(task, dict) or not isinstance(task.get("sid"), str):
                raise ConfigError("process %s needs a first_task with a sid" % p["sid"])
            if task.get("type") not in ("form", "datacontainer"):
                raise ConfigError("first_task.type of %s must be form or datacontainer" % p["sid"])
            _index(task.get("fields", []), "key", "field")
            self.tasks[task["sid"]] = p
            if task.get("form_sid"):
                self.forms[task["form_sid"]] = task
        for r in self.reports.values():
            columns = r.get("columns") or []
            if not all(isinstance(c, dict) and isinstance(c.get("name"), str)
                       and isinstance(c.get("label"), str) for c in columns) or not columns:
                raise ConfigError("report %s needs columns with name and label" % r["sid"])
            names = [c["name"] for c in columns]
            if any(not isinstance(row, list) or len(row) != len(names)
                   for row in r.get("rows", [])):
                raise ConfigError("report %s has a row of the wrong width" % r["sid"])
            for f in r.get("exposed_filters", []):
                if f.get("MappingVal") not in names or not isinstance(f.get("Expose"), str):
                    raise ConfigError("report %s: exposed filter needs Expose and a "
                                      "MappingVal naming a column" % r["sid"])
        for k in self.api_keys.values():
            if k.get("expires") is not None and numeric_date(k["expires"]) is None:
                raise ConfigError("v8 api key %s: expires must be epoch seconds" % k["key"])
        self.variants = {}
        given = cfg.get("variants") or {}
        for name, (default, allowed) in VARIANTS.items():
            value = given.get(name, default)
            if value not in allowed:
                raise ConfigError("variants.%s must be one of %s" % (name, "|".join(allowed)))
            self.variants[name] = value

    def host_ok(self, host):
        """Whether a Host header names the tenant host (any port)."""
        host = (host or "").strip().lower()
        if host.startswith("["):
            host = host.split("]", 1)[0] + "]"
        else:
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return host == self.host_header


def merge_config(base, change):
    """base with change applied; dict values one level down are merged."""
    out = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def permitted(obj, user):
    allowed = obj.get("allowed_users")
    return allowed is None or user["userName"] in allowed


# --------------------------------------------------------------------------
# Simulator state: everything tests inspect or control.  One lock.  Every
# change of what --state-file keeps bumps changes (under the lock).

class SimState:
    def __init__(self):
        self.lock = threading.Lock()
        self.clock_offset = 0.0
        self.changes = 0
        self._clear()

    def _clear(self):
        self.calls = []
        self.tokens = []              # records in issue order
        self.token_index = {}         # token string -> record
        self.instances = []
        self.instance_index = {}      # sid -> instance
        self.recip_tasks = {}         # recipient task sid -> (instance, task)
        self.uploads = {}             # file key -> record (with the bytes)
        self.faults = []
        self.next_id = 1001

    def reset(self):
        with self.lock:
            self._clear()
            self.clock_offset = 0.0
            self.changes += 1

    def now(self):
        return time.time() + self.clock_offset

    def clocks(self):
        """(client time, simulated time) of one instant; see Ctx."""
        real = time.time()
        return real, real + self.clock_offset

    def advance(self, seconds):
        with self.lock:
            self.clock_offset += seconds
            self.changes += 1
            return self.clock_offset

    # calls and tokens

    def log_call(self, record):
        with self.lock:
            self.calls.append(record)
            self.changes += 1

    def add_token(self, token, flow, user, issued_at, expires_at, tenant=None):
        rec = {"token": token, "flow": flow, "user": user, "issued_at": issued_at,
               "expires_at": expires_at, "revoked": False, "tenant": tenant}
        with self.lock:
            self.tokens.append(rec)
            self.token_index[token] = rec
            self.changes += 1
        return rec

    def token(self, token):
        with self.lock:
            return self.token_index.get(token)

    def revoke_all(self):
        with self.lock:
            for rec in self.tokens:
                rec["revoked"] = True
            self.changes += 1
            return len(self.tokens)

    # faults

    def add_fault(self, fault):
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self):
        with self.lock:
            self.faults = []

    def take_fault(self, mode, path):
        """The first armed fault of mode matching path, counted down; or None.
        Faults whose time window (monotonic "until") has passed are dropped."""
        with self.lock:
            now = time.monotonic()
            self.faults = [f for f in self.faults if f["until"] is None or now < f["until"]]
            for fault in self.faults:
                if fault["mode"] != mode or not fault_matches(fault, path):
                    continue
                if fault["count"] is not None:
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    # instances, recipient tasks, uploads

    def add_instance(self, process, name, dialect, user, started_at, open_task):
        with self.lock:
            inst = {"sid": new_guid(), "id": self.next_id, "process_sid": process["sid"],
                    "name": name, "values": {}, "files": [], "dialect": dialect,
                    "user": user["userName"], "started_at": started_at, "tasks": []}
            self.next_id += 1
            self.changes += 1
            self.instances.append(inst)
            self.instance_index[inst["sid"]] = inst
            if open_task:
                task = {"sid": new_guid(), "task": process["first_task"], "active": True}
                inst["tasks"].append(task)
                self.recip_tasks[task["sid"]] = (inst, task)
            return inst

    def instance(self, sid):
        with self.lock:
            return self.instance_index.get(sid)

    def instances_of(self, user_name):
        with self.lock:
            return [i for i in self.instances if i["user"] == user_name]

    def active_task(self, rt_sid):
        """(instance, recipient task) of an active data-container task, or None."""
        with self.lock:
            found = self.recip_tasks.get(rt_sid)
            if found is None or not found[1]["active"]:
                return None
            if found[1]["task"].get("type") != "datacontainer":
                return None
            return found

    def active_tasks(self):
        with self.lock:
            return [(i, t) for i, t in self.recip_tasks.values()
                    if t["active"] and t["task"].get("type") == "datacontainer"]

    def store_values(self, inst, values, close_tasks):
        """Store field values on an instance and attach uploads they name."""
        with self.lock:
            self.changes += 1
            inst["values"].update(values)
            for value in values.values():
                for piece in re.split(r"[|,;]", value) if isinstance(value, str) else ():
                    up = self.uploads.get(piece.strip())
                    if up is not None and up["key"] not in [f["key"] for f in inst["files"]]:
                        inst["files"].append({"key": up["key"], "name": up["name"],
                                              "size": up["size"],
                                              "uploaded_at": up["uploaded_at"]})
            if close_tasks:
                for task in inst["tasks"]:
                    task["active"] = False

    def add_upload(self, key, name, content_type, data, dialect, uploaded_at):
        rec = {"key": key, "name": name, "size": len(data), "content_type": content_type,
               "sha256": hashlib.sha256(data).hexdigest(), "dialect": dialect,
               "uploaded_at": uploaded_at, "data": data}
        with self.lock:
            self.uploads[key] = rec
            self.changes += 1
        return rec

    def upload(self, key):
        with self.lock:
            return self.uploads.get(key)

    def snapshot(self, since):
        """The /__sim/state document."""
        with self.lock:
            return {
                "calls": self.calls[since:],
                "next": len(self.calls),
                "tokens": [dict(t) for t in self.tokens],
                "instances": [
                    {"sid": i["sid"], "id": i["id"], "process_sid": i["process_sid"],
                     "name": i["name"], "values": dict(i["values"]),
                     "files": [dict(f) for f in i["files"]], "dialect": i["dialect"],
                     "user": i["user"], "started_at": i["started_at"]}
                    for i in self.instances],
                "uploads": [{k: v for k, v in u.items() if k != "data"}
                            for u in self.uploads.values()],
                "clock_offset": self.clock_offset,
                "now": self.now(),
            }

    def instance_list(self, since):
        """The /__sim/instances document: instances from index since on."""
        with self.lock:
            return {"instances": [
                {"sid": i["sid"], "id": i["id"], "name": i["name"],
                 "process_sid": i["process_sid"], "values": dict(i["values"]),
                 "files": [dict(f) for f in i["files"]], "started_at": i["started_at"]}
                for i in self.instances[since:]], "next": len(self.instances)}

    # --state-file: a JSON document of everything above except the faults

    def export(self):
        """(change count, saved document) copied under the lock, so that it can
        be encoded and written outside it.  Records that are never changed
        after creation (calls, uploads, catalog tasks) are shared, not copied;
        upload bytes are still bytes (StateFile encodes them)."""
        with self.lock:
            tasks = {t["task"]["sid"]: t["task"] for i in self.instances for t in i["tasks"]}
            return self.changes, {
                "format": STATE_FORMAT, "next_id": self.next_id,
                "clock_offset": self.clock_offset, "calls": list(self.calls),
                "tokens": [dict(t) for t in self.tokens], "tasks": tasks,
                "instances": [saved_instance(i) for i in self.instances],
                "uploads": [dict(u) for u in self.uploads.values()]}

    def restore(self, doc):
        """Replace calls, tokens, instances, tasks, uploads, next id and clock
        offset with a saved document (upload data as base64).  ValueError,
        KeyError or TypeError when the document is malformed; nothing changes
        then."""
        _need(isinstance(doc, dict) and doc.get("format") == STATE_FORMAT,
              "not a stand-in state document (format %s)" % STATE_FORMAT)
        next_id, offset = doc["next_id"], numeric_date(doc["clock_offset"])
        _need(type(next_id) is int, "next_id must be an integer")
        _need(offset is not None, "clock_offset must be a number")
        calls = _list_of_dicts(doc["calls"], "calls")
        tokens = [restored_token(t) for t in _list_of_dicts(doc["tokens"], "tokens")]
        _need(isinstance(doc["tasks"], dict), "tasks must be an object")
        instances = [restored_instance(i, doc["tasks"], next_id)
                     for i in _list_of_dicts(doc["instances"], "instances")]
        uploads = [restored_upload(u) for u in _list_of_dicts(doc["uploads"], "uploads")]
        index = {i["sid"]: i for i in instances}
        _need(len(index) == len(instances), "two instances share a sid")
        with self.lock:
            self._clear()
            self.calls, self.tokens, self.instances = calls, tokens, instances
            self.token_index = {t["token"]: t for t in tokens}
            self.instance_index = index
            self.recip_tasks = {t["sid"]: (i, t) for i in instances for t in i["tasks"]}
            self.uploads = {u["key"]: u for u in uploads}
            self.next_id, self.clock_offset = next_id, offset
            self.changes += 1


def _need(condition, problem):
    if not condition:
        raise ValueError(problem)


def _list_of_dicts(value, what):
    _need(isinstance(value, list) and all(isinstance(v, dict) for v in value),
          "%s must be a list of objects" % what)
    return value


def saved_instance(inst):
    """An instance as --state-file keeps it: tasks refer to the saved tasks by sid."""
    out = {k: v for k, v in inst.items() if k != "tasks"}
    out["values"] = dict(inst["values"])
    out["files"] = [dict(f) for f in inst["files"]]
    out["tasks"] = [{"sid": t["sid"], "task_sid": t["task"]["sid"], "active": t["active"]}
                    for t in inst["tasks"]]
    return out


def restored_token(rec):
    _need(isinstance(rec["token"], str) and isinstance(rec["user"], str)
          and numeric_date(rec["expires_at"]) is not None and isinstance(rec["revoked"], bool),
          "token records need token, user, expires_at and revoked")
    return dict(rec, tenant=rec.get("tenant"))


def restored_instance(rec, tasks, next_id):
    inst = dict(rec)
    for key, kind in (("sid", str), ("process_sid", str), ("name", str), ("user", str),
                      ("dialect", str), ("values", dict), ("files", list), ("tasks", list)):
        _need(isinstance(inst[key], kind), "instance %s must be a %s" % (key, kind.__name__))
    _need(type(inst["id"]) is int and inst["id"] < next_id,
          "instance id must be an integer below next_id")
    _need(numeric_date(inst["started_at"]) is not None, "instance started_at must be a number")
    _need(all(isinstance(f, dict) and isinstance(f.get("key"), str)
              and isinstance(f.get("name"), str) and numeric_date(f.get("uploaded_at")) is not None
              for f in inst["files"]), "instance files need key, name and uploaded_at")
    inst["tasks"] = []
    for t in _list_of_dicts(rec["tasks"], "instance tasks"):
        task = tasks.get(t["task_sid"])
        _need(isinstance(task, dict) and isinstance(t["sid"], str)
              and isinstance(t["active"], bool), "instance task %r is unusable" % t.get("sid"))
        inst["tasks"].append({"sid": t["sid"], "task": task, "active": t["active"]})
    return inst


def restored_upload(rec):
    up = dict(rec)
    _need(isinstance(up["key"], str) and isinstance(up["name"], str)
          and isinstance(up["content_type"], str) and isinstance(up["data"], str)
          and numeric_date(up["uploaded_at"]) is not None,
          "upload records need key, name, content_type, uploaded_at and base64 data")
    up["data"] = base64.b64decode(up["data"], validate=True)
    _need(hashlib.sha256(up["data"]).hexdigest() == up["sha256"] and up["size"] == len(up["data"]),
          "upload %s: bytes do not match sha256 and size" % up["key"])
    return up


def fault_matches(fault, path):
    """refuse-token hits token endpoints only; fail hits all but them unless
    aimed by path; slow, drop and drop-before hit every path."""
    if fault["mode"] == "refuse-token":
        return is_token_path(path)
    if fault["path"] is not None:
        return path.startswith(fault["path"])
    if fault["mode"] == "fail":
        return not is_token_path(path)
    return True


# --------------------------------------------------------------------------
# Request context and input helpers

class Ctx:
    """One API request as the handlers see it.

    Two clocks: now is simulated time (real time + the /__sim/clock offset),
    used for every expiry check and every recorded time.  Times a client
    sends or receives (expires, assertion exp, JWT iat/exp) are on the
    client's clock, taken to be real time, and are converted on the way in
    or out: advancing the clock ages the tokens already issued without
    making a well-behaved client's next request look stale."""

    def __init__(self, state, catalog, method, path, raw_query, headers, body, clocks):
        self.state = state
        self.catalog = catalog
        self.method = method
        self.path = path
        self.query = {k: v[0] for k, v in
                      urllib.parse.parse_qs(raw_query, keep_blank_values=True).items()}
        self.headers = headers
        self.body = body
        self.client_now, self.now = clocks
        self.dialect = path_dialect(path)
        self.auth = "none"
        self.user = None
        self.token = presented_token(headers, self.query)

    def to_sim(self, client_time):
        return self.now + (client_time - self.client_now)

    def q(self, name, default=None):
        return self.query.get(name, default)

    def q_int(self, name, default, minimum=0):
        raw = self.query.get(name, "")
        return parse_int(raw, name, minimum) if raw != "" else default

    def q_bool(self, name):
        return self.query.get(name, "").lower() in ("true", "1", "yes")

    def json_body(self, empty):
        """The JSON body, or empty when there is none; 400 when malformed."""
        if not self.body.strip():
            return empty
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise ApiError(400, "body is not valid JSON") from None

    def scheme(self):
        return (self.headers.get("X-Forwarded-Proto") or "http").lower()


def parse_int(raw, name, minimum=0):
    if isinstance(raw, bool):
        raise ApiError(400, "%s must be an integer" % name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, "%s must be an integer" % name) from None
    if value < minimum:
        raise ApiError(400, "%s must be at least %d" % (name, minimum))
    return value


def presented_token(headers, query):
    """The token a request carries: Bearer header, ?token=, or Oauth header."""
    authz = headers.get("Authorization", "")
    scheme, _, value = authz.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if query.get("token"):
        return query["token"]
    oauth = headers.get("Oauth")
    if oauth:
        fields = urllib.parse.parse_qs(oauth.strip())
        for name in ("access_token", "token"):
            if fields.get(name):
                return fields[name][0]
    return None


def authenticate(ctx):
    """The user behind ctx's token; raises 401 ApiErrors in the order
    missing/invalid, expired, wrong tenant."""
    cat = ctx.catalog
    token = ctx.token
    if token is None:
        raise ApiError(401, "no token", auth="missing")
    if token == ctx.q("token") and ctx.q("key") and ctx.q("key") not in cat.consumers:
        raise ApiError(401, "unknown key", auth="invalid")   # the ?key=K&token=T transport
    rec = ctx.state.token(token)
    if rec is not None:
        if rec["revoked"]:
            raise ApiError(401, "token revoked", auth="invalid")
        if ctx.now >= rec["expires_at"]:
            raise ApiError(401, "token expired", auth="expired")
        if rec["tenant"] is not None and rec["tenant"] != cat.tenant:
            raise ApiError(401, "token of another tenant", auth="wrong_tenant")
        user_name = rec["user"]
    else:
        claims = jwt_verify(token, cat.jwt_secret)
        if claims is None:
            raise ApiError(401, "invalid token", auth="invalid")
        exp = numeric_date(claims.get("exp"))
        if exp is not None and ctx.client_now >= exp:
            raise ApiError(401, "token expired", auth="expired")
        if claims.get("tenant") != cat.tenant or claims.get("aud") != cat.tenant:
            raise ApiError(401, "token of another tenant", auth="wrong_tenant")
        user_name = claims.get("userName")
    user = cat.users.get(user_name) if isinstance(user_name, str) else None
    if user is None:
        raise ApiError(401, "token user no longer exists", auth="invalid")
    return user


def require(ctx, obj, what):
    """obj when it exists and the user may use it; else 404 / 403."""
    if obj is None:
        raise ApiError(404, "%s not found" % what)
    if not permitted(obj, ctx.user):
        raise ApiError(403, "permission denied", auth="forbidden")
    return obj


# --------------------------------------------------------------------------
# Multipart/form-data (RFC 7578), parsed here: the cgi module is deprecated.

def parse_multipart(content_type, body):
    """[(field name, filename or None, content type, bytes)]; ValueError when malformed."""
    header = email.message.Message()
    header["Content-Type"] = content_type or ""
    if header.get_content_type() != "multipart/form-data":
        raise ValueError("not multipart/form-data")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not 0 < len(boundary) <= 200:
        raise ValueError("missing or bad boundary")
    delim = b"--" + boundary.encode("latin-1", "replace")
    pos = body.find(delim)
    if pos < 0:
        raise ValueError("no boundary in body")
    parts = []
    while True:
        pos += len(delim)
        if body.startswith(b"--", pos):
            return parts
        eol = body.find(b"\r\n", pos)
        if eol < 0 or body[pos:eol].strip(b" \t"):
            raise ValueError("bad boundary line")
        end = body.find(b"\r\n" + delim, eol + 2)
        if end < 0:
            raise ValueError("unterminated part")
        parts.append(_parse_part(body[eol + 2:end]))
        pos = end + 2


def _parse_part(raw):
    if raw.startswith(b"\r\n"):
        head, data = b"", raw[2:]
    else:
        head, sep, data = raw.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("part without a header end")
    headers = email.parser.HeaderParser().parsestr(head.decode("utf-8", "replace") + "\r\n\r\n")
    if headers.get_content_disposition() != "form-data":
        raise ValueError("part is not form-data")
    name = headers.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise ValueError("part without a name")
    filename = headers.get_filename()
    if filename is not None:
        filename = re.split(r"[/\\]", filename)[-1]
    return name, filename, headers.get_content_type(), data


def save_uploads(ctx, fields):
    """Store every file part named one of fields; 400 when there is none."""
    try:
        parts = parse_multipart(ctx.headers.get("Content-Type"), ctx.body)
    except ValueError as e:
        raise ApiError(400, "bad multipart body: %s" % e) from None
    files = [p for p in parts if p[0] in fields]
    if not files:
        raise ApiError(400, "no file field (%s)" % " or ".join(fields))
    key = new_hex if ctx.dialect == "v7" else new_guid
    return [ctx.state.add_upload(key(), filename or "upload.bin", ctype, data, ctx.dialect,
                                 ctx.now)
            for _, filename, ctype, data in files]


# --------------------------------------------------------------------------
# Reports: filters, pages, CSV

def _order_key(value):
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, "" if value is None else str(value).casefold())


def _fold(value):
    return "" if value is None else str(value).casefold()


COMPARATORS = {
    "is": lambda cell, want: _fold(cell) == _fold(want),
    "isnot": lambda cell, want: _fold(cell) != _fold(want),
    "contains": lambda cell, want: _fold(want) in _fold(cell),
    "startswith": lambda cell, want: _fold(cell).startswith(_fold(want)),
    "greaterthan": lambda cell, want: _compare(cell, want) > 0,
    "lessthan": lambda cell, want: _compare(cell, want) < 0,
}


def _compare(a, b):
    ka, kb = _order_key(a), _order_key(b)
    if ka[0] != kb[0]:          # a number against text: compare as text
        ka, kb = (1, 0.0, _fold(a)), (1, 0.0, _fold(b))
    return (ka > kb) - (ka < kb)


def report_filter(report, column, comparison, value):
    """A (column index, test, value) triple; None when value is empty."""
    names = [c["name"] for c in report["columns"]]
    if column not in names:
        raise ApiError(400, "unknown filter field %r" % column)
    test = COMPARATORS.get(str(comparison or "Is").casefold())
    if test is None:
        raise ApiError(400, "unknown comparison %r" % comparison)
    if isinstance(value, (dict, list)):
        raise ApiError(400, "filter value must be a scalar")
    if value is None or str(value) == "":
        return None
    return names.index(column), test, value


def filters_from_grid(report, raw):
    """Filters in the v7 grid form [{field, data:{type,value,comparison}}],
    given as a list or as its JSON text."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise ApiError(400, "filters is not valid JSON") from None
    if not isinstance(raw, list):
        raise ApiError(400, "filters must be a list")
    out = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            raise ApiError(400, "each filter needs field and data")
        data = item["data"]
        f = report_filter(report, item.get("field"), data.get("comparison"), data.get("value"))
        if f is not None:
            out.append(f)
    return out


def filters_from_labels(report, raw):
    """Filters in the v8 run form [{label: <Expose>, value}]."""
    if not isinstance(raw, list):
        raise ApiError(400, "body must be a list of {label, value}")
    exposed = {f["Expose"]: f for f in report.get("exposed_filters", [])}
    out = []
    for item in raw:
        if not isinstance(item, dict) or item.get("label") not in exposed:
            raise ApiError(400, "unknown filter label %r" %
                           (item.get("label") if isinstance(item, dict) else item))
        ef = exposed[item["label"]]
        f = report_filter(report, ef["MappingVal"], ef.get("Operator"), item.get("value"))
        if f is not None:
            out.append(f)
    return out


def report_rows(report, filters):
    return [row for row in report.get("rows", [])
            if all(test(row[i], want) for i, test, want in filters)]


def report_page(report, filters, start, count, with_r=True):
    """{"total", "items"} with items keyed by column label."""
    rows = report_rows(report, filters)
    page = rows[start:] if count is None else rows[start:start + count]
    labels = [c["label"] for c in report["columns"]]
    items = []
    for n, row in enumerate(page, start + 1):
        item = {"r": n} if with_r else {}
        item.update(zip(labels, row))
        items.append(item)
    return {"total": len(rows), "items": items}


def csv_cell(value):
    text = "" if value is None else str(value)
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def report_csv(report, filters, start, count, bom):
    rows = report_rows(report, filters)
    rows = rows[start:] if count is None else rows[start:start + count]
    lines = [",".join(csv_cell(c["label"]) for c in report["columns"])]
    lines += [",".join(csv_cell(v) for v in row) for row in rows]
    body = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    return Response(200, (UTF8_BOM if bom else b"") + body, CSV_TYPE)


def exposed_filters(report):
    return [{"MappingVal": f["MappingVal"], "Expose": f["Expose"], "Value": None, "Text": None,
             "Operator": f.get("Operator", "Is"), "FieldType": f.get("FieldType", "textfield"),
             "Options": None} for f in report.get("exposed_filters", [])]


# --------------------------------------------------------------------------
# Token endpoints

def issue_opaque(ctx, flow, user, expires_at):
    token = new_hex()
    ctx.state.add_token(token, flow, user["userName"], ctx.now, expires_at)
    return token


def h_v7_impersonate(ctx):
    key, user_name = ctx.q("key"), ctx.q("user")
    if not key or not user_name:
        raise ApiError(400, "key and user are required")
    consumer = ctx.catalog.consumers.get(key)
    if consumer is None or not consumer.get("impersonate", False):
        raise ApiError(401, "unknown key or impersonation not allowed")
    user = ctx.catalog.users.get(user_name)
    if user is None:
        raise ApiError(401, "unknown user")
    expires_at = ctx.now + ctx.catalog.default_ttl
    if ctx.q("expires"):
        try:
            expires = float(ctx.q("expires"))
        except ValueError:
            raise ApiError(400, "expires must be epoch seconds") from None
        if not math.isfinite(expires) or expires <= ctx.client_now:
            raise ApiError(400, "expires must be in the future")
        expires_at = ctx.to_sim(expires)
    token = issue_opaque(ctx, "impersonate", user, expires_at)
    return json_response({"token": token, "token_type": "access", "key": key})


def grant_error(code, description):
    return ApiError(400, description, body={"error": code, "error_description": description})


def h_v7_oauth2_token(ctx):
    form = {k: v[0] for k, v in urllib.parse.parse_qs(
        ctx.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    if form.get("grant_type") != JWT_GRANT:
        raise grant_error("unsupported_grant_type", "grant_type must be " + JWT_GRANT)
    assertion = form.get("assertion", "")
    try:
        _, claims, _, _ = jwt_claims(assertion)
    except (ValueError, RecursionError):
        raise grant_error("invalid_grant", "assertion is not a JWT") from None
    consumer = ctx.catalog.consumers.get(claims.get("iss")) if isinstance(
        claims.get("iss"), str) else None
    if consumer is None:
        raise grant_error("invalid_grant", "unknown issuer")
    if jwt_verify(assertion, str(consumer.get("secret", ""))) is None:
        raise grant_error("invalid_grant", "bad signature")
    aud = "%s://%s/oauth2/token" % (ctx.scheme(), ctx.headers.get("Host", ""))
    if claims.get("aud") != aud:
        raise grant_error("invalid_grant", "aud must be " + aud)
    user = ctx.catalog.users.get(claims.get("sub")) if isinstance(claims.get("sub"), str) else None
    if user is None:
        raise grant_error("invalid_grant", "unknown subject")
    exp = numeric_date(claims.get("exp"))
    if "exp" in claims and exp is None:
        raise grant_error("invalid_grant", "exp must be a number")
    if exp is not None and exp <= ctx.client_now:
        raise grant_error("invalid_grant", "assertion expired")
    expires_at = ctx.to_sim(exp) if exp is not None else ctx.now + ctx.catalog.default_ttl
    token = issue_opaque(ctx, "oauth2", user, expires_at)
    return json_response({"access_token": token, "token_type": "Bearer",
                          "expires_in": int(expires_at - ctx.now)})


def parse_ttl(raw, default):
    """jwtExpiresIn: integer seconds or 30s / 10m / 1h / 5d."""
    if raw is None or raw == "":
        return default
    m = re.fullmatch(r"(\d{1,9})([smhd]?)", raw.strip())
    if m is None:
        raise ApiError(400, "jwtExpiresIn must be seconds or like 30s, 10m, 1h, 5d")
    return int(m.group(1)) * TTL_UNITS[m.group(2)]


def api_key(ctx, tenant, key):
    """The v8 API key record; 401 for a wrong tenant, unknown or expired key."""
    if tenant != ctx.catalog.tenant:
        raise ApiError(401, "unknown tenant")
    rec = ctx.catalog.api_keys.get(key)
    if rec is None:
        raise ApiError(401, "invalid api key")
    expires = rec.get("expires")
    if expires is not None and ctx.now >= expires:
        raise ApiError(401, "api key expired")
    return rec


def issue_jwt(ctx, user, ttl):
    """An HS256 JWT for user.  As node's jsonwebtoken does: iat is whole
    seconds and exp = iat + ttl, so the token lives between ttl - 1 and ttl
    seconds; ttl 0 gives a token that is already expired."""
    cat = ctx.catalog
    iat = int(ctx.client_now)
    exp = iat + ttl
    claims = {
        "contactGuid": user.get("contactSid"), "contactSid": user.get("contactSid"),
        "contactId": user.get("contactId"), "userName": user["userName"],
        "ntId": user.get("ntId"), "firstName": user.get("firstName"),
        "lastName": user.get("lastName"), "name": user_display_name(user),
        "email": user.get("email"), "tenant": cat.tenant, "iat": iat, "exp": exp,
        "aud": cat.tenant, "jti": new_hex(),
    }
    token = jwt_sign(claims, cat.jwt_secret)
    ctx.state.add_token(token, "apikey", user["userName"], ctx.now, ctx.to_sim(exp), cat.tenant)
    if cat.variants["v8_impersonate_body"] == "text":
        return text_response(token)
    return json_response({"token": token})


def h_v8_impersonate(ctx, tenant, key, user_name):
    rec = api_key(ctx, tenant, key)
    if rec.get("user") and rec["user"] != user_name:
        raise ApiError(401, "a personal key impersonates only its owner")
    user = ctx.catalog.users.get(user_name)
    if user is None:
        raise ApiError(404, "user not found")
    return issue_jwt(ctx, user, parse_ttl(ctx.q("jwtExpiresIn"), ctx.catalog.default_ttl))


def h_v8_impersonate_personal(ctx, tenant, key):
    rec = api_key(ctx, tenant, key)
    user = ctx.catalog.users.get(rec.get("user") or "")
    if user is None:
        raise ApiError(401, "not a personal key")
    return issue_jwt(ctx, user, parse_ttl(ctx.q("jwtExpiresIn"), ctx.catalog.default_ttl))


def h_v8_key_verify(ctx, tenant, key):
    api_key(ctx, tenant, key)
    return json_response({"valid": True})


def h_v8_isauthenticated(ctx):
    return json_response({"authenticated": True, "userName": ctx.user["userName"]})


def user_display_name(user):
    return " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p)


def h_v8_current_user(ctx):
    u = ctx.user
    return json_response({
        "userName": u["userName"], "contactSid": u.get("contactSid"),
        "contactGuid": u.get("contactSid"), "contactId": u.get("contactId"),
        "ntId": u.get("ntId"), "firstName": u.get("firstName"), "lastName": u.get("lastName"),
        "name": user_display_name(u), "email": u.get("email")})


# --------------------------------------------------------------------------
# Processes and forms

def visible_processes(ctx, search=""):
    needle = search.casefold()
    return [p for p in ctx.catalog.processes.values()
            if permitted(p, ctx.user) and needle in p["name"].casefold()]


def h_v7_processes(ctx):
    return json_response([{"SID": p["sid"], "Name": p["name"], "Category": p.get("category"),
                           "PublishStatus": p.get("publish_status", "Production")}
                          for p in visible_processes(ctx)])


def h_v8_process_search(ctx):
    return json_response([{"sid": p["sid"], "name": p["name"], "categoryName": p.get("category")}
                          for p in visible_processes(ctx, ctx.q("search", ""))])


def h_v8_first_tasks(ctx, sid):
    process = require(ctx, ctx.catalog.processes.get(sid), "process")
    task = process["first_task"]
    kind = "dataContainer" if task["type"] == "datacontainer" else "form"
    return json_response([{"sid": task["sid"], "name": task.get("name"), "taskType": kind,
                           "formSid": task.get("form_sid")}])


def h_v8_form_questions(ctx, form_sid):
    task = ctx.catalog.forms.get(form_sid)
    if task is None:
        raise ApiError(404, "form not found")
    require(ctx, ctx.catalog.tasks[task["sid"]], "process")
    out = []
    for f in task.get("fields", []):
        q = {"id": f["key"], "show": True, "type": f.get("question_type", "ShortText"),
             "label": f.get("label"), "validation": {"required": bool(f.get("required"))},
             "displayName": f.get("label"), "ClientID": f.get("client_id")}
        if "options" in f:
            q["options"] = f["options"]
        out.append(q)
    return json_response(out)


# --------------------------------------------------------------------------
# Instances: start, list, values

VALUE_TYPES = {"numeric": "numeric", "date": "date"}   # everything else is a string


def check_value(field, value):
    """400 unless value fits the field's type (values are stored as received)."""
    kind = VALUE_TYPES.get(field.get("type"), "string")
    if value is None:
        return
    if isinstance(value, (dict, list)):
        raise ApiError(400, "value of %s must be a scalar" % field["key"])
    if kind == "numeric":
        try:
            ok = not isinstance(value, bool) and math.isfinite(float(value))
        except ValueError:
            ok = False
        if not ok:
            raise ApiError(400, "value of %s must be numeric" % field["key"])
    elif kind == "date":
        if not isinstance(value, str) or not re.fullmatch(
                r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?", value.strip()):
            raise ApiError(400, "value of %s must be a date (YYYY-MM-DD)" % field["key"])


def start_instance(ctx, process, name, with_data=False):
    """A new instance of process (after the 404/403 checks).  Started without
    data, a data-container first task stays open for the data-container calls."""
    require(ctx, process, "process")
    open_task = not with_data and process["first_task"]["type"] == "datacontainer"
    return ctx.state.add_instance(process, name or process["name"], ctx.dialect, ctx.user,
                                  ctx.now, open_task)


def v7_start_name(ctx):
    """The name a v7 start's body gives, when the v7_request_name variant
    takes one; the body is otherwise ignored, as documented."""
    if ctx.catalog.variants["v7_request_name"] != "yes":
        return None
    try:
        body = json.loads(ctx.body.decode("utf-8")) if ctx.body else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    name = body.get("name") if isinstance(body, dict) else None
    return name if isinstance(name, str) and name else None


def h_v7_start(ctx, process_sid):
    inst = start_instance(ctx, ctx.catalog.processes.get(process_sid), v7_start_name(ctx))
    shape = ctx.catalog.variants["v7_start_shape"]
    doc = {"request": {"sid": inst["sid"], "id": str(inst["id"]), "name": inst["name"],
                       "startdate": iso(inst["started_at"]), "lastmilestone": "Started",
                       "lastmilestonedate": iso(inst["started_at"])}}
    if shape == "SID":
        return json_response({"SID": inst["sid"]})
    if shape == "both":
        doc["SID"] = inst["sid"]
    return json_response(doc)


def h_v8_start(ctx, process_sid):
    ctx.json_body(None)               # may be empty; must be JSON when not
    inst = start_instance(ctx, ctx.catalog.processes.get(process_sid), ctx.q("requestName"))
    return json_response({"sid": inst["sid"], "id": inst["id"], "name": inst["name"],
                          "startDate": iso(inst["started_at"]), "lastMilestone": "Started"})


def question_values(ctx, task):
    """(request name, {key: value}) from a power-form body; 400 on a bad body,
    an unknown key, or (when enforced) a missing required field."""
    body = ctx.json_body({})
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    questions = body.get("questions", [])
    if not isinstance(questions, list):
        raise ApiError(400, "questions must be a list")
    fields = {f["key"]: f for f in task.get("fields", [])}
    values = {}
    for q in questions:
        if not isinstance(q, dict) or not isinstance(q.get("key"), str):
            raise ApiError(400, "each question needs a string key")
        field = fields.get(q["key"])
        if field is None:
            raise ApiError(400, "unknown question key %r" % q["key"])
        check_value(field, q.get("value"))
        values[q["key"]] = q.get("value")
    if ctx.catalog.enforce_required and not body.get("isDraft"):
        missing = [f["key"] for f in fields.values()
                   if f.get("required") and values.get(f["key"]) in (None, "")]
        if missing:
            raise ApiError(400, "required question(s) missing: " + ", ".join(missing))
    name = body.get("request_name")
    return (name if isinstance(name, str) and name else None), values


def started_with_data(ctx, process, inst):
    """Validate the power-form body against the first task, start (or
    continue) the instance and store the values."""
    name, values = question_values(ctx, process["first_task"])
    if inst is None:
        inst = start_instance(ctx, process, ctx.q("requestName") or name, with_data=True)
    ctx.state.store_values(inst, values, close_tasks=True)
    return json_response({"instance_sid": inst["sid"], "sid": inst["sid"], "id": inst["id"],
                          "nextTasks": []})


def h_v8_start_with_task(ctx, process_sid, task_sid):
    process = require(ctx, ctx.catalog.processes.get(process_sid), "process")
    if process["first_task"]["sid"] != task_sid:
        raise ApiError(404, "task not found")
    return started_with_data(ctx, process, None)


def h_v8_power_form(ctx, rt_sid, base_task_sid):
    process = ctx.catalog.tasks.get(base_task_sid)
    if process is None:
        process = ctx.catalog.processes.get(ctx.q("process_sid", ""))
    require(ctx, process, "process")
    inst = None
    if ctx.q("instance_sid"):
        inst = ctx.state.instance(ctx.q("instance_sid"))
        if inst is None or inst["process_sid"] != process["sid"]:
            raise ApiError(404, "instance not found")
    return started_with_data(ctx, process, inst)


def own_instances(ctx, process_sid=None, search=""):
    needle = search.casefold()
    return [i for i in ctx.state.instances_of(ctx.user["userName"])
            if (not process_sid or i["process_sid"] == process_sid)
            and needle in i["name"].casefold()]


SORT_KEYS = {"createddate": "started_at", "startdate": "started_at", "name": "name",
             "id": "id", "sid": "sid"}


def sort_page(ctx, items, default_count):
    """(total, page) after the sort, dir, start and count query parameters."""
    key = SORT_KEYS.get(ctx.q("sort", "CreatedDate").casefold(), "started_at")
    items = sorted(items, key=lambda i: i[key], reverse=ctx.q("dir", "DESC").upper() != "ASC")
    start = ctx.q_int("start", 0)
    return len(items), items[start:start + ctx.q_int("count", default_count)], start


def pascal(key):
    """instance_sid -> InstanceSid, processSid -> ProcessSid, id -> Id."""
    return "".join(p[:1].upper() + p[1:] for p in key.split("_"))


def shaped_list(ctx, total, items):
    """A request list as the instance_list_* variants say."""
    v = ctx.catalog.variants
    out = []
    for item in items:
        item = dict(item)
        if v["instance_list_ids"] == "string" and isinstance(item.get("id"), int):
            item["id"] = str(item["id"])
        if v["instance_list_sid"] == "no":
            for k in ("sid", "id"):
                item.pop(k, None)
        if v["instance_list_extra"] == "yes":
            item["links"] = [{"rel": "self", "href": "/api/instance/" + item.get("sid", "?")}]
            item["metadata"] = {"tags": ["intake"], "priority": None, "score": 1.5}
            item["tasks"] = [{"sid": "task-" + str(uuid.uuid4()), "name": "Approve"}]
        if v["instance_list_shape"] == "pascal":
            item = {pascal(k): val for k, val in item.items()}
        out.append(item)
    shape = v["instance_list_shape"]
    if shape == "bare":
        return json_response(out)
    if shape == "pascal":
        return json_response({"Total": total, "Items": out})
    if shape == "wrapped":
        return json_response({"total": total, "payload": {"entries": out}})
    return json_response({"total": total, "items": out})


def h_v7_mine(ctx):
    """search= (instance name contains, case-insensitive) is a stand-in
    extension borrowed from the v8 list; Integrify may not have it on v7."""
    status = ctx.q("status", "all").lower()
    items = [] if status == "completed" else own_instances(ctx, ctx.q("process_sid"),
                                                           ctx.q("search", ""))
    total, page, start = sort_page(ctx, items, 15)
    out = []
    for n, i in enumerate(page, start + 1):
        p = ctx.catalog.processes.get(i["process_sid"], {})
        out.append({"r": n, "sid": i["sid"], "id": i["id"], "name": i["name"],
                    "process_id": p.get("id"), "process_sid": i["process_sid"],
                    "process_name": p.get("name"),
                    "publish_status": p.get("publish_status", "Production"),
                    "last_milestone": "Started", "last_milestone_date": iso(i["started_at"]),
                    "state": "Started"})
    return shaped_list(ctx, total, out)


def v8_instance(ctx, inst):
    p = ctx.catalog.processes.get(inst["process_sid"], {})
    return {"sid": inst["sid"], "id": inst["id"], "name": inst["name"],
            "processSid": inst["process_sid"], "processName": p.get("name"),
            "startDate": iso(inst["started_at"]), "lastMilestone": "Started", "status": "Active"}


def h_v8_instance_list(ctx, permission_type):
    if ctx.catalog.variants["instance_search"] == "no":
        raise ApiError(404, "no such endpoint")
    total, page, _ = sort_page(ctx, own_instances(ctx, search=ctx.q("search", "")), 25)
    return shaped_list(ctx, total, [v8_instance(ctx, i) for i in page])


def visible_instance(ctx, sid):
    inst = ctx.state.instance(sid)
    if inst is None:
        raise ApiError(404, "instance not found")
    require(ctx, ctx.catalog.processes.get(inst["process_sid"]), "process")
    return inst


def h_v8_instance(ctx, sid):
    inst = visible_instance(ctx, sid)
    doc = v8_instance(ctx, inst)
    doc["values"] = dict(inst["values"])
    doc["files"] = v8_file_list(inst)
    return json_response(doc)


# --------------------------------------------------------------------------
# Data container tasks (v7 rows 8-10, v8 row 12)

V7_DC_PATH = "/tasktypes/data-container/instances/tasks/reciptasks/"
V8_DC_PATH = "/api/instance/tasktypes/dataContainer/"


def dc_endpoints(ctx, instance_sid, instance_id, task_name, pattern):
    """Endpoint paths of active data-container tasks, filtered."""
    base, name_param = (V7_DC_PATH, "task_name") if ctx.dialect == "v7" else (V8_DC_PATH,
                                                                              "taskName")
    out = []
    for inst, task in ctx.state.active_tasks():
        name = task["task"].get("name") or ""
        if instance_sid and inst["sid"] != instance_sid:
            continue
        if instance_id and str(inst["id"]) != instance_id:
            continue
        if task_name and name != task_name:
            continue
        if pattern and pattern.casefold() not in name.casefold():
            continue
        out.append(base + task["sid"] + "?" + urllib.parse.urlencode({name_param: name}))
    return json_response({"endpoints": out})


def h_v7_dc_list(ctx):
    return dc_endpoints(ctx, ctx.q("instance_sid"), ctx.q("instance_id"), ctx.q("task_name"),
                        None)


def h_v8_dc_list(ctx):
    return dc_endpoints(ctx, ctx.q("instanceSid"), ctx.q("instanceId"), ctx.q("taskName"),
                        ctx.q("taskNamePattern"))


def active_dc(ctx, rt_sid):
    found = ctx.state.active_task(rt_sid)
    if found is None:
        raise ApiError(404, "no active data container task %s" % rt_sid)
    require(ctx, ctx.catalog.processes.get(found[0]["process_sid"]), "process")
    return found


def h_dc_get(ctx, rt_sid):
    _, task = active_dc(ctx, rt_sid)
    return json_response({"field_configuration": [
        {"key": f["key"], "value_type": VALUE_TYPES.get(f.get("type"), "string")}
        for f in task["task"].get("fields", [])]})


def h_dc_post(ctx, rt_sid):
    inst, task = active_dc(ctx, rt_sid)
    body = ctx.json_body(None)
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    fields = {f["key"]: f for f in task["task"].get("fields", [])}
    values = {k: v for k, v in body.items() if k in fields}
    for key, value in values.items():
        check_value(fields[key], value)
    ctx.state.store_values(inst, values, close_tasks=not ctx.q_bool("saveOnly"))
    return json_response({"success": True})


# --------------------------------------------------------------------------
# Files

def h_v7_upload(ctx):
    return json_response([{"file": u["key"], "name": u["name"], "size": u["size"]}
                          for u in save_uploads(ctx, ("file",))])


def h_v8_upload(ctx, tenant):
    if tenant != ctx.catalog.tenant:
        raise ApiError(404, "unknown tenant")
    return json_response([{"sid": u["key"], "originalFilename": u["name"], "size": u["size"]}
                          for u in save_uploads(ctx, ("file", "file-upload"))])


def h_v7_instance_files(ctx, instance_sid):
    inst = visible_instance(ctx, instance_sid)
    return json_response([{"FileKey": f["key"], "FileName": f["name"],
                           "CreatedDate": iso(f["uploaded_at"]),
                           "StreamEndpoint": "/files/stream/" + f["key"]}
                          for f in inst["files"]])


def v8_file_list(inst):
    return [{"sid": f["key"], "fileName": f["name"], "createdDate": iso(f["uploaded_at"]),
             "downloadLink": "/api/files/%s/download" % f["key"]} for f in inst["files"]]


def h_v8_instance_files(ctx, sid):
    return json_response(v8_file_list(visible_instance(ctx, sid)))


def h_file_download(ctx, key):
    up = ctx.state.upload(key)
    if up is None:
        raise ApiError(404, "file not found")
    disposition = "attachment; filename*=UTF-8''" + urllib.parse.quote(up["name"])
    return Response(200, up["data"], up["content_type"],
                    [("Content-Disposition", disposition)])


# --------------------------------------------------------------------------
# Reports

def visible_report(ctx, sid):
    return require(ctx, ctx.catalog.reports.get(sid), "report")


def h_report_filters(ctx, sid):
    return json_response(exposed_filters(visible_report(ctx, sid)))


def run_shaped(ctx, page):
    """A report run's page as the report_run_shape variant says."""
    shape = ctx.catalog.variants["report_run_shape"]
    if shape == "bare":
        return json_response(page["items"])
    if shape == "Items":
        return json_response({"Total": page["total"], "Items": page["items"]})
    if shape == "rows":
        return json_response({"total": page["total"], "rows": page["items"]})
    return json_response(page)


def h_v7_report_run(ctx, sid):
    report = visible_report(ctx, sid)
    body = ctx.json_body({})
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    filters = filters_from_grid(report, body.get("filters"))
    limit = parse_int(body["limit"], "limit", 1) if body.get("limit") is not None else None
    if body.get("start") is not None:
        start = parse_int(body["start"], "start")
    elif body.get("page") is not None and limit is not None:
        start = (parse_int(body["page"], "page", 1) - 1) * limit
    else:
        start = 0
    return run_shaped(ctx, report_page(report, filters, start, limit))


def h_v7_report_csv(ctx, sid):
    report = visible_report(ctx, sid)
    return report_csv(report, filters_from_grid(report, ctx.q("filters")), 0, None, bom=False)


def h_v8_report_search(ctx):
    needle = ctx.q("search", "").casefold()
    return json_response([{"sid": r["sid"], "name": r["name"], "categoryName": r.get("category")}
                          for r in ctx.catalog.reports.values()
                          if permitted(r, ctx.user) and needle in r["name"].casefold()])


def h_v8_core_csv(ctx, sid):
    report = visible_report(ctx, sid)
    return report_csv(report, filters_from_grid(report, ctx.q("filters")), ctx.q_int("start", 0),
                      None, bom=True)


def h_v8_report_run_get(ctx, sid):
    report = visible_report(ctx, sid)
    return run_shaped(ctx, report_page(report, [], ctx.q_int("start", 0),
                                       ctx.q_int("limit", None, 1)))


def h_v8_report_run_post(ctx, sid):
    report = visible_report(ctx, sid)
    filters = filters_from_labels(report, ctx.json_body([]))
    return run_shaped(ctx, report_page(report, filters, ctx.q_int("start", 0),
                                       ctx.q_int("limit", None, 1)))


def h_v8_report_export(ctx, sid, kind):
    report = visible_report(ctx, sid)
    filters = filters_from_grid(report, ctx.q("filters"))
    start, count = ctx.q_int("start", 0), ctx.q_int("count", None, 1)
    if kind == "csv":
        return report_csv(report, filters, start, count, bom=True)
    if kind == "json":
        page = report_page(report, filters, start, count, with_r=not ctx.q_bool("skipRColumn"))
        return json_response(page["items"])
    raise ApiError(404, "unknown export type %r" % kind)


# --------------------------------------------------------------------------
# Routing table.  Routes marked "auth" need a valid token; the others are
# the token endpoints (see is_token_path).  v8 routes answer only on the
# tenant host.

class Route:
    def __init__(self, method, pattern, dialect, access, handler):
        self.method = method
        self.regex = re.compile(pattern)
        self.dialect = dialect
        self.needs_auth = access == "auth"
        self.handler = handler


SID = r"([^/]+)"
ROUTES = [
    # v7 (legacy) API
    Route("GET", r"/access/impersonate", "v7", "token", h_v7_impersonate),
    Route("POST", r"/oauth2/token", "v7", "token", h_v7_oauth2_token),
    Route("GET", r"/processes", "v7", "auth", h_v7_processes),
    Route("POST", r"/instances/%s/start" % SID, "v7", "auth", h_v7_start),
    Route("GET", r"/instances/mine", "v7", "auth", h_v7_mine),
    Route("GET", r"/tasktypes/data-container/endpoints", "v7", "auth", h_v7_dc_list),
    Route("GET", V7_DC_PATH + SID, "v7", "auth", h_dc_get),
    Route("POST", V7_DC_PATH + SID, "v7", "auth", h_dc_post),
    Route("POST", r"/files/upload/?", "v7", "auth", h_v7_upload),
    Route("GET", r"/files/instancelist/%s" % SID, "v7", "auth", h_v7_instance_files),
    Route("GET", r"/files/stream/%s" % SID, "v7", "auth", h_file_download),
    Route("GET", r"/reports/%s/filters" % SID, "v7", "auth", h_report_filters),
    Route("POST", r"/reports/%s" % SID, "v7", "auth", h_v7_report_run),
    Route("GET", r"/reports/%s/tofile/csv" % SID, "v7", "auth", h_v7_report_csv),
    # v8 API
    Route("GET", r"/api/auth/apikey/%s/%s/impersonate/%s" % (SID, SID, SID), "v8", "token",
          h_v8_impersonate),
    Route("GET", r"/api/auth/apikey/%s/%s/impersonate" % (SID, SID), "v8", "token",
          h_v8_impersonate_personal),
    Route("GET", r"/api/auth/apikey/%s/%s/verify" % (SID, SID), "v8", "token", h_v8_key_verify),
    Route("GET", r"/api/auth/jwt/isauthenticated", "v8", "auth", h_v8_isauthenticated),
    Route("GET", r"/api/user/current", "v8", "auth", h_v8_current_user),
    Route("GET", r"/api/processes/search", "v8", "auth", h_v8_process_search),
    Route("GET", r"/api/processes/%s/firstTasks" % SID, "v8", "auth", h_v8_first_tasks),
    Route("GET", r"/api/forms/%s/questions" % SID, "v8", "auth", h_v8_form_questions),
    Route("POST", r"/api/instance/start/%s" % SID, "v8", "auth", h_v8_start),
    Route("POST", r"/api/instance/start/%s/%s" % (SID, SID), "v8", "auth", h_v8_start_with_task),
    Route("POST", r"/workflow/napi/tasktypes/%s/power-form/runtime/%s" % (SID, SID), "v8", "auth",
          h_v8_power_form),
    Route("GET", r"/api/instance/list/%s" % SID, "v8", "auth", h_v8_instance_list),
    Route("GET", r"/api/instance/tasktypes/dataContainer/endpoints/list", "v8", "auth",
          h_v8_dc_list),
    Route("GET", V8_DC_PATH + SID, "v8", "auth", h_dc_get),
    Route("POST", V8_DC_PATH + SID, "v8", "auth", h_dc_post),
    Route("GET", r"/api/instance/%s/files" % SID, "v8", "auth", h_v8_instance_files),
    Route("GET", r"/api/instance/%s" % SID, "v8", "auth", h_v8_instance),
    Route("POST", r"/api/files/temp/%s/upload" % SID, "v8", "auth", h_v8_upload),
    Route("GET", r"/api/files/%s/download" % SID, "v8", "auth", h_file_download),
    Route("GET", r"/api/reports/search", "v8", "auth", h_v8_report_search),
    Route("GET", r"/api/reports/%s/filters" % SID, "v8", "auth", h_report_filters),
    Route("GET", r"/core-service/reports/%s/export/csv_utf8" % SID, "v8", "auth", h_v8_core_csv),
    Route("GET", r"/api/reports/%s/run" % SID, "v8", "auth", h_v8_report_run_get),
    Route("POST", r"/api/reports/%s/run" % SID, "v8", "auth", h_v8_report_run_post),
    Route("GET", r"/api/reports/%s/export/data/%s" % (SID, SID), "v8", "auth", h_v8_report_export),
]


def find_route(method, path):
    """(route, unquoted path groups); (None, None) when no route has the
    path; (None, allowed methods) when the method is wrong."""
    allowed = []
    for route in ROUTES:
        m = route.regex.fullmatch(path)
        if m is None:
            continue
        if route.method == method:
            return route, [urllib.parse.unquote(g) for g in m.groups()]
        allowed.append(route.method)
    return None, (allowed or None)


# --------------------------------------------------------------------------
# Error bodies per dialect

def error_response(ctx, err):
    status = err.status
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    if err.body is not None:
        return json_response(err.body, status)
    if ctx.dialect == "v8":
        if err.auth == "expired" and ctx.catalog.variants["v8_expired_body"] == "text":
            return text_response("expired token", status)
        doc = {"status": status, "message": reason}
        if err.auth in AUTH_FAILURES:
            doc["description"] = "expired token" if err.auth == "expired" else "invalid token"
        elif err.description:
            doc["description"] = err.description
        return json_response(doc, status)
    if err.auth in AUTH_FAILURES:
        return json_response({"error": "invalid_token", "message": "Invalid or expired token"},
                             status)
    return json_response({"error": reason.lower().replace(" ", "_"),
                          "message": err.description or reason}, status)


def fail_response(ctx, fault):
    status = fault["status"]
    if fault["body"] is not None:
        resp = text_response(fault["body"], status)
    else:
        resp = error_response(ctx, ApiError(status, "injected failure"))
    if status in (429, 503) and fault["retry_after"] is not None:
        resp.headers.append(("Retry-After", fault["retry_after"]))
    return resp


# --------------------------------------------------------------------------
# The simulator: API dispatch with faults and call log, and /__sim/ control.

class NotProcessed(Exception):
    """Close the connection without processing the request (drop-before, or
    the stand-in is shutting down)."""


class Simulator:
    def __init__(self, config):
        self.catalog = Catalog(config)
        self.state = SimState()
        self.config_lock = threading.Lock()
        self.gate = threading.Condition()   # guards in_flight and closing
        self.in_flight = 0
        self.closing = False

    # requests in progress, so that the final save on exit includes them all

    def enter(self):
        """Count a request in; False once the stand-in is shutting down."""
        with self.gate:
            if self.closing:
                return False
            self.in_flight += 1
            return True

    def leave(self):
        with self.gate:
            self.in_flight -= 1
            self.gate.notify_all()

    def drain(self, timeout):
        """Refuse new requests, then wait up to timeout s for those in
        progress; whether they all finished."""
        deadline = time.monotonic() + timeout
        with self.gate:
            self.closing = True
            while self.in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.gate.wait(left)
        return True

    def handle(self, method, target, headers, body, body_error):
        """(Response, drop): drop means close the connection without answering."""
        split = urllib.parse.urlsplit(target)
        path = split.path or "/"
        if path.startswith("/__sim/"):
            return self.control(method, path, split.query, body), False
        ctx = Ctx(self.state, self.catalog, method, path, split.query, headers, body,
                  self.state.clocks())
        processed = True
        try:
            resp = self.api(ctx, body_error)
        except NotProcessed:
            resp, processed = None, False
        except ApiError as e:
            if e.auth is not None:
                ctx.auth = e.auth
            resp = error_response(ctx, e)
        except Exception:            # a bug here must not reach the client as a traceback
            traceback.print_exc(file=sys.stderr)
            resp = error_response(ctx, ApiError(500, "internal error in the stand-in"))
        drop = not processed or self.state.take_fault("drop", path) is not None
        self.state.log_call({"t": ctx.now, "method": method, "path": path,
                             "query": split.query, "status": 0 if drop else resp.status,
                             "auth": ctx.auth, "token": ctx.token})
        return resp, drop

    def api(self, ctx, body_error):
        """The answer to one API request.  Faults apply in this order: slow,
        drop-before, refuse-token, fail; drop is applied by handle after."""
        if body_error is not None:
            raise ApiError(*body_error)
        slow = self.state.take_fault("slow", ctx.path)
        if slow is not None:
            time.sleep(slow["ms"] / 1000.0)
        if self.closing or self.state.take_fault("drop-before", ctx.path) is not None:
            raise NotProcessed()
        token_path = is_token_path(ctx.path)
        if token_path:
            ctx.auth = "token_endpoint"
            if self.state.take_fault("refuse-token", ctx.path) is not None:
                raise ApiError(401, "token refused (injected)")
        fail = self.state.take_fault("fail", ctx.path)
        if fail is not None:
            return fail_response(ctx, fail)
        route, groups = find_route(ctx.method, ctx.path)
        if route is None:
            if groups is not None:
                raise ApiError(405, "method not allowed; use " + ", ".join(groups))
            raise ApiError(404, "no such endpoint")
        ctx.dialect = route.dialect
        if route.dialect == "v8" and not ctx.catalog.host_ok(ctx.headers.get("Host")):
            raise ApiError(404, "unknown host")
        if route.needs_auth:
            ctx.user = authenticate(ctx)
            ctx.auth = "ok"
        return route.handler(ctx, *groups)

    # control endpoints (no auth, not logged, not subject to faults)

    def control(self, method, path, raw_query, body):
        query = {k: v[0] for k, v in
                 urllib.parse.parse_qs(raw_query, keep_blank_values=True).items()}
        handler = CONTROL.get((method, path))
        if handler is None:
            return json_response({"error": "unknown control endpoint %s %s" % (method, path)}, 404)
        try:
            return handler(self, query, body)
        except (ValueError, TypeError, KeyError, ConfigError) as e:
            return json_response({"error": str(e)}, 400)
        except Exception:           # as for the API: a bug answers 500, never a traceback
            traceback.print_exc(file=sys.stderr)
            return json_response({"error": "internal error in the stand-in"}, 500)

    def c_reset(self, query, body):
        self.state.reset()
        return json_response({"ok": True})

    def c_state(self, query, body):
        since = int(query.get("since") or 0)
        if since < 0:
            raise ValueError("since must be at least 0")
        return json_response(self.state.snapshot(since))

    def c_clock(self, query, body):
        advance = float(query.get("advance", "nan"))
        if not math.isfinite(advance):
            raise ValueError("advance=SECONDS is required")
        offset = self.state.advance(advance)
        return json_response({"clock_offset": offset, "now": self.state.now()})

    def c_instances(self, query, body):
        since = int(query.get("since") or 0)
        if since < 0:
            raise ValueError("since must be at least 0")
        return json_response(self.state.instance_list(since))

    def c_fail_next(self, query, body):
        status = int(query.get("status", "503"))
        if not 100 <= status <= 599:
            raise ValueError("status must be 100..599")
        count, until = fault_window(query, 1)
        self.state.add_fault({"mode": "fail", "status": status, "count": count, "until": until,
                              "path": query.get("path") or None,
                              "retry_after": query.get("retry_after") or None,
                              "body": query.get("body")})
        return json_response({"ok": True})

    def c_revoke(self, query, body):
        return json_response({"revoked": self.state.revoke_all()})

    def c_fault(self, query, body):
        mode = query.get("mode")
        if mode == "clear":
            self.state.clear_faults()
            return json_response({"ok": True})
        if mode not in FAULT_COUNTS:
            raise ValueError("mode must be %s or clear" % ", ".join(FAULT_COUNTS))
        count, until = fault_window(query, FAULT_COUNTS[mode])
        fault = {"mode": mode, "path": query.get("path") or None, "count": count,
                 "until": until, "ms": float(query.get("ms", "0"))}
        if mode == "slow" and not 0 <= fault["ms"] <= 600000:
            raise ValueError("ms must be 0..600000")
        self.state.add_fault(fault)
        return json_response({"ok": True})

    def c_config_get(self, query, body):
        return json_response(self.catalog.cfg)

    def c_config_post(self, query, body):
        try:
            change = json.loads(body or b"null")
        except (ValueError, RecursionError):
            raise ValueError("body is not valid JSON") from None
        if not isinstance(change, dict):
            raise ValueError("body must be a JSON object")
        with self.config_lock:
            self.catalog = Catalog(merge_config(self.catalog.cfg, change))
        return json_response({"ok": True, "variants": self.catalog.variants})


def positive(raw):
    value = int(raw)
    if value < 1:
        raise ValueError("count must be at least 1")
    return value


def fault_window(query, default_count):
    """(count, until) of a new fault.  With seconds=S the fault stays armed
    for S seconds of monotonic time and count, unless given, is unlimited;
    without it, count defaults to default_count (None = until cleared)."""
    until = None
    if query.get("seconds"):
        seconds = float(query["seconds"])
        if not 0 < seconds <= MAX_FAULT_SECONDS:      # also refuses nan
            raise ValueError("seconds must be more than 0 and at most %d" % MAX_FAULT_SECONDS)
        until, default_count = time.monotonic() + seconds, None
    count = query.get("count")
    return (positive(count) if count else default_count), until


def c_connections(sim, query, body):
    """GET /__sim/connections: the server's ConnStats (main sets sim.conn_stats)."""
    stats = getattr(sim, "conn_stats", None) or ConnStats()
    return json_response(stats.snapshot())


CONTROL = {
    ("POST", "/__sim/reset"): Simulator.c_reset,
    ("GET", "/__sim/state"): Simulator.c_state,
    ("GET", "/__sim/instances"): Simulator.c_instances,
    ("POST", "/__sim/clock"): Simulator.c_clock,
    ("POST", "/__sim/fail-next"): Simulator.c_fail_next,
    ("POST", "/__sim/revoke"): Simulator.c_revoke,
    ("POST", "/__sim/fault"): Simulator.c_fault,
    ("GET", "/__sim/config"): Simulator.c_config_get,
    ("POST", "/__sim/config"): Simulator.c_config_post,
    ("GET", "/__sim/connections"): c_connections,
}


# --------------------------------------------------------------------------
# --state-file: the simulated state on disk, so that it survives a restart.

class StateFile:
    """Loaded at start when the file exists, then written at once (so that an
    unwritable path is a startup error).  Saved atomically (temporary file,
    fsync, rename, fsync of the directory) by a background thread at most
    once per SAVE_INTERVAL when something changed, and once more on exit.  The state is copied under the SimState lock and encoded and
    written outside it; self.lock keeps the writers apart."""

    def __init__(self, path, state):
        self.path = path
        self.state = state
        self.lock = threading.Lock()
        self.saved = None             # change count last written
        self.encoded = {}             # (key, sha256) -> the upload's JSON, bytes as base64
        self.last_error = None

    def open(self):
        """load, then a first save; ConfigError when either fails."""
        self.load()
        try:
            self.save(force=True)
        except OSError as e:
            raise ConfigError("cannot write state file %s: %s" % (self.path, e)) from None

    def load(self):
        """Restore the state from the file; False when there is none.
        ConfigError when it cannot be read or is not a usable state document."""
        try:
            with open(self.path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return False
        except OSError as e:
            raise ConfigError("state file %s: %s" % (self.path, e.strerror or e)) from None
        try:
            self.state.restore(json.loads(raw))
        except json.JSONDecodeError as e:
            raise ConfigError("state file %s is corrupt: not JSON (%s)" % (self.path, e)) from None
        except KeyError as e:
            raise ConfigError("state file %s is corrupt: missing %s" % (self.path, e)) from None
        except (ValueError, TypeError, AttributeError, RecursionError) as e:
            raise ConfigError("state file %s is corrupt: %s" % (self.path, e)) from None
        self.saved = self.state.changes
        return True

    def save(self, force=False):
        """Write the state unless unchanged since the last write (or force)."""
        with self.lock:
            changes, doc = self.state.export()
            if changes == self.saved and not force:
                return
            uploads = self.encode(doc.pop("uploads"))
            head = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            raw = head[:-1] + b',"uploads":[' + b",".join(uploads) + b"]}"
            tmp = self.path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            fsync_dir(os.path.dirname(os.path.abspath(self.path)))
            self.saved = changes

    def encode(self, uploads):
        """Each upload as JSON (UTF-8) with its bytes as base64.  Uploads never
        change, so the encodings of the last save are reused: big files are
        not encoded again each second.  Those gone (a reset) leave the cache."""
        known, self.encoded = self.encoded, {}
        for upload in uploads:
            ident = (upload["key"], upload["sha256"])
            if ident not in known:
                rec = dict(upload, data=base64.b64encode(upload["data"]).decode("ascii"))
                known[ident] = json.dumps(rec, ensure_ascii=False,
                                          separators=(",", ":")).encode("utf-8")
            self.encoded[ident] = known[ident]
        return list(self.encoded.values())

    def try_save(self, force=False):
        """save, reporting a failure on stderr (once until it changes); whether it worked."""
        try:
            self.save(force)
        except OSError as e:
            problem = "cannot save state file %s: %s" % (self.path, e)
            if problem != self.last_error:
                print("standin: " + problem, file=sys.stderr, flush=True)
            self.last_error = problem
            return False
        self.last_error = None
        return True

    def run(self, stop):
        """The background saver: until stop is set."""
        while not stop.wait(SAVE_INTERVAL):
            self.try_save()


def fsync_dir(path):
    """Make a rename in path durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# HTTP server

class BodyError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IntegrifyStandin/1.0"
    disable_nagle_algorithm = True
    timeout = 300                     # idle keep-alive connections end eventually

    def do_any(self):
        body_error = None
        try:
            body = self.read_body()
        except BodyError as e:
            body, body_error = b"", (e.status, str(e))
            self.close_connection = True      # the unread body makes the stream unusable
        sim = self.server.sim
        if not sim.enter():                   # shutting down: no new work after the final save
            self.close_connection = True
            return
        self.server.conns.request(self, self.command, self.path)
        try:
            resp, drop = sim.handle(self.command, self.path, self.headers, body, body_error)
        finally:
            sim.leave()
        if drop:
            self.close_connection = True
            return
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_any

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not raw.strip().isdigit():
            raise BodyError(400, "bad Content-Length")
        length = int(raw)
        if length > MAX_BODY:
            raise BodyError(413, "body larger than 25 MB")
        return self.rfile.read(length)

    def read_chunked(self):
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise BodyError(400, "bad chunk size") from None
            if size == 0:
                while self.rfile.readline(8192).strip():
                    pass                       # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise BodyError(413, "body larger than 25 MB")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)


class ConnStats:
    """Connections the stand-in accepted, TLS handshakes full or resumed, and
    for each API request the connection it came on and its place there
    (seq 1: the connection's first request; more: a reused connection).
    GET /__sim/connections shows them; they survive /__sim/reset."""

    MAX_LOG = 100000

    def __init__(self):
        self.lock = threading.Lock()
        self.local = threading.local()
        self.connections = 0
        self.tls_full = 0
        self.tls_resumed = 0
        self.log = []

    def opened(self, sock):
        """A new connection (sock: after its TLS handshake, if any); its id."""
        with self.lock:
            self.connections += 1
            if isinstance(sock, ssl.SSLSocket):
                if sock.session_reused:
                    self.tls_resumed += 1
                else:
                    self.tls_full += 1
            return self.connections

    def request(self, handler, method, target):
        """Note an API request on handler's connection (control calls are not noted)."""
        path = urllib.parse.urlsplit(target).path
        handler.conn_seq = getattr(handler, "conn_seq", 0) + 1
        if path.startswith("/__sim/"):
            return
        with self.lock:
            if len(self.log) < self.MAX_LOG:
                self.log.append({"method": method, "path": path,
                                 "conn": getattr(self.local, "conn_id", 0),
                                 "seq": handler.conn_seq})

    def snapshot(self):
        with self.lock:
            return {"connections": self.connections, "tls_full": self.tls_full,
                    "tls_resumed": self.tls_resumed, "requests": list(self.log)}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address, sim, verbose, tls=None):
        self.sim = sim
        self.verbose = verbose
        self.tls = tls                # an ssl.SSLContext (--tls), or None
        self.conns = ConnStats()
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        """In the connection's own thread: the TLS handshake (--tls), counted."""
        if self.tls is not None:
            try:
                request.settimeout(30)
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                request.close()
                return
        self.conns.local.conn_id = self.conns.opened(request)   # one thread per connection
        super().finish_request(request, client_address)


def tls_context(cert, key):
    """The server side of --tls: TLS 1.2+, session tickets on (resumption)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def load_config(path, sets):
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    if not isinstance(cfg, dict):
        raise ConfigError("%s: not a JSON object" % path)
    for item in sets:
        dotted, sep, raw = item.partition("=")
        if not sep or not dotted:
            raise ConfigError("--set wants key=value, got %r" % item)
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        *parents, last = dotted.split(".")
        node = cfg
        for name in parents:
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                raise ConfigError("--set %s: %s is not an object" % (item, name))
        node[last] = value
    return cfg


def main(argv=None):
    ap = argparse.ArgumentParser(description="Integrify REST API stand-in (v7 and v8).")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8299, help="0 picks a free port")
    ap.add_argument("--data", required=True, help="fixture JSON file")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config key (dotted for nested, value parsed as JSON "
                         "when possible); repeatable")
    ap.add_argument("--state-file", metavar="PATH",
                    help="keep the simulated state in PATH: loaded at start when it exists, "
                         "saved within a second of a change and on SIGTERM/SIGINT")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                    help="serve https with this PEM certificate chain and key")
    args = ap.parse_args(argv)
    try:
        sim = Simulator(load_config(args.data, args.set))
        store = StateFile(args.state_file, sim.state) if args.state_file else None
        if store is not None:
            store.open()
    except (OSError, ValueError, ConfigError) as e:
        print("standin: %s" % e, file=sys.stderr)
        return 2
    try:
        tls = tls_context(*args.tls) if args.tls else None
    except (OSError, ssl.SSLError) as e:
        print("standin: --tls: %s" % e, file=sys.stderr)
        return 2
    server = Server((args.host, args.port), sim, args.verbose, tls)
    sim.conn_stats = server.conns

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    saving = threading.Event()
    if store is not None:
        threading.Thread(target=store.run, args=(saving,), daemon=True).start()
    host, port = server.server_address[:2]
    print("standin listening on %s://%s:%d" % ("https" if tls else "http", host, port),
          flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        sim.drain(DRAIN_TIMEOUT)
        server.server_close()
        saving.set()
    if store is not None and not store.try_save(force=True):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
