"""IAM Access Analyzer and the Account Management service's alternate contacts, where moto falls short.

moto 5.2.5 has no IAM Access Analyzer at all, and answers ``account:*AlternateContact`` with an ``AccountId``
for any caller and any account. Both services speak REST-JSON (the action is in the method and path, not in an
``Action`` parameter or ``X-Amz-Target`` header), so the middleware finds their action here (``rest_action``)
for the request log, then:

- Access Analyzer (``ListAnalyzers``, ``CreateAnalyzer``, ``GetAnalyzer``, ``DeleteAnalyzer``) is answered here
  entirely, per account and per region (the region of the request's SigV4 credential scope), as AWS keeps
  analyzers: one region's analyzer is invisible from another.
- Alternate contacts: moto answers, after the checks AWS makes and moto does not (below, ``check_contact_call``):
  a ``PutAlternateContact`` whose fields break the API's patterns or lengths is a ``ValidationException``, and a
  call naming an ``AccountId`` must come from the management account (or the Account Management delegated
  administrator) of an Organization with trusted access for ``account.amazonaws.com``, about a member account.

Imported only by the server process (it imports moto).
"""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime

from moto import settings as moto_settings
from moto.account.exceptions import UnspecifiedContactType
from moto.core.exceptions import _RESTError as RESTError
from moto.iam.access_control import IAMRequest
from moto.organizations.models import OrganizationsBackend

from emulator.root_access import AwsError, management_backend

ACCESS_ANALYZER = "access-analyzer"
ACCOUNT = "account"
ACCOUNT_SERVICE_PRINCIPAL = "account.amazonaws.com"
ACCESS_ANALYZER_SERVICE_PRINCIPAL = "access-analyzer.amazonaws.com"

ANALYZER_TYPES = (
    "ACCOUNT",
    "ORGANIZATION",
    "ACCOUNT_UNUSED_ACCESS",
    "ORGANIZATION_UNUSED_ACCESS",
    "ACCOUNT_INTERNAL_ACCESS",
    "ORGANIZATION_INTERNAL_ACCESS",
)
ANALYZER_STATUSES = ("ACTIVE", "CREATING", "DISABLED", "FAILED")
ANALYZER_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
MAX_ANALYZER_NAME = 255
MAX_PAGE = 100

CONTACT_ACTIONS = frozenset({"GetAlternateContact", "PutAlternateContact", "DeleteAlternateContact"})
CONTACT_TYPES = ("BILLING", "OPERATIONS", "SECURITY")
# The Account Management API's limits (its model: min 1, these max, these patterns), which moto does not check.
CONTACT_FIELDS = {
    "EmailAddress": (254, re.compile(r"[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*")),
    "Name": (64, None),
    "PhoneNumber": (25, re.compile(r"[\s0-9()+-]+")),
    "Title": (50, None),
}

# (service, method, path pattern) -> action; a pattern's groups are the path's parameters.
_ROUTES = (
    (ACCESS_ANALYZER, "GET", re.compile(r"/analyzer/?"), "ListAnalyzers"),
    (ACCESS_ANALYZER, "PUT", re.compile(r"/analyzer/?"), "CreateAnalyzer"),
    (ACCESS_ANALYZER, "GET", re.compile(r"/analyzer/(?P<analyzerName>[^/]+)"), "GetAnalyzer"),
    (ACCESS_ANALYZER, "DELETE", re.compile(r"/analyzer/(?P<analyzerName>[^/]+)"), "DeleteAnalyzer"),
    (ACCOUNT, "POST", re.compile(r"/getAlternateContact"), "GetAlternateContact"),
    (ACCOUNT, "POST", re.compile(r"/putAlternateContact"), "PutAlternateContact"),
    (ACCOUNT, "POST", re.compile(r"/deleteAlternateContact"), "DeleteAlternateContact"),
    (ACCOUNT, "POST", re.compile(r"/listRegions"), "ListRegions"),
)
REST_SERVICES = frozenset({ACCESS_ANALYZER, ACCOUNT})
ANALYZER_ACTIONS = frozenset(action for service, _m, _p, action in _ROUTES if service == ACCESS_ANALYZER)


