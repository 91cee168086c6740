"""AWS Security Hub where moto falls short: what a finding provider's BatchImportFindings, GetFindings and the
customer's BatchUpdateFindings do in AWS. Runs only in the server process (it patches moto's classes).

moto 5.2 stores imported findings but:

- imports into an account that never enabled Security Hub (AWS: ``InvalidAccessException``);
- takes any number of findings per call (AWS: at most 100) and any ``ProductArn`` / ``AwsAccountId`` (AWS: with the
  default product ARN, the finding's account and product must be the caller's own);
- merges an update into the stored finding, ``Workflow`` and ``Note`` included (AWS: an update replaces what the
  provider sent but ignores ``Workflow``, ``Note``, ``VerificationState`` and ``UserDefinedFields``, which belong to
  the customer, and resets a NOTIFIED or RESOLVED workflow to NEW when the record turns ACTIVE again or the
  compliance turns from PASSED to FAILED, WARNING or NOT_AVAILABLE);
- ignores GetFindings' ``Filters`` (here: string filters EQUALS, NOT_EQUALS and PREFIX on the top-level string
  attributes and on ``ComplianceStatus`` and ``WorkflowStatus``; other filter kinds are refused, not ignored);
- has no BatchUpdateFindings (``answer_batch_update_findings`` below; the server routes it here).

Sources: the BatchImportFindings, BatchUpdateFindings, GetFindings and Workflow pages of the Security Hub API
reference; the honesty cases in honesty/securityhub/.
"""

from __future__ import annotations

import datetime
import functools
import re

import botocore.session
from moto.securityhub import models as sh_models
from moto.securityhub.exceptions import InvalidInputException
from moto.securityhub.exceptions import SecurityHubClientError as RESTError

from emulator.root_access import AwsError

MAX_BATCH = 100
CUSTOMER_FIELDS = ("Workflow", "WorkflowState", "Note", "VerificationState", "UserDefinedFields")
STRING_COMPARISONS = ("EQUALS", "NOT_EQUALS", "PREFIX")
# GetFindings filter names that read a nested attribute.
NESTED = {"ComplianceStatus": ("Compliance", "Status"), "WorkflowStatus": ("Workflow", "Status")}
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _not_enabled() -> RESTError:
    return RESTError("InvalidAccessException", "Account is not subscribed to AWS Security Hub")


# ----- the request log: which operation a REST call is -----------------------------------------------------------


@functools.cache
def _routes(service: str) -> tuple[tuple[str, re.Pattern, str], ...]:
    """(method, path pattern, operation) of every operation of a rest-json service, from botocore's model."""
    model = botocore.session.get_session().get_service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/").split("?", 1)[0]
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(uri))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        routes.append((http.get("method", "POST"), re.compile(pattern.rstrip("/") + "/?$"), name))
    # literal paths first: /findings/import before /findings/{x}
    return tuple(sorted(routes, key=lambda r: r[1].pattern.count("[^/]+") + r[1].pattern.count(".+")))


@functools.cache
def is_rest_json(service: str) -> bool:
    try:
        return botocore.session.get_session().get_service_model(service).metadata.get("protocol") == "rest-json"
    except Exception:  # not a botocore service
        return False


def operation(service: str, method: str, path: str) -> str:
    """The operation a REST request of a rest-json service is ("" when none matches)."""
    for wanted, pattern, name in _routes(service):
        if wanted == method and pattern.match(path or "/"):
            return name
    return ""


# ----- BatchImportFindings -------------------------------------------------------------------------------------


def _default_product(backend) -> str:
    return f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:product/{backend.account_id}/default"


def _import_problem(backend, finding: dict) -> str | None:
    if not isinstance(finding.get("Resources"), list) or not finding["Resources"]:
        return "Finding must contain at least one resource in the Resources array"
    for key in ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt"):
        if not finding.get(key):
            return f"Finding is missing the required attribute {key}"
    for key in ("Title", "Description"):
        if not finding.get(key):
            return f"Finding is missing the required attribute {key}"
    if finding["ProductArn"].endswith("/default") and finding["ProductArn"] != _default_product(backend):
        return f"Invalid ProductArn {finding['ProductArn']}: the default product of another account or region"
    if finding["AwsAccountId"] != backend.account_id:
        return f"AwsAccountId {finding['AwsAccountId']} is not the calling account {backend.account_id}"
    return None


def _reset_workflow(stored: dict, update: dict) -> str | None:
    """The workflow status AWS resets a stored finding to, when an update reopens it (None: unchanged)."""
    workflow = (stored.get("Workflow") or {}).get("Status", "NEW")
    if workflow not in ("NOTIFIED", "RESOLVED"):
        return None
    reactivated = stored.get("RecordState") == "ARCHIVED" and update.get("RecordState", "ACTIVE") == "ACTIVE"
    before = (stored.get("Compliance") or {}).get("Status")
    after = (update.get("Compliance") or {}).get("Status")
    failing_again = before == "PASSED" and after in ("FAILED", "WARNING", "NOT_AVAILABLE")
    return "NEW" if reactivated or failing_again else None


