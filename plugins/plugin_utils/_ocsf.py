# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The report as OCSF Compliance Finding events (class_uid 2003), for Amazon Security Lake and SIEMs.

Pure and typed: `events(report)` maps the report dict that _report.ReportBuilder.build() returns
(docs/report-schema.json) to a list of OCSF events, `render_ocsf(report)` writes them as JSON Lines. No Ansible
imports, no I/O. docs/report.md ("OCSF export") describes the mapping; tests/ocsf/ holds the JSON schema of
OCSF_VERSION that the tests validate every event against (scripts/ocsf_schema.py regenerates it).

One event per failing or accepted finding (several findings of one control on one resource are one event), one per
compliant (or, in apply mode, changed) account/control pair, and one per drifted pair whose drift no failing finding
explains (a task would change something under --check).
Failed, unreachable and skipped pairs were not evaluated: no event.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.accountguard.aws.plugins.module_utils._findings import SEVERITY as CONTROL_SEVERITY
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import exception_text as describe_exception

OCSF_VERSION = "1.8.0"
PRODUCT_NAME = "accountguard.aws"
PROFILES = ["cloud"]
BASELINE_STANDARD = "accountguard.aws baseline"

CATEGORY = (2, "Findings")
CLASS = (2003, "Compliance Finding")
ACTIVITY_CREATE = (1, "Create")
TYPE = (CLASS[0] * 100 + ACTIVITY_CREATE[0], f"{CLASS[1]}: {ACTIVITY_CREATE[1]}")

# The finding's workflow status (status_id): a deviation is New until someone acts; an accepted one is Suppressed
# (reviewed and accepted, OCSF's "benign or a false positive and is now suppressed"); a compliant pair needs no
# review: Resolved. So `status_id = 1` selects exactly what needs attention.
STATUS_NEW = (1, "New")
STATUS_SUPPRESSED = (3, "Suppressed")
STATUS_RESOLVED = (4, "Resolved")
# compliance.status_id
COMPLIANCE_PASS = (1, "Pass")
COMPLIANCE_FAIL = (3, "Fail")
ACCOUNT_TYPE_AWS = (10, "AWS Account")
ANALYTIC_RULE = (1, "Rule")

SEVERITY_CAPTIONS = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
INFORMATIONAL = 1
# severity_id of a deviation of each control (a compliant pair is Informational): the collection's one severity
# table (_findings.SEVERITY), in OCSF's ids.
_SEVERITY_IDS = {"LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
SEVERITY = {control: _SEVERITY_IDS[label] for control, label in CONTROL_SEVERITY.items()}
DEFAULT_SEVERITY = 3

# resources[].type: the resource types of the AWS Security Finding Format, which Security Hub and Security Lake use.
_RESOURCE_TYPES = {
    "root": "AwsAccount",
    "user": "AwsIamUser",
    "group": "AwsIamGroup",
    "role": "AwsIamRole",
    "policy": "AwsIamPolicy",
}
_UID_PREFIX = "accountguard.aws"


def finding_uid(account_id: str, control: str, resource: str) -> str:
    """The finding's id, the same in every run for the same deviation: derived from account, control and resource
    only (never from a time, a run or a message), so a consumer keeps one finding per deviation across runs.

    ``accountguard.aws:<account id>:<control>:<32 hex of SHA-256(account, control, resource)>``: readable enough to
    filter on account and control, bounded in length whatever the ARN.
    """
    digest = hashlib.sha256("\n".join((account_id, control, resource)).encode("utf-8")).hexdigest()[:32]
    return f"{_UID_PREFIX}:{account_id}:{control}:{digest}"


def root_arn(account_id: str, partition: str = "aws") -> str:
    """The resource of account-level findings (as the checking modules use it): the account's root ARN."""
    return f"arn:{partition}:iam::{account_id}:root"


def cis_standard(ref: str) -> str:
    """ "cis-aws-4.0.1:1.8" -> "CIS AWS Foundations Benchmark v4.0.1"."""
    bench = ref.split(":", 1)[0]
    version = bench[len("cis-aws-") :] if bench.startswith("cis-aws-") else bench
    return f"CIS AWS Foundations Benchmark v{version}"


def standards_of(cis: Iterable[str]) -> list[str]:
    """compliance.standards: the baseline itself, then every CIS benchmark version the ids cite, in their order."""
    out = [BASELINE_STANDARD]
    for ref in cis:
        standard = cis_standard(ref)
        if standard not in out:
            out.append(standard)
    return out


def resource_of(arn: str) -> dict:
    """resources[] entry of a finding's resource: the ARN as uid, with type, name and partition when it parses."""
    parsed = parse_aws_arn(arn) if arn.startswith("arn:") else None
    if not parsed:
        return {"uid": arn, "type": "Other"}
    path = parsed["resource"]
    kind, _sep, rest = path.partition("/")
    return {
        "uid": arn,
        "type": _RESOURCE_TYPES.get(kind, "Other"),
        "name": parsed["account_id"] if kind == "root" else (rest.rsplit("/", 1)[-1] or path),
        "cloud_partition": parsed["partition"],
    }


def epoch_ms(moment: str) -> int:
    """OCSF timestamp_t (milliseconds since the epoch) of the report's ISO 8601 UTC time ("2026-11-27T22:04:02Z")."""
    parsed = datetime.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp() * 1000)


