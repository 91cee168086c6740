# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The baseline's findings as AWS Security Finding Format (ASFF 2018-10-08) findings: pure, typed, no AWS call.

One ASFF finding per account, control and resource: several findings of one task on the same resource (the
three checks of access_key_rotation on one user) become one, FAILED when any of them fails. Its ``Id`` depends
only on the account, the control and the resource, so a re-run updates the finding instead of adding one.

What each state becomes (docs/securityhub.md):

- failing: ``Compliance.Status`` FAILED, ``RecordState`` ACTIVE, ``Workflow.Status`` NEW when created;
- failing but accepted by an unexpired accepted exception: FAILED, ``Workflow.Status`` SUPPRESSED with the
  exception's reason, owner and expiry in ``Note``;
- passing: PASSED, ACTIVE, ``Severity`` INFORMATIONAL, ``Workflow.Status`` RESOLVED;
- gone (imported by an earlier run, for a control this run checked, but no longer found: the user was deleted):
  re-imported with ``RecordState`` ARCHIVED and ``Workflow.Status`` RESOLVED.

BatchImportFindings sets the workflow of a new finding only (Security Hub ignores ``Workflow`` and ``Note`` on an
update), so the workflow of an existing finding changes through BatchUpdateFindings, and only where this run
decides it: to RESOLVED when it passes or is gone, to SUPPRESSED when an exception accepts it, and back to NEW
when a suppression this collection made no longer applies (Security Hub itself reopens a RESOLVED finding whose
compliance turns FAILED again). A suppression or resolution a person made on a finding that still fails is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CIS_VERSIONS, CONTROLS, SEVERITY

SCHEMA_VERSION = "2018-10-08"
GENERATOR_PREFIX = "accountguard.aws/"
# BatchImportFindings and BatchUpdateFindings take at most 100 findings per call.
BATCH_SIZE = 100
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
# Who wrote a Note: a suppression this collection made is lifted by it when its exception lapses; one a person
# made is never touched.
NOTE_AUTHOR = "accountguard.aws"
# ASFF limits (characters): Title 256, Description 1024, Note.Text 512, RelatedRequirements 32 items.
MAX_TITLE, MAX_DESCRIPTION, MAX_NOTE, MAX_REQUIREMENTS = 256, 1024, 512, 32

# Severity of a failing finding: the collection's one table (_findings.SEVERITY); a passing one is INFORMATIONAL,
# as Security Hub's own controls do.
PASSED, FAILED = "PASSED", "FAILED"
ACTIVE, ARCHIVED = "ACTIVE", "ARCHIVED"
NEW, SUPPRESSED, RESOLVED = "NEW", "SUPPRESSED", "RESOLVED"

# IAM resource kinds (the ARN's resource type) -> ASFF resource type.
_RESOURCE_TYPES = {"user": "AwsIamUser", "role": "AwsIamRole", "group": "AwsIamGroup", "policy": "AwsIamPolicy"}
# The keys an archived finding keeps when it is re-imported from what GetFindings returned.
_ARCHIVE_KEYS = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "FirstObservedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
    "Compliance",
    "ProductFields",
    "FindingProviderFields",
)


@dataclass(frozen=True)
class Accepted:
    """An unexpired accepted exception that applies to this account (docs/accepted-exceptions.md)."""

    control: str
    reason: str
    owner: str
    expires: str
    resource: str | None = None
    ticket: str | None = None

    def covers(self, control: str, resource: str) -> bool:
        return control == self.control and (self.resource in (None, "*") or fnmatchcase(resource, self.resource))

    def note(self) -> str:
        ticket = f", ticket {self.ticket}" if self.ticket else ""
        return _cut(f"Accepted exception: {self.reason} (owner {self.owner}, expires {self.expires}{ticket})", MAX_NOTE)

    @classmethod
    def from_dict(cls, raw: Mapping) -> Accepted:
        return cls(
            control=str(raw["control"]),
            reason=str(raw.get("reason") or ""),
            owner=str(raw.get("owner") or ""),
            expires=str(raw.get("expires") or ""),
            resource=None if raw.get("resource") is None else str(raw["resource"]),
            ticket=None if raw.get("ticket") is None else str(raw["ticket"]),
        )


@dataclass(frozen=True)
class Target:
    """Where the findings go: the account, its region and partition, and the run's time (ISO 8601, UTC)."""

    account_id: str
    region: str
    now: str
    partition: str = "aws"

    @property
    def product_arn(self) -> str:
        """The account's default product ARN: findings a customer's own tool imports into its own account."""
        return f"arn:{self.partition}:securityhub:{self.region}:{self.account_id}:product/{self.account_id}/default"

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"


@dataclass(frozen=True)
class Merged:
    """The baseline's findings of one control on one resource, as one."""

    control: str
    resource: str
    failed: bool
    messages: tuple[str, ...]
    cis: tuple[str, ...]
    accepted: Accepted | None = None