def batch_import_findings(self, findings: list[dict]):
    if not self.enabled:
        raise _not_enabled()
    if len(findings) > MAX_BATCH:
        raise InvalidInputException(op="BatchImportFindings", msg=f"Findings can hold at most {MAX_BATCH} findings")
    failed = []
    success = 0
    by_id = {f.id: f for f in self.findings}
    now = _now()
    for data in findings:
        problem = _import_problem(self, data)
        if problem:
            failed.append({"Id": data.get("Id", ""), "ErrorCode": "InvalidInput", "ErrorMessage": problem})
            continue
        stored = by_id.get(data["Id"])
        record = {k: v for k, v in data.items() if k not in CUSTOMER_FIELDS}
        record.setdefault("RecordState", "ACTIVE")
        record.update(Region=self.region_name, CompanyName="Personal", ProductName="Default", ProcessedAt=now)
        if stored is None:
            workflow = (data.get("Workflow") or {}).get("Status", "NEW")
            record["Workflow"] = {"Status": workflow}
            record["WorkflowState"] = workflow
            if data.get("Note"):
                record["Note"] = data["Note"]
            finding = sh_models.Finding(data["Id"], record)
            self.findings.append(finding)
            by_id[finding.id] = finding
        else:
            kept = {k: stored.data[k] for k in CUSTOMER_FIELDS if k in stored.data}
            reset = _reset_workflow(stored.data, record)
            if reset:
                kept["Workflow"] = {**kept.get("Workflow", {}), "Status": reset}
                kept["WorkflowState"] = reset
            stored.data = {**record, **kept}
        success += 1
    return len(failed), success, failed


# ----- GetFindings -----------------------------------------------------------------------------------------------


def _value(finding: dict, name: str):
    if name in NESTED:
        outer, inner = NESTED[name]
        return (finding.get(outer) or {}).get(inner)
    return finding.get(name)


def _matches(finding: dict, filters: dict) -> bool:
    for name, conditions in (filters or {}).items():
        value = _value(finding, name)
        if not isinstance(conditions, list) or any(
            not isinstance(c, dict) or c.get("Comparison") not in STRING_COMPARISONS for c in conditions
        ):
            raise InvalidInputException(op="GetFindings", msg=f"the emulator supports only string filters: {name}")
        positive = [c for c in conditions if c["Comparison"] != "NOT_EQUALS"]
        negative = [c for c in conditions if c["Comparison"] == "NOT_EQUALS"]
        if any(value == c.get("Value") for c in negative):
            return False
        if positive and not any(
            isinstance(value, str)
            and (value == c.get("Value") if c["Comparison"] == "EQUALS" else value.startswith(str(c.get("Value"))))
            for c in positive
        ):
            return False
    return True


def _get_findings(original):
    def get_findings(self, filters=None, sort_criteria=None, max_results=None, next_token=None):
        if not self.enabled:
            raise _not_enabled()
        kept = [f for f in self.findings if _matches(f.data, filters)]
        saved = self.findings
        self.findings = kept
        try:
            return original(
                self, filters=filters, sort_criteria=sort_criteria, max_results=max_results, next_token=next_token
            )
        finally:
            self.findings = saved

    return get_findings


# ----- BatchUpdateFindings (moto has none) ----------------------------------------------------------------------


def authorize(account_id: str, environ: dict, body: bytes, action: str) -> None:
    """While IAM authorization is enforced, what moto checks for the calls it answers, for one the emulator answers:
    the caller's policies must allow ``securityhub:<action>`` (AccessDeniedException otherwise)."""
    from moto import settings as moto_settings
    from moto.iam.access_control import IAMRequest

    if moto_settings.INITIAL_NO_AUTH_ACTION_COUNT != 0:
        return
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    request = IAMRequest(
        account_id=account_id,
        method=environ.get("REQUEST_METHOD", "POST"),
        path=environ.get("PATH_INFO", "/"),
        data={},
        body=body,
        headers=headers,
        action=action,
    )
    try:
        request.check_action_permitted("*")
    except Exception as error:  # moto's AccessDeniedError, as the client would have seen it from moto
        message = getattr(error, "message", None) or str(error)
        raise AwsError(403, "AccessDeniedException", message) from None


def backend(account_id: str, region: str):
    return sh_models.securityhub_backends[account_id][region]


def answer_batch_update_findings(account_id: str, region: str, params: dict) -> dict:
    hub = backend(account_id, region)
    if not hub.enabled:
        raise AwsError(401, "InvalidAccessException", "Account is not subscribed to AWS Security Hub")
    identifiers = params.get("FindingIdentifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= MAX_BATCH:
        raise AwsError(400, "InvalidInputException", f"FindingIdentifiers must hold 1 to {MAX_BATCH} findings")
    workflow = (params.get("Workflow") or {}).get("Status")
    if workflow is not None and workflow not in WORKFLOW_STATUSES:
        raise AwsError(400, "InvalidInputException", f"Invalid Workflow.Status {workflow}")
    note = params.get("Note")
    if note is not None and not (note.get("Text") and note.get("UpdatedBy")):
        raise AwsError(400, "InvalidInputException", "Note needs Text and UpdatedBy")
    by_key = {(f.id, f.data.get("ProductArn")): f for f in hub.findings}
    processed, unprocessed = [], []
    now = _now()
    for ident in identifiers:
        finding = by_key.get((ident.get("Id"), ident.get("ProductArn")))
        if finding is None:
            unprocessed.append(
                {"FindingIdentifier": ident, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding not found"}
            )
            continue
        if workflow:
            finding.data["Workflow"] = {"Status": workflow}
            finding.data["WorkflowState"] = workflow
        if note:
            finding.data["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": now}
        finding.data["UpdatedAt"] = now
        processed.append(ident)
    return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}


_APPLIED = False


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    _APPLIED = True
    sh_models.SecurityHubBackend.batch_import_findings = batch_import_findings
    sh_models.SecurityHubBackend.get_findings = _get_findings(sh_models.SecurityHubBackend.get_findings)