def exception_text(exception: Mapping | None) -> str:
    """An accepted exception in words, for the event's comment."""
    return "accepted " + (describe_exception(exception) or "exception")


def _partition(arns: Iterable[str]) -> str:
    for arn in arns:
        parsed = parse_aws_arn(arn) if isinstance(arn, str) and arn.startswith("arn:") else None
        if parsed:
            return parsed["partition"]
    return "aws"


def _account_id(account: Mapping) -> str | None:
    """The account's id: its aws_account_id, else the account of its findings' ARNs."""
    if account.get("account_id"):
        return str(account["account_id"])
    for cell in account["controls"].values():
        for found in cell["findings"]:
            parsed = parse_aws_arn(found["resource"]) if found["resource"].startswith("arn:") else None
            if parsed and parsed["account_id"].isdigit():
                return parsed["account_id"]
    return None


def _union_cis(lists: Iterable[Iterable[str]], order: list[str]) -> list[str]:
    """Every CIS id of several findings once, in the control's order (benchmark versions oldest first)."""
    rank = {ref: i for i, ref in enumerate(order)}
    union = list(dict.fromkeys(ref for refs in lists for ref in refs))
    return sorted(union, key=lambda ref: rank.get(ref, len(rank)))


def _would_change(cell: Mapping) -> str:
    """What a check-mode task would do, in words: "would create", "would change: field, field", or the tasks."""
    whole, fields = [], []
    for change in cell["changes"]:
        for field in change.get("fields") or []:
            if field["field"] == "(resource)":
                whole.append(f"would {field.get('action') or 'change'}")
            else:
                fields.append(field["field"])
    words = list(dict.fromkeys(whole))
    if fields:
        words.append("would change: " + ", ".join(dict.fromkeys(fields)))
    if words:
        return "; ".join(words)
    tasks = list(dict.fromkeys(change["task"] for change in cell["changes"]))
    return "would change" + (f" ({', '.join(tasks)})" if tasks else "")


class _Context:
    """What every event of one report shares."""

    def __init__(self, report: Mapping) -> None:
        run = report["run"]
        self.run_id = str(run["id"])
        self.time = epoch_ms(run.get("finished") or run["started"])
        generator = report.get("generator") or {}
        self.product = {"name": PRODUCT_NAME, "vendor_name": PRODUCT_NAME}
        if generator.get("version"):
            self.product["version"] = str(generator["version"])