@dataclass(frozen=True)
class Existing:
    """A finding this collection imported earlier, as GetFindings returns it (only what the plan needs)."""

    finding: Mapping
    workflow: str
    record_state: str
    note_author: str | None
    note_text: str | None = None

    @property
    def id(self) -> str:
        return str(self.finding.get("Id"))

    @property
    def control(self) -> str:
        return str(self.finding.get("GeneratorId", ""))[len(GENERATOR_PREFIX) :]

    @classmethod
    def from_finding(cls, finding: Mapping) -> Existing:
        workflow = finding.get("Workflow") or {}
        note = finding.get("Note") or {}
        return cls(
            finding=finding,
            workflow=str(workflow.get("Status") or finding.get("WorkflowState") or NEW),
            record_state=str(finding.get("RecordState") or ACTIVE),
            note_author=note.get("UpdatedBy"),
            note_text=note.get("Text"),
        )


@dataclass(frozen=True)
class WorkflowUpdate:
    """One BatchUpdateFindings change: these existing findings get this workflow status (and note)."""

    status: str
    ids: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class Plan:
    """What to send: findings to import (in batches), workflow changes of existing findings, and counts."""

    imports: tuple[dict, ...] = ()
    workflow: tuple[WorkflowUpdate, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    def import_batches(self) -> list[list[dict]]:
        return batches(self.imports)

    def writes(self) -> int:
        """API calls the plan costs: import batches plus update batches."""
        return len(self.import_batches()) + sum(len(batches(u.ids)) for u in self.workflow)


def batches(items: Iterable, size: int = BATCH_SIZE) -> list[list]:
    """Consecutive slices of at most `size` items (BatchImportFindings' limit is 100)."""
    items = list(items)
    return [items[start : start + size] for start in range(0, len(items), size)]


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def finding_id(account_id: str, control: str, resource: str) -> str:
    """Stable per account, control and resource (the resource hashed: an ARN may be long, the Id is at most 512)."""
    digest = hashlib.sha256(resource.encode("utf-8")).hexdigest()[:40]
    return f"{GENERATOR_PREFIX}{account_id}/{control}/{digest}"


def resource_type(arn: str) -> str:
    parsed = parse_aws_arn(arn)
    if not parsed or parsed.get("service") != "iam":
        return "Other"
    kind = str(parsed.get("resource") or "").split("/", 1)[0]
    if kind == "root":
        return "AwsAccount"
    return _RESOURCE_TYPES.get(kind, "Other")


def _ordered_cis(ids: Iterable[str]) -> tuple[str, ...]:
    """CIS ids without repeats, oldest benchmark first, then by recommendation number."""

    def key(cis_id: str):
        version, _sep, rec = cis_id.partition(":")
        rank = CIS_VERSIONS.index(version) if version in CIS_VERSIONS else len(CIS_VERSIONS)
        return rank, tuple(int(p) if p.isdigit() else 0 for p in rec.split("."))

    return tuple(sorted(dict.fromkeys(ids), key=key))


def merge(findings: Iterable[Mapping], root_arn: str, accepted: Iterable[Accepted] = ()) -> tuple[Merged, ...]:
    """One entry per (control, resource), in first-seen order; an empty resource is the account (its root ARN).

    FAILED when any of its findings fails; the messages are the failing ones (all of them when it passes); the
    CIS ids are those of the findings kept. A failing entry an accepted exception covers carries it.
    """
    accepted = tuple(accepted)
    groups: dict[tuple[str, str], list[Mapping]] = {}
    for found in findings:
        if not isinstance(found, Mapping) or found.get("id") not in CONTROLS:
            continue
        resource = str(found.get("resource") or "") or root_arn
        groups.setdefault((str(found["id"]), resource), []).append(found)
    merged = []
    for (control, resource), group in groups.items():
        failing = [f for f in group if f.get("status") == "fail"]
        kept = failing or group
        entry = Merged(
            control=control,
            resource=resource,
            failed=bool(failing),
            messages=tuple(dict.fromkeys(str(f.get("message") or "") for f in kept if f.get("message"))),
            cis=_ordered_cis(cis for f in kept for cis in f.get("cis") or ()),
        )
        if entry.failed:
            entry = replace(entry, accepted=next((a for a in accepted if a.covers(control, resource)), None))
        merged.append(entry)
    return tuple(merged)


def to_asff(entry: Merged, target: Target, created_at: str | None = None, new: bool = True) -> dict:
    """The ASFF finding of one merged entry. `created_at` is the existing finding's, kept on an update; `new`
    adds the initial Workflow (and Note of an accepted exception), which Security Hub ignores on an update."""
    severity = SEVERITY.get(entry.control, "MEDIUM") if entry.failed else "INFORMATIONAL"
    title = CONTROLS[entry.control]["title"]
    description = "; ".join(entry.messages) or title
    parsed = parse_aws_arn(entry.resource) or {}
    status = FAILED if entry.failed else PASSED
    product_fields = {
        "accountguard.aws/control": entry.control,
        "accountguard.aws/status": "accepted" if entry.accepted else ("fail" if entry.failed else "pass"),
    }
    if entry.accepted:
        product_fields["accountguard.aws/exception_owner"] = _cut(entry.accepted.owner, 256)
        product_fields["accountguard.aws/exception_expires"] = entry.accepted.expires
    finding = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(target.account_id, entry.control, entry.resource),
        "ProductArn": target.product_arn,
        "GeneratorId": GENERATOR_PREFIX + entry.control,
        "AwsAccountId": target.account_id,
        "Types": [FINDING_TYPE],
        "CreatedAt": created_at or target.now,
        "UpdatedAt": target.now,
        "FirstObservedAt": created_at or target.now,
        "LastObservedAt": target.now,
        "Severity": {"Label": severity},
        "FindingProviderFields": {"Severity": {"Label": severity}, "Types": [FINDING_TYPE]},
        "Title": _cut(f"{title} ({entry.control})", MAX_TITLE),
        "Description": _cut(description, MAX_DESCRIPTION),
        "Resources": [
            {
                "Type": resource_type(entry.resource),
                "Id": entry.resource,
                "Partition": parsed.get("partition") or target.partition,
                "Region": target.region,
            }
        ],
        "Compliance": {"Status": status, "RelatedRequirements": list(entry.cis[:MAX_REQUIREMENTS])},
        "ProductFields": product_fields,
        "RecordState": ACTIVE,
    }
    if new:
        finding["Workflow"] = {"Status": SUPPRESSED if entry.accepted else (NEW if entry.failed else RESOLVED)}
        if entry.accepted:
            finding["Note"] = {"Text": entry.accepted.note(), "UpdatedBy": NOTE_AUTHOR, "UpdatedAt": target.now}
    return finding