def rest_action(service: str, method: str, path: str) -> tuple[str, dict] | None:
    """(action, path parameters) of a REST-JSON call of Access Analyzer or Account Management; None otherwise."""
    for route_service, route_method, pattern, action in _ROUTES:
        if service == route_service and method == route_method:
            match = pattern.fullmatch(path)
            if match:
                return action, {k: _unquote(v) for k, v in match.groupdict().items()}
    return None


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


# ----- Access Analyzer ---------------------------------------------------------------------------------------


class AnalyzerStore:
    """Analyzers per (account, region), until reset()."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.analyzers: dict[tuple[str, str], dict[str, dict]] = {}

    def of(self, account_id: str, region: str) -> dict[str, dict]:
        with self.lock:
            return self.analyzers.setdefault((account_id, region), {})

    def put(self, account_id: str, region: str, name: str, kind: str, status: str = "ACTIVE", tags=None) -> dict:
        """Store an analyzer as CreateAnalyzer would (or, for tests, in any status); returns its summary."""
        if kind not in ANALYZER_TYPES:
            raise ValueError(f"type must be one of {', '.join(ANALYZER_TYPES)}")
        if status not in ANALYZER_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ANALYZER_STATUSES)}")
        analyzer = {
            "arn": f"arn:aws:access-analyzer:{region}:{account_id}:analyzer/{name}",
            "name": name,
            "type": kind,
            "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": status,
            "tags": dict(tags or {}),
        }
        if status == "DISABLED":
            analyzer["statusReason"] = {"code": "AWS_SERVICE_ACCESS_DISABLED"}
        with self.lock:
            self.of(account_id, region)[name] = analyzer
        return dict(analyzer)


ANALYZERS = AnalyzerStore()


def _is_delegated_admin(backend: OrganizationsBackend, account_id: str, principal: str) -> bool:
    return any(admin.account.id == account_id and principal in admin.services for admin in backend.admins)


def _trusted(backend: OrganizationsBackend, principal: str) -> bool:
    return any(service["ServicePrincipal"] == principal for service in backend.services)


def analyzer_call(account_id: str, region: str, action: str, params: dict) -> dict | None:
    """One Access Analyzer action in one account and region; raises AwsError as AWS answers."""
    if action == "ListAnalyzers":
        return _list_analyzers(account_id, region, params)
    if action == "CreateAnalyzer":
        return _create_analyzer(account_id, region, params)
    name = params.get("analyzerName", "")
    with ANALYZERS.lock:
        found = ANALYZERS.of(account_id, region).get(name)
        if found is None:
            raise AwsError(404, "ResourceNotFoundException", f"Analyzer {name} not found")
        if action == "GetAnalyzer":
            return {"analyzer": dict(found)}
        del ANALYZERS.of(account_id, region)[name]
        return None


def _list_analyzers(account_id: str, region: str, params: dict) -> dict:
    kind = params.get("type")
    if kind is not None and kind not in ANALYZER_TYPES:
        raise AwsError(400, "ValidationException", f"1 validation error detected: invalid type {kind}")
    try:
        size = int(params.get("maxResults") or MAX_PAGE)
        offset = int(base64.b64decode(params["nextToken"]).decode()) if params.get("nextToken") else 0
    except (ValueError, TypeError) as error:
        raise AwsError(400, "ValidationException", "Invalid pagination parameters") from error
    if not 1 <= size <= MAX_PAGE:
        raise AwsError(400, "ValidationException", f"maxResults must be between 1 and {MAX_PAGE}")
    with ANALYZERS.lock:
        analyzers = [dict(a) for a in ANALYZERS.of(account_id, region).values() if kind in (None, a["type"])]
    analyzers.sort(key=lambda a: (a["createdAt"], a["name"]))
    page = analyzers[offset : offset + size]
    out: dict = {"analyzers": page}
    if offset + size < len(analyzers):
        out["nextToken"] = base64.b64encode(str(offset + size).encode()).decode()
    return out


def _create_analyzer(account_id: str, region: str, params: dict) -> dict:
    name, kind = params.get("analyzerName"), params.get("type")
    if not isinstance(name, str) or not ANALYZER_NAME_RE.fullmatch(name) or len(name) > MAX_ANALYZER_NAME:
        raise AwsError(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'analyzerName' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern: [A-Za-z][A-Za-z0-9_.-]*",
        )
    if kind not in ANALYZER_TYPES:
        raise AwsError(400, "ValidationException", f"1 validation error detected: invalid type {kind}")
    if kind.startswith("ORGANIZATION"):
        backend = management_backend(account_id)
        allowed = backend is not None and (
            account_id == backend.org.master_account_id
            or _is_delegated_admin(backend, account_id, ACCESS_ANALYZER_SERVICE_PRINCIPAL)
        )
        if not allowed or not _trusted(backend, ACCESS_ANALYZER_SERVICE_PRINCIPAL):
            raise AwsError(
                403,
                "AccessDeniedException",
                "An organization analyzer can be created only by the management account or the delegated "
                "administrator of an Organization with trusted access for access-analyzer.amazonaws.com",
            )
    with ANALYZERS.lock:
        if name in ANALYZERS.of(account_id, region):
            raise AwsError(409, "ConflictException", f"Analyzer {name} already exists")
        analyzer = ANALYZERS.put(account_id, region, name, kind, tags=params.get("tags"))
    return {"arn": analyzer["arn"]}


def authorize(account_id: str, method: str, path: str, params: dict, body: bytes, headers: dict, action: str) -> None:
    """While IAM authorization is enforced (``enforce_iam_authorization``), the caller's policies must allow
    ``access-analyzer:<action>``, evaluated by moto as for the calls moto answers; raises AwsError."""
    if moto_settings.INITIAL_NO_AUTH_ACTION_COUNT != 0:
        return
    try:
        request = IAMRequest(
            account_id=account_id,
            method=method,
            path=path,
            data=params,
            body=body,
            headers=headers,
            action=action,
        )
        request.check_action_permitted(resource="*")
    except RESTError as error:
        raise AwsError(403, "AccessDeniedException", error.message) from error


def apply() -> None:
    """moto answers a missing alternate contact with HTTP 400; AWS's ResourceNotFoundException is a 404."""
    UnspecifiedContactType.code = 404