def _event(
    ctx: _Context,
    account: Mapping,
    account_id: str,
    control: str,
    cell: Mapping,
    *,
    resource: str,
    cis: list[str],
    deviation: bool,
    accepted: bool = False,
    message: str,
    code: str,
    exception: Mapping | None = None,
) -> dict:
    uid = finding_uid(account_id, control, resource)
    status = (STATUS_SUPPRESSED if accepted else STATUS_NEW) if deviation else STATUS_RESOLVED
    compliance_status = COMPLIANCE_FAIL if deviation else COMPLIANCE_PASS
    severity_id = SEVERITY.get(control, DEFAULT_SEVERITY) if deviation else INFORMATIONAL
    cloud_account = {"uid": account_id, "type_id": ACCOUNT_TYPE_AWS[0], "type": ACCOUNT_TYPE_AWS[1]}
    if account.get("name"):
        cloud_account["name"] = str(account["name"])
    compliance = {
        "control": control,
        "desc": cell["title"],
        "standards": standards_of(cis),
        "requirements": list(cis),
        "status_id": compliance_status[0],
        "status": compliance_status[1],
    }
    if deviation:
        compliance["status_details"] = [message]
    # What OCSF has no attribute for: the inventory host, the OU path, the report's own status of the pair.
    unmapped = {"host": account["host"], "report_status": cell["status"]}
    if account.get("ou_path"):
        unmapped["ou_path"] = str(account["ou_path"])
    if exception:
        unmapped["exception"] = dict(exception)
    event = {
        "metadata": {
            "version": OCSF_VERSION,
            "product": dict(ctx.product),
            "profiles": list(PROFILES),
            "uid": hashlib.sha256(f"{ctx.run_id}\n{uid}".encode()).hexdigest()[:32],
            "correlation_uid": ctx.run_id,
            "event_code": control,
        },
        "category_uid": CATEGORY[0],
        "category_name": CATEGORY[1],
        "class_uid": CLASS[0],
        "class_name": CLASS[1],
        "activity_id": ACTIVITY_CREATE[0],
        "activity_name": ACTIVITY_CREATE[1],
        "type_uid": TYPE[0],
        "type_name": TYPE[1],
        "time": ctx.time,
        "severity_id": severity_id,
        "severity": SEVERITY_CAPTIONS[severity_id],
        "status_id": status[0],
        "status": status[1],
        "status_code": code,
        "message": message,
        "cloud": {"provider": "AWS", "account": cloud_account, "cloud_partition": _partition([resource])},
        "finding_info": {
            "uid": uid,
            "title": cell["title"],
            "desc": message,
            "analytic": {"uid": control, "name": control, "type_id": ANALYTIC_RULE[0], "type": ANALYTIC_RULE[1]},
        },
        "compliance": compliance,
        "resources": [resource_of(resource)],
        "unmapped": unmapped,
    }
    if exception:
        event["comment"] = exception_text(exception)
    return event


def events(report: Mapping) -> list[dict]:
    """The report's findings as OCSF Compliance Finding events, in report order (accounts, then controls)."""
    ctx = _Context(report)
    out = []
    for account in report["accounts"]:
        account_id = _account_id(account)
        if account_id is None:
            # no id and no ARN that names one: nothing to attribute the events to (the JSON report has the host)
            continue
        arns = [f["resource"] for cell in account["controls"].values() for f in cell["findings"]]
        account_root = root_arn(account_id, _partition(arns))
        for control, cell in account["controls"].items():
            out.extend(_cell_events(ctx, account, account_id, account_root, control, cell))
    return out


def _cell_events(
    ctx: _Context, account: Mapping, account_id: str, account_root: str, control: str, cell: Mapping
) -> list[dict]:
    status = cell["status"]
    common = {"ctx": ctx, "account": account, "account_id": account_id, "control": control, "cell": cell}
    if status in ("compliant", "changed"):
        message = f"{cell['title']}: " + (
            "changed to the declared state by this run" if status == "changed" else "compliant"
        )
        return [_event(**common, resource=account_root, cis=cell["cis"], deviation=False, message=message, code=status)]
    if status not in ("drift", "accepted"):
        return []  # failed, unreachable, skipped: nothing was evaluated
    # One event per deviating resource: several findings of one control on one resource (a user's key both too old
    # and unused) are one deviation, one finding_info.uid; the event carries every message and CIS id of them.
    by_resource = {}
    for found in cell["findings"]:
        if found["status"] in ("fail", "accepted"):
            by_resource.setdefault(found["resource"] or account_root, []).append(found)
    if status == "drift" and not any(f["status"] == "fail" for f in cell["findings"]):
        # Drift no failing finding explains: a task would change the account (check mode), an account-level deviation.
        would = {"status": "drift", "message": _would_change(cell), "cis": cell["cis"]}
        by_resource.setdefault(account_root, []).append(would)
    out = []
    for resource, found in by_resource.items():
        accepted = all(f["status"] == "accepted" for f in found)
        code = "accepted" if accepted else ("fail" if any(f["status"] == "fail" for f in found) else "drift")
        out.append(
            _event(
                **common,
                resource=resource,
                cis=_union_cis([f.get("cis") or cell["cis"] for f in found], cell["cis"]),
                deviation=True,
                accepted=accepted,
                message="; ".join(dict.fromkeys(f["message"] for f in found)),
                code=code,
                exception=found[0].get("exception") if accepted else None,
            )
        )
    return out


def render_ocsf(report: Mapping) -> str:
    """JSON Lines: one event per line (what Security Lake's converters, Firehose, Athena and jq read as a stream)."""
    return "".join(json.dumps(event, separators=(",", ":"), sort_keys=False) + "\n" for event in events(report))