def archived(existing: Existing, target: Target) -> dict:
    """An earlier finding whose resource this run no longer found, re-imported as ARCHIVED."""
    kept = {key: existing.finding[key] for key in _ARCHIVE_KEYS if key in existing.finding}
    return {**kept, "UpdatedAt": target.now, "RecordState": ARCHIVED}


def plan(
    merged: Iterable[Merged],
    existing: Iterable[Existing],
    target: Target,
    checked_controls: Iterable[str],
) -> Plan:
    """Every current finding imported (created or updated, with the existing CreatedAt); earlier ACTIVE findings of a
    control this run checked that the run no longer found, archived; and the workflow changes of suppression."""
    by_id = {e.id: e for e in existing if e.id.startswith(GENERATOR_PREFIX + target.account_id + "/")}
    checked = set(checked_controls)
    imports: list[dict] = []
    changes: dict[tuple[str, str | None], list[str]] = {}
    current_ids = set()
    counts = {"failed": 0, "passed": 0, "suppressed": 0, "archived": 0, "created": 0, "updated": 0}
    for entry in merged:
        fid = finding_id(target.account_id, entry.control, entry.resource)
        current_ids.add(fid)
        before = by_id.get(fid)
        created_at = str(before.finding.get("CreatedAt")) if before and before.finding.get("CreatedAt") else None
        imports.append(to_asff(entry, target, created_at=created_at, new=before is None))
        counts["created" if before is None else "updated"] += 1
        counts["suppressed" if entry.accepted else ("failed" if entry.failed else "passed")] += 1
        if before is None:
            continue
        ours = before.workflow == SUPPRESSED and before.note_author == NOTE_AUTHOR
        if entry.accepted:
            # newly accepted, or accepted by this collection with another reason, owner or expiry since
            if before.workflow != SUPPRESSED or (ours and before.note_text != entry.accepted.note()):
                changes.setdefault((SUPPRESSED, entry.accepted.note()), []).append(fid)
        elif not entry.failed:
            if before.workflow in (NEW, "NOTIFIED") or ours:
                changes.setdefault((RESOLVED, None), []).append(fid)
        elif ours:
            # Failing again after the exception lapsed: the team's to look at. (Security Hub itself reopens a
            # RESOLVED finding whose compliance turns FAILED again.)
            changes.setdefault((NEW, None), []).append(fid)
    for fid, before in by_id.items():
        if fid in current_ids or before.record_state != ACTIVE or before.control not in checked:
            continue
        imports.append(archived(before, target))
        counts["archived"] += 1
        if before.workflow in (NEW, "NOTIFIED"):
            changes.setdefault((RESOLVED, None), []).append(fid)
    workflow = tuple(WorkflowUpdate(status, tuple(ids), note) for (status, note), ids in changes.items())
    return Plan(tuple(imports), workflow, counts)


def accepted_from(raw: Iterable[Mapping] | None) -> tuple[Accepted, ...]:
    return tuple(Accepted.from_dict(r) for r in raw or () if isinstance(r, Mapping) and r.get("control"))