# ----- Alternate contacts ------------------------------------------------------------------------------------


def check_contact_call(caller: str, action: str, params: dict) -> None:
    """What AWS checks before an alternate-contact call and moto does not; raises AwsError, else moto answers."""
    kind = params.get("AlternateContactType")
    if kind not in CONTACT_TYPES:
        raise AwsError(400, "ValidationException", f"Invalid AlternateContactType {kind!r}")
    if action == "PutAlternateContact":
        for field, (limit, pattern) in CONTACT_FIELDS.items():
            value = params.get(field)
            if not isinstance(value, str) or not 1 <= len(value) <= limit or (pattern and not pattern.fullmatch(value)):
                raise AwsError(
                    400,
                    "ValidationException",
                    f"Invalid {field}: 1 to {limit} characters" + (", in the documented pattern" if pattern else ""),
                )
    target = params.get("AccountId")
    if target is None:
        return
    if not re.fullmatch(r"\d{12}", str(target)):
        raise AwsError(400, "ValidationException", f"Invalid AccountId {target!r}")
    backend = management_backend(caller)
    reason = None
    if backend is None:
        reason = "the caller is in no Organization"
    elif caller != backend.org.master_account_id and not _is_delegated_admin(
        backend, caller, ACCOUNT_SERVICE_PRINCIPAL
    ):
        reason = "the caller is neither the management account nor the Account Management delegated administrator"
    elif not _trusted(backend, ACCOUNT_SERVICE_PRINCIPAL):
        reason = f"trusted access for {ACCOUNT_SERVICE_PRINCIPAL} is not enabled"
    elif target == backend.org.master_account_id:
        reason = "the management account cannot name itself: call without AccountId"
    elif not any(account.id == target for account in backend.accounts):
        reason = "the account is not a member of the caller's Organization"
    if reason:
        raise AwsError(
            403,
            "AccessDeniedException",
            f"User: arn:aws:iam::{caller}:root is not authorized to perform: account:{action} on resource: "
            f"arn:aws:account::{caller}:account/{target} because {reason}",
        )
