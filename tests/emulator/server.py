"""The emulator's server process: moto's WSGI app behind a small middleware.

The middleware sees every HTTP request before moto does. It answers the emulator's own control endpoints
under ``/_emulator/``, records every AWS API call in the request log (which account, service, action, read
or write), and applies the behaviours tests switch on: refused AssumeRole, small pages, injected faults and
IAM eventual consistency. Run it with ``python -m emulator serve``; never import it into a test process,
because importing it patches moto for the whole interpreter.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.exceptions
import botocore.session

# Read by moto when an IAM backend is built, so it must be set before the first request.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.iam.models import get_account_id_from
from moto.moto_api._internal import moto_api_backend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.organizations.models import organizations_backends
from werkzeug.serving import make_server

from emulator import account_services, authorization, patches, root_access, securityhub
from emulator.root_access import AwsError, RootSession

CONTROL_PREFIX = "/_emulator/"
INTERNAL_HEADER = "HTTP_X_EMULATOR_INTERNAL"
DEFAULT_ACCOUNT_ID = "123456789012"
READ_PREFIXES = ("Get", "List", "Describe", "Simulate")
READ_ACTIONS = {"GenerateCredentialReport", "GenerateServiceLastAccessedDetails"}
FAULT_KINDS = ("throttling", "500", "503", "drop", "slow")
# What the emulator answers itself even for the test's own clients (root_access.py, account_services.py,
# securityhub.py).
EMULATED_ACTIONS = frozenset(
    {"sts:AssumeRoot", "securityhub:BatchUpdateFindings"}
    | {f"iam:{action}" for action in root_access.FEATURE_ACTIONS}
    | {f"{account_services.ACCESS_ANALYZER}:{action}" for action in account_services.ANALYZER_ACTIONS}
)


@functools.cache
def query_namespace(service: str) -> str:
    """The XML namespace of a query-protocol service's error bodies, from botocore's model of that service.

    A namespace identifier, never contacted; taken from the model so the emulator answers as the real
    service does for whatever API version botocore speaks.
    """
    try:
        return botocore.session.get_session().get_service_model(service).metadata.get("xmlNamespace", "")
    except botocore.exceptions.UnknownServiceError:
        return ""


def is_write(service: str, action: str) -> bool:
    """The read/write rule of the request log (documented in README.md)."""
    if service == "sts":
        return False
    return not (action.startswith(READ_PREFIXES) or action in READ_ACTIONS)


@dataclass
class Call:
    """What the middleware knows about one AWS API call before moto sees it."""

    service: str
    action: str
    account_id: str
    json_protocol: bool
    params: dict
    body: bytes
    root_session: RootSession | None = None
    region: str = ""

    @property
    def write(self) -> bool:
        return is_write(self.service, self.action)

    @property
    def key(self) -> str:
        return f"{self.service}:{self.action}"


@dataclass
class FaultConfig:
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    accounts: set[str] | None = None
    actions: set[str] | None = None
    slow_seconds: float = 2.0
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)
    calls: dict[tuple[str, str], int] = field(default_factory=dict)


class Middleware:
    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.RLock()
        self.reset()

    # ----- state -------------------------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.log: list[dict] = []
            self.denied_accounts: set[str] = set()
            self.page_sizes: dict[str, int] = {}
            self.faults = FaultConfig()
            self.consistency_seconds = 0.0
            self.recently_created: dict[tuple[str, str, str], float] = {}

    # ----- WSGI entry --------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.control(environ, start_response, path[len(CONTROL_PREFIX) :])
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        internal = environ.get(INTERNAL_HEADER)
        # The test's own clients skip the log and every behaviour, but still need what moto lacks; the account
        # lookup is not free, so their other calls are not parsed at all.
        call = self.parse(environ, only_actions=EMULATED_ACTIONS if internal else None)
        if call is None:
            session = root_access.root_session(_credential_scope(environ.get("HTTP_AUTHORIZATION", ""))[1])
            if session is not None:
                # A REST call (S3) in a root session: no action to check against the task policy, but it must
                # act in the target account, not moto's default one.
                environ["HTTP_X_MOTO_ACCOUNT_ID"] = session.account_id
            return self.app(environ, start_response)
        if internal:
            emulated = self.emulate(call, environ, start_response)
            return emulated if emulated is not None else self.app(environ, start_response)
        return self.handle(call, environ, start_response)

    def parse(self, environ, only_actions: frozenset[str] | None = None) -> Call | None:
        body = _read_body(environ)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        service, access_key = _credential_scope(authorization)
        params: dict = {}
        json_protocol = bool(target)
        if target:
            action = target.rsplit(".", 1)[-1]
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
        elif service in account_services.REST_SERVICES:
            # REST-JSON (Access Analyzer, Account Management): the action is the method and path.
            route = account_services.rest_action(
                service, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
            )
            action, path_params = route if route else ("", {})
            try:
                params = json.loads(body or b"{}") if body else {}
            except ValueError:
                params = {}
            if not isinstance(params, dict):
                params = {}
            params.update({k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()})
            params.update(path_params)
            json_protocol = True
        else:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
                query.update(parse_qs(body.decode("utf-8", "replace")))
            params = {k: v[0] for k, v in query.items()}
            action = params.get("Action", "")
        if not action and service and securityhub.is_rest_json(service):
            # A REST-JSON service (Security Hub): the method and path name the operation, the body is JSON.
            action = securityhub.operation(service, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
            json_protocol = bool(action)
            try:
                params = json.loads(body or b"{}") if action else {}
            except ValueError:
                params = {}
        if not action or not service or (only_actions is not None and f"{service}:{action}" not in only_actions):
            return None
        region = _scope_region(authorization)
        session = root_access.root_session(access_key)
        if session is not None:
            # sts:AssumeRoot credentials act in the target account, as its root user.
            return Call(
                service, action, session.account_id, json_protocol, params, body, root_session=session, region=region
            )
        account_id = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or (
            get_account_id_from(access_key) if access_key else DEFAULT_ACCOUNT_ID
        )
        return Call(service, action, account_id, json_protocol, params, body, region=region)

    def handle(self, call: Call, environ, start_response):
        entry = {"account_id": call.account_id, "service": call.service, "action": call.action, "write": call.write}
        if call.key == "sts:AssumeRoot":
            entry["task_policy_arn"] = call.params.get("TaskPolicyArn.arn")
            entry["target_principal"] = call.params.get("TargetPrincipal")
        if call.root_session is not None:
            entry["root_session"] = call.root_session.task_policy_arn
        if call.service == account_services.ACCESS_ANALYZER:
            # Access Analyzer is regional: the log says which region each call asked.
            entry["region"] = call.region
        fault = self.pick_fault(call)
        if fault:
            entry["fault"] = fault
        with self.lock:
            self.log.append(entry)
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
        elif fault == "drop":
            return _drop(environ, start_response)
        elif fault:
            return self.fault_response(call, fault, start_response)

        denied = self.refuse_assume_role(call, start_response)
        if denied is not None:
            return denied
        emulated = self.emulate(call, environ, start_response)
        if emulated is not None:
            return emulated
        hidden = self.hide_recent_entity(call, start_response)
        if hidden is not None:
            return hidden
        if call.key in self.page_sizes:
            return self.paginate(call, environ, start_response)
        status_holder: list[str] = []

        def recording_start_response(status, headers, exc_info=None):
            status_holder.append(status)
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)
        if status_holder and status_holder[0].startswith("2"):
            self.note_created(call)
        return result

    # ----- features ----------------------------------------------------------------------------------------

    def pick_fault(self, call: Call) -> str | None:
        cfg = self.faults
        if cfg.rate <= 0:
            return None
        if cfg.accounts is not None and call.account_id not in cfg.accounts:
            return None
        if cfg.actions is not None and call.action not in cfg.actions and call.key not in cfg.actions:
            return None
        with self.lock:
            if cfg.seed is None:
                rng = cfg.rng
            else:
                # The n-th call of an action in an account meets the same fate whatever other accounts do at
                # the same time, so a seeded run repeats even when several hosts run in parallel.
                n = cfg.calls.get((call.account_id, call.key), 0)
                cfg.calls[(call.account_id, call.key)] = n + 1
                rng = random.Random(f"{cfg.seed}:{call.account_id}:{call.key}:{n}")
            if rng.random() >= cfg.rate:
                return None
            return rng.choice(cfg.kinds)

    def fault_response(self, call: Call, fault: str, start_response):
        if fault == "throttling":
            code = "TooManyRequestsException" if call.service == "organizations" else "Throttling"
            if call.json_protocol and call.service != "organizations":
                code = "ThrottlingException"
            return _error(call, start_response, 400, code, "Rate exceeded", sender=True)
        if fault == "500":
            code = "ServiceFailure" if not call.json_protocol else "ServiceException"
            return _error(call, start_response, 500, code, "Internal failure. Please try your request again.")
        return _error(call, start_response, 503, "ServiceUnavailable", "Service is unavailable. Try again later.")

    def emulate(self, call: Call, environ, start_response):
        """Answer what moto lacks (centralized root access, root_access.py); None lets moto answer."""
        try:
            session = call.root_session
            if session is not None:
                if session.expired:
                    if call.service == "sts":
                        raise AwsError(
                            400, "ExpiredTokenException", "The security token included in the request is expired"
                        )
                    raise AwsError(403, "ExpiredToken", "The security token included in the request is expired")
                if call.key == "sts:GetCallerIdentity":
                    return _query_result(call, start_response, root_access.caller_identity(session))
                root_access.check_allowed(session, call.service, call.action, call.params)
                if call.service == "iam" and call.action in root_access.ROOT_IAM_ACTIONS:
                    return _query_result(
                        call, start_response, root_access.root_iam_call(session, call.action, call.params)
                    )
                # Allowed, and moto has it (GetAccountSummary, the S3/SQS unlock tasks): moto answers in the
                # target account; the task policy was the authorization.
                environ["HTTP_X_MOTO_ACCOUNT_ID"] = session.account_id
                environ[INTERNAL_HEADER] = "1"
                return None
            if call.key == "sts:AssumeRoot":
                self.authorize(call, environ, root_access.root_resource(call.params), root_access.assume_root_context)
                return _query_result(call, start_response, root_access.assume_root(call.account_id, call.params))
            if call.key == "securityhub:BatchUpdateFindings":
                region = _scope_region(environ.get("HTTP_AUTHORIZATION", "")) or "us-east-1"
                if not environ.get(INTERNAL_HEADER):
                    securityhub.authorize(call.account_id, environ, call.body, call.action)
                return _json(
                    start_response, 200, securityhub.answer_batch_update_findings(call.account_id, region, call.params)
                )
            if call.service == "iam" and call.action in root_access.FEATURE_ACTIONS:
                self.authorize(call, environ, "*", lambda params: {})
                return _query_result(
                    call, start_response, root_access.organizations_feature(call.account_id, call.action)
                )
            if call.service == account_services.ACCESS_ANALYZER:
                if call.action not in account_services.ANALYZER_ACTIONS:
                    raise AwsError(400, "ValidationException", f"The emulator does not answer {call.key}")
                if not environ.get(INTERNAL_HEADER):
                    account_services.authorize(
                        call.account_id,
                        environ.get("REQUEST_METHOD", ""),
                        environ.get("PATH_INFO", ""),
                        call.params,
                        call.body,
                        {
                            "Authorization": environ.get("HTTP_AUTHORIZATION", ""),
                            # assumed-role credentials are known to moto by their session token
                            **(
                                {"X-Amz-Security-Token": environ["HTTP_X_AMZ_SECURITY_TOKEN"]}
                                if environ.get("HTTP_X_AMZ_SECURITY_TOKEN")
                                else {}
                            ),
                        },
                        call.action,
                    )
                answer = account_services.analyzer_call(call.account_id, call.region, call.action, call.params)
                return _json(start_response, 200, answer or {})
            if call.service == account_services.ACCOUNT and call.action in account_services.CONTACT_ACTIONS:
                # moto answers, once the checks AWS makes (and moto does not) pass.
                account_services.check_contact_call(call.account_id, call.action, call.params)
        except AwsError as error:
            return _error(call, start_response, error.status, error.code, error.message, sender=error.status < 500)
        return None

    def authorize(self, call: Call, environ, resource: str, context) -> None:
        """Under enforced authorization, the caller's IAM policies decide a call the emulator answers itself
        (moto never sees it); the test's own clients stay exempt. Raises AwsError."""
        if not patches.iam_authorization_enforced() or environ.get(INTERNAL_HEADER):
            return
        _service, access_key = _credential_scope(environ.get("HTTP_AUTHORIZATION", ""))
        authorization.authorize(
            call.account_id,
            access_key,
            environ.get("HTTP_X_AMZ_SECURITY_TOKEN"),
            call.key,
            resource,
            context(call.params),
        )

    def refuse_assume_role(self, call: Call, start_response):
        if call.key != "sts:AssumeRole" or not self.denied_accounts:
            return None
        role_arn = call.params.get("RoleArn", "")
        parts = role_arn.split(":")
        if len(parts) > 4 and parts[4] in self.denied_accounts:
            message = (
                f"User: arn:aws:iam::{call.account_id}:user/emulator is not authorized to perform: "
                f"sts:AssumeRole on resource: {role_arn}"
            )
            return _error(call, start_response, 403, "AccessDenied", message, sender=True)
        return None

    def note_created(self, call: Call) -> None:
        if self.consistency_seconds <= 0 or call.key not in ("iam:CreateUser", "iam:CreateGroup"):
            return
        kind = "UserName" if call.action == "CreateUser" else "GroupName"
        name = call.params.get(kind)
        if name:
            with self.lock:
                self.recently_created[(call.account_id, kind, name)] = time.monotonic() + self.consistency_seconds

    def hide_recent_entity(self, call: Call, start_response):
        if not self.recently_created or call.service != "iam" or call.write:
            return None
        now = time.monotonic()
        for kind in ("UserName", "GroupName"):
            name = call.params.get(kind)
            until = self.recently_created.get((call.account_id, kind, name)) if name else None
            if until is not None and now < until:
                entity = "user" if kind == "UserName" else "group"
                message = f"The {entity} with name {name} cannot be found."
                return _error(call, start_response, 404, "NoSuchEntity", message, sender=True)
        return None

    def paginate(self, call: Call, environ, start_response):
        """Serve a JSON list action in pages of at most n, whatever moto's own page size is."""
        size = self.page_sizes[call.key]
        params = dict(call.params)
        token = params.pop("NextToken", None)
        params["MaxResults"] = 1000
        try:
            offset = int(base64.b64decode(token).decode().split(":", 1)[1]) if token else 0
        except (ValueError, IndexError):
            return _error(call, start_response, 400, "InvalidInputException", "Invalid NextToken.", sender=True)
        max_results = min(int(call.params.get("MaxResults") or size), size)
        items: list = []
        body: dict = {}
        inner_token = None
        while True:
            if inner_token:
                params["NextToken"] = inner_token
            status, headers, raw = _call_app(self.app, environ, json.dumps(params).encode())
            if not status.startswith("2"):
                start_response(status, headers)
                return [raw]
            body = json.loads(raw or b"{}")
            list_key = next((k for k, v in body.items() if isinstance(v, list)), None)
            items += body.get(list_key, []) if list_key else []
            inner_token = body.get("NextToken")
            if not inner_token:
                break
        page = items[offset : offset + max_results]
        body = {k: v for k, v in body.items() if not isinstance(v, list) and k != "NextToken"}
        body[list_key or "Items"] = page
        if offset + max_results < len(items):
            body["NextToken"] = base64.b64encode(f"emulator:{offset + max_results}".encode()).decode()
        payload = json.dumps(body, default=str).encode()
        start_response(
            "200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    # ----- control endpoints -------------------------------------------------------------------------------

    def control(self, environ, start_response, route: str):
        try:
            raw = _read_body(environ)
            args = json.loads(raw) if raw else {}
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            handler = getattr(self, "ctl_" + route.strip("/").replace("-", "_"), None)
            if handler is None:
                return _json(start_response, 404, {"error": f"no control endpoint {route!r}"})
            return _json(start_response, 200, handler(args, query) or {"status": "ok"})
        except (ValueError, TypeError, KeyError) as exc:
            return _json(start_response, 400, {"error": f"{type(exc).__name__}: {exc}"})
        except Exception as exc:
            return _json(start_response, 500, {"error": repr(exc), "trace": traceback.format_exc()})

    def ctl_health(self, args, query):
        return {"status": "ok", "pid": os.getpid()}

    def ctl_reset(self, args, query):
        moto_api_backend.reset()
        # moto's reset keeps which account is a member of which Organization: after it, DescribeOrganization
        # from a former member looks up an Organization that no longer exists (HTTP 500).
        organizations_backends.master_accounts.clear()
        patches.STATE.reset()
        account_services.ANALYZERS.reset()
        patches.enforce_iam_authorization(False)
        self.reset()

    def ctl_iam_authorization(self, args, query):
        patches.enforce_iam_authorization(bool(args["enforce"]))

    def ctl_requests(self, args, query):
        account_id = args.get("account_id", query.get("account_id"))
        writes_only = str(args.get("writes_only", query.get("writes_only", ""))).lower() in ("1", "true")
        with self.lock:
            entries = list(self.log)
        if account_id:
            entries = [e for e in entries if e["account_id"] == str(account_id)]
        if writes_only:
            entries = [e for e in entries if e["write"]]
        return {"requests": entries}

    def ctl_sessions(self, args, query):
        """Every credential sts:AssumeRole handed out since the last reset, secrets included, so that secret-scan
        tests know the session credentials a run held (issue 7)."""
        from moto.sts.models import sts_backends

        sessions = []
        for account_id in list(sts_backends.keys()):
            for backend in list(sts_backends[account_id].values()):
                for role in backend.assumed_roles:
                    sessions.append(
                        {
                            "account_id": account_id,
                            "role_arn": role.role_arn,
                            "session_name": role.session_name,
                            "access_key_id": role.access_key_id,
                            "secret_access_key": role.secret_access_key,
                            "session_token": role.session_token,
                        }
                    )
        return {"sessions": sessions}

    def ctl_clear_requests(self, args, query):
        with self.lock:
            self.log = []

    def ctl_root(self, args, query):
        if "account_id" not in args:
            root = patches.STATE.root_of(query.get("account_id", DEFAULT_ACCOUNT_ID))
            return {"mfa": root.mfa, "access_keys": len(root.access_keys)}
        patches.STATE.set_root(
            str(args["account_id"]),
            access_keys=args.get("access_keys"),
            mfa=args.get("mfa", "none"),
            password_last_used_days_ago=args.get("password_last_used_days_ago"),
            password=args.get("password"),
            signing_certificates=args.get("signing_certificates"),
        )

    def ctl_root_state(self, args, query):
        account_id = str(args["account_id"])
        return {"root": patches.STATE.root_of(account_id).describe(account_id)}

    def ctl_root_sessions(self, args, query):
        """Every credential sts:AssumeRoot handed out since the last reset, secrets included."""
        with patches.STATE.lock:
            return {"sessions": [s.describe() for s in patches.STATE.root_sessions.values()]}

    def ctl_expire_root_sessions(self, args, query):
        account_id = args.get("account_id")
        return {"expired": root_access.expire_root_sessions(None if account_id is None else str(account_id))}

    def ctl_analyzer(self, args, query):
        return {
            "analyzer": account_services.ANALYZERS.put(
                str(args["account_id"]),
                str(args["region"]),
                str(args["name"]),
                str(args.get("type") or "ACCOUNT"),
                str(args.get("status") or "ACTIVE"),
            )
        }

    def ctl_backdate_access_key(self, args, query):
        patches.backdate_access_key(
            str(args["account_id"]),
            args["user_name"],
            args["access_key_id"],
            created_days_ago=args.get("created_days_ago"),
            last_used_days_ago=args.get("last_used_days_ago"),
            last_used_service=args.get("last_used_service"),
        )

    def ctl_backdate_password_last_used(self, args, query):
        patches.backdate_password_last_used(str(args["account_id"]), args["user_name"], args["days_ago"])

    def ctl_server_certificate(self, args, query):
        path = args.get("path")
        return {
            "certificate": patches.upload_server_certificate(
                str(args["account_id"]), str(args["name"]), float(args["not_after_days"]), str(path) if path else None
            )
        }

    def ctl_backdate_password_last_changed(self, args, query):
        patches.backdate_password_last_changed(str(args["account_id"]), args["user_name"], args["days_ago"])

    def ctl_users(self, args, query):
        users = args["users"]
        if not isinstance(users, list):
            raise TypeError("users must be a list")
        return {"users": patches.create_users(str(args["account_id"]), users)}

    def ctl_freeze_credential_report(self, args, query):
        hours = args.get("hours_ago")
        patches.freeze_credential_report(str(args["account_id"]), None if hours is None else float(hours))

    def ctl_deny_assume_role(self, args, query):
        account_id = str(args["account_id"])
        with self.lock:
            if args.get("deny", True):
                self.denied_accounts.add(account_id)
            else:
                self.denied_accounts.discard(account_id)

    def ctl_page_size(self, args, query):
        action = args["action"]
        if ":" not in action:
            raise ValueError("action must be 'service:Action', e.g. organizations:ListAccounts")
        size = args.get("size")
        if size is not None and int(size) < 1:
            raise ValueError("size must be at least 1")
        if action.startswith("iam:"):
            # IAM speaks the query protocol: the emulator pages those lists in moto's responses (patches.py).
            patches.set_iam_page_size(action.split(":", 1)[1], size)
            return
        with self.lock:
            if size is None:
                self.page_sizes.pop(action, None)
            elif int(size) < 1:
                raise ValueError("size must be at least 1")
            else:
                self.page_sizes[action] = int(size)

    def ctl_faults(self, args, query):
        rate = float(args.get("rate", 0.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        kinds = tuple(args.get("kinds") or FAULT_KINDS)
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kind(s) {sorted(unknown)}; known: {list(FAULT_KINDS)}")
        accounts = args.get("accounts")
        actions = args.get("actions")
        with self.lock:
            self.faults = FaultConfig(
                rate=rate,
                kinds=kinds,
                accounts={str(a) for a in accounts} if accounts is not None else None,
                actions=set(actions) if actions is not None else None,
                slow_seconds=float(args.get("slow_seconds", 2.0)),
                seed=args.get("seed"),
            )

    def ctl_eventual_consistency(self, args, query):
        seconds = float(args.get("seconds", 0))
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self.lock:
            self.consistency_seconds = seconds
            if not seconds:
                self.recently_created = {}


# ----- helpers ---------------------------------------------------------------------------------------------


def _read_body(environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _credential_scope(authorization: str) -> tuple[str, str]:
    """(service, access key id) from a SigV4 Authorization header."""
    marker = "Credential="
    start = authorization.find(marker)
    if start < 0:
        return "", ""
    scope = authorization[start + len(marker) :].split(",", 1)[0].strip().split("/")
    if len(scope) < 5:
        return "", scope[0]
    return scope[3].lower(), scope[0]


def _scope_region(authorization: str) -> str:
    """The region of a SigV4 Authorization header's credential scope ("" when there is none)."""
    marker = "Credential="
    start = authorization.find(marker)
    scope = authorization[start + len(marker) :].split(",", 1)[0].strip().split("/") if start >= 0 else []
    return scope[2] if len(scope) >= 5 else ""


def _xml(value) -> str:
    """A query-protocol (IAM, STS) result value: structures as elements, lists as <member> items."""
    if isinstance(value, dict):
        return "".join(f"<{key}>{_xml(item)}</{key}>" for key, item in value.items() if item is not None)
    if isinstance(value, list):
        return "".join(f"<member>{_xml(item)}</member>" for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return escape(str(value))


def _query_result(call: Call, start_response, result: dict | None):
    action = call.action
    inner = f"<{action}Result>{_xml(result)}</{action}Result>" if result is not None else ""
    payload = (
        f'<{action}Response xmlns="{query_namespace(call.service)}">{inner}'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    ).encode()
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
    return [payload]


def _error(call: Call, start_response, status: int, code: str, message: str, sender: bool = False):
    reasons = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
    }
    reasons[503] = "Service Unavailable"
    request_id = str(uuid.uuid4())
    if call.json_protocol:
        payload = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    else:
        namespace = query_namespace(call.service)
        kind = "Sender" if sender else "Receiver"
        payload = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    headers += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(payload)))]
    start_response(f"{status} {reasons[status]}", headers)
    return [payload]


def _json(start_response, status: int, data: dict):
    payload = json.dumps(data, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _drop(environ, start_response):
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        import socket

        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    # Without a socket to cut, an aborted response is the closest thing to a dropped connection.
    raise ConnectionAbortedError("emulator fault: connection dropped")


def _call_app(app, environ, body: bytes) -> tuple[str, list, bytes]:
    inner = dict(environ)
    inner["wsgi.input"] = io.BytesIO(body)
    inner["CONTENT_LENGTH"] = str(len(body))
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    chunks = app(inner, start_response)
    raw = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
    return captured["status"], [*headers, ("Content-Length", str(len(raw)))], raw


class QuietHandler(MotoRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


def build_app() -> Middleware:
    patches.apply()
    account_services.apply()
    securityhub.apply()
    return Middleware(DomainDispatcherApplication(create_backend_app))


def _watch_parent(parent_pid: int, server) -> None:
    # An orphan is re-parented, so a changed parent pid means the starter is gone.
    while os.getppid() == parent_pid:
        time.sleep(1)
    server.shutdown()


def serve(host: str = "127.0.0.1", port: int = 0, state_file: str | None = None, parent_pid: int | None = None) -> None:
    app = build_app()
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(parent_pid, server), daemon=True).start()
    url = f"http://{host}:{server.server_address[1]}"
    if state_file:
        tmp = f"{state_file}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"url": url, "pid": os.getpid()}, fh)
        os.replace(tmp, state_file)
    print(f"emulator listening on {url}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()
        sys.stderr.flush()
        # Nothing to save, and tearing down moto's thousands of modules takes seconds.
        os._exit(0)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
