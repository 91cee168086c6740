# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The compliance/drift report: aggregation rules, redaction and the JSON / Markdown / HTML / JUnit renderers.

Pure functions and one builder class, no Ansible imports, so the rules are unit-tested with plain tables and the
callback plugin (plugins/callback/report.py) stays a thin adapter from Ansible events to `add_event()` calls.
What counts as drift is _drift's, the same rules the baseline role's drift gate applies.
The JSON shape is documented in docs/report-schema.json; bump SCHEMA_VERSION (major on breaking changes) with it.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CIS_VERSIONS, FAMILIES
from ansible_collections.accountguard.aws.plugins.plugin_utils._drift import (
    Assessment,
    failing_of,
    findings_of,
    task_drifts,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import (
    AccountContext,
    Exceptions,
    exception_text,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._history import (
    html_section as history_html,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._history import (
    markdown_section as history_markdown,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._history import (
    markdown_summary as history_summary,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._ocsf import render_ocsf

SCHEMA_VERSION = "1.3"

COMPLIANT = "compliant"
DRIFT = "drift"
CHANGED = "changed"
FAILED = "failed"
UNREACHABLE = "unreachable"
SKIPPED = "skipped"
# Every failing finding of the cell is covered by an unexpired accepted exception (baseline_exceptions_file).
ACCEPTED = "accepted"
# Internal event: drift that comes from failing findings alone; at build() it becomes ACCEPTED when every failing
# finding of the cell is accepted, DRIFT otherwise. Never in a report.
_FINDINGS_DRIFT = "drift (findings)"

# Worst wins when several results land in one account/control cell.
STATUS_ORDER = (SKIPPED, COMPLIANT, ACCEPTED, CHANGED, DRIFT, FAILED, UNREACHABLE)
_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}
# Statuses that make a scheduled drift check red; JUnit renders exactly these as <failure>.
PROBLEM_STATUSES = (DRIFT, FAILED)

# Controls of the Organization, checked once on its management account's host and skipped on every other.
ORGANIZATION_CONTROLS = ("root_credentials_management",)
NO_MANAGEMENT_HOST = "no host of this run is the Organization's management account, so it was not checked"

REDACTED = "**REDACTED**"
MAX_TEXT = 2000

# A key names a secret when its last word(s) say so. Booleans and numbers under such keys carry no secret
# (allow_users_to_change_password: true), so only strings and containers are redacted.
_SECRET_KEY_RE = re.compile(
    r"(^|_)(password|passwd|passphrase|secret|secret_key|secret_access_key|session_token|security_token|token"
    r"|private_key|seed|base32_string_seed|qr_code_png|credentials?|api_key)$"
    r"|secret"
)
# Substrings that look like AWS secret access keys (40 chars of base64), session tokens (long base64) or TOTP
# seeds (long Base32), whatever key they hide under, e.g. inside an error message.
_SECRET_VALUE_RES = (
    re.compile(
        r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[0-9])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
    ),
    re.compile(r"[A-Za-z0-9/+=]{100,}"),
    re.compile(r"(?<![A-Za-z0-9])(?=[A-Z2-7]*[2-7])[A-Z2-7]{32,}={0,6}(?![A-Za-z0-9])"),
)
# A value named as a secret inside a message, e.g. an error quoting "SecretAccessKey=..." or
# "aws_session_token: ...": whatever its shape, the value goes.
_NAMED_SECRET_RE = re.compile(
    r"(?i)((?:aws_)?(?:secret_?access_?key|session_?token|security_?token|secret_?key)[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;}]+"
)
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SLUG_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def _snake(key: str) -> str:
    return _CAMEL_RE.sub("_", key).lower()


def is_secret_key(key) -> bool:
    return isinstance(key, str) and bool(_SECRET_KEY_RE.search(_snake(key)))


def redact_text(text: str) -> str:
    text = _NAMED_SECRET_RE.sub(lambda m: m.group(1) + REDACTED, text)
    for pattern in _SECRET_VALUE_RES:
        text = pattern.sub(REDACTED, text)
    return text


def redact(value, _key=None):
    """A deep copy of `value` with secret-looking keys and values replaced by REDACTED."""
    if _key is not None and is_secret_key(_key) and isinstance(value, (str, bytes, dict, list, tuple)) and value:
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    if isinstance(value, str):
        return redact_text(value)
    return value


def _truncate(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _text(value) -> str:
    return _truncate(redact_text(" ".join(str(value).split())))


def worst(statuses) -> str:
    statuses = list(statuses)
    return max(statuses, key=_RANK.__getitem__) if statuses else SKIPPED


def _result_message(result: dict) -> str:
    """What a failed task said: its msg, with the AWS error code when the msg does not carry it."""
    message = ""
    for key in ("msg", "message", "reason", "skip_reason"):
        if result.get(key):
            value = result[key]
            message = "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
            break
    # amazon.aws's fail_json_aws puts the AWS error under `error` ({code, message}) besides a msg of our own.
    error = result.get("error")
    if isinstance(error, dict):
        code, text = error.get("code") or error.get("Code"), error.get("message") or error.get("Message")
        if code and str(code) not in message:
            message = f"{message} ({code}: {text})" if message and text else message or f"{code}: {text or ''}"
    elif isinstance(error, str) and error and not message:
        message = error
    if not message and _is_censored(result):
        return "details hidden by no_log"
    return _text(message) if message else ""


def _diffs_of(result: dict) -> list:
    diffs = []
    sources = [result] + [item for item in result.get("results") or [] if isinstance(item, dict)]
    for source in sources:
        diff = source.get("diff")
        for one in diff if isinstance(diff, list) else [diff]:
            if isinstance(one, dict) and ("before" in one or "after" in one):
                diffs.append(one)
    return diffs


def _is_censored(result: dict) -> bool:
    return bool(result.get("censored") or result.get("_ansible_no_log"))


CREATE, DELETE, UPDATE = "create", "delete", "update"


def changed_fields(before, after, prefix: str = "", limit: int = 20) -> list:
    """Flat [{field, before, after, action}] of what differs between two (already redacted) diff sides.

    A resource that does not exist yet (or any more) is one `create` (`delete`) entry, not a list of its fields
    against nothing; its field is "(resource)" at the top level, else its key path.
    """
    out = []
    field = prefix[:-1] or "(value)"
    if before is None and isinstance(after, dict):
        out.append({"field": prefix[:-1] or "(resource)", "before": None, "after": after, "action": CREATE})
    elif after is None and isinstance(before, dict):
        out.append({"field": prefix[:-1] or "(resource)", "before": before, "after": None, "action": DELETE})
    elif isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            if before.get(key) != after.get(key):
                out.extend(changed_fields(before.get(key), after.get(key), f"{prefix}{key}.", limit))
    elif before != after:
        out.append({"field": field, "before": before, "after": after, "action": UPDATE})
    return out[:limit]


def selected_controls(control_ids, run_tags=(), skip_tags=()) -> set:
    """The controls a run selected with --tags / --skip-tags.

    --tags naming control ids selects exactly those; other --tags values (all, tagged, baseline, family tags)
    select every control. --skip-tags naming control ids removes them.
    """
    run_tags, skip_tags = set(run_tags or ()), set(skip_tags or ())
    named = run_tags & set(control_ids)
    chosen = named if named else set(control_ids)
    return chosen - skip_tags


class ReportBuilder:
    """Collects task events of one playbook run and builds the report model (a JSON-ready dict).

    `controls` maps control id -> {"title": str, "cis": [str, ...]}, in display order. `selected` is the set of
    control ids the run selected (see selected_controls()); results for other controls are ignored, because a
    checking task that covers two controls also runs when only one of them was asked for.
    """

    def __init__(self, controls: dict, selected=None) -> None:
        self.controls = {
            cid: {"title": c.get("title", cid), "cis": list(c.get("cis", []))} for cid, c in controls.items()
        }
        self.selected = set(self.controls) if selected is None else set(selected) & set(self.controls)
        self.hosts = {}
        self.contributed = False

    # -- collection ---------------------------------------------------------------------------------------------
    def add_host(self, host: str, account_id=None, name=None, ou_path=None) -> dict:
        entry = self.hosts.get(host)
        if entry is None:
            entry = self.hosts[host] = {
                "host": host,
                "account_id": None,
                "name": None,
                "ou_path": None,
                "errors": [],
                "notes": [],
                "unreachable": False,
                "stopped_by": None,
                "assessment": None,
                "exceptions": None,
                "cells": {
                    cid: {
                        "events": [],
                        "findings": [],
                        "changes": [],
                        "errors": [],
                        "tasks": [],
                        "skipped": [],
                        "member": False,
                    }
                    for cid in self.controls
                },
            }
        for key, value in (("account_id", account_id), ("name", name), ("ou_path", ou_path)):
            if value not in (None, "") and entry[key] is None:
                entry[key] = str(value)
        return entry

    def add_event(
        self,
        host: str,
        task: str,
        status: str,
        result: dict | None = None,
        tags=(),
        check_mode=False,
        ignore_errors=False,
    ) -> None:
        """Record one task result.

        `status` is the Ansible outcome: ok, changed, failed, skipped or unreachable. `result` is the task's result
        dict as a callback sees it (already censored by Ansible when the task had no_log).
        """
        entry = self.add_host(host)
        result = result if isinstance(result, dict) else {}
        task = _text(task or "(unnamed task)")
        control_tags = [t for t in tags or () if t in self.selected]
        if control_tags:
            self.contributed = True

        if status == "unreachable":
            entry["unreachable"] = True
            entry["errors"].append({"task": task, "message": _result_message(result) or "host unreachable"})
            for cell in entry["cells"].values():
                cell["events"].append(UNREACHABLE)
            return

        if status == "failed" and not ignore_errors and entry["stopped_by"] is None:
            entry["stopped_by"] = task
        findings = None if _is_censored(result) else findings_of(result)
        if findings is not None:
            self._add_checking_event(entry, task, status, result, findings, control_tags, check_mode)
        elif control_tags:
            for cid in control_tags:
                self._add_control_event(entry["cells"][cid], task, status, result, check_mode)
        elif status == "failed" and not ignore_errors:
            self._add_host_failure(entry, task, result)

    def _add_checking_event(self, entry, task, status, result, findings, control_tags, check_mode) -> None:
        by_control = {}
        for found in findings:
            cid = found.control
            if cid in self.selected:
                by_control.setdefault(cid, []).append(found)
            elif cid not in self.controls:
                entry["notes"].append(f"{task}: finding for unknown control {cid!r} ignored")
        targets = list(by_control) + [cid for cid in control_tags if cid not in by_control]
        # A task covering several controls names those it checked (``controls``) and those it changed
        # (``changed_controls``): a control it did not check gets no event (unless the task failed: then every control
        # it is tagged with failed), one it did not change stays compliant.
        checked = result.get("controls") if isinstance(result.get("controls"), list) else None
        if checked is not None and status != "failed":
            targets = [cid for cid in targets if cid in checked or cid in by_control]
        changed_only = result.get("changed_controls") if isinstance(result.get("changed_controls"), list) else None
        if by_control:
            self.contributed = True
        for cid in targets:
            cell = entry["cells"][cid]
            found = by_control.get(cid, [])
            failing = [f for f in found if f.failing]
            cell["findings"].extend(
                {
                    "id": cid,
                    "status": f.status,
                    "resource": _text(f.resource),
                    "message": _text(f.message),
                    "cis": list(f.cis),
                }
                for f in found
            )
            changed = status == "changed" and (changed_only is None or cid in changed_only)
            if status == "skipped":
                outcome = SKIPPED
            elif failing:
                # fail_on_noncompliance turns findings into a failed task; the findings are still the drift. An
                # exception may accept them (build()), but never what a task would change under --check.
                outcome = DRIFT if changed and check_mode else _FINDINGS_DRIFT
            elif status == "failed":
                outcome = FAILED
                cell["errors"].append({"task": task, "message": _result_message(result) or "task failed"})
            elif task_drifts(changed=changed, check_mode=check_mode, failing=failing):
                outcome = DRIFT
            else:
                outcome = CHANGED if changed else COMPLIANT
            cell["events"].append(outcome)
            cell["tasks"].append({"task": task, "result": status if changed or status != "changed" else "ok"})
            if changed:
                self._add_changes(cell, task, result, cid if changed_only is not None else None)

    def _add_control_event(self, cell, task, status, result, check_mode) -> None:
        cell["tasks"].append({"task": task, "result": status})
        if status == "failed":
            cell["events"].append(FAILED)
            cell["errors"].append({"task": task, "message": _result_message(result) or "task failed"})
        elif status == "skipped":
            cell["events"].append(SKIPPED)
            # A module that skipped itself says why (root_credentials_management on a member account); a
            # conditional skip has no msg and keeps the generic reason.
            if isinstance(result.get("msg"), str) and result["msg"] and not _is_censored(result):
                cell["skipped"].append(_text(result["msg"]))
                cell["member"] = cell["member"] or result.get("placement") == "member"
        elif status == "changed":
            drifts = task_drifts(changed=True, check_mode=check_mode, failing=failing_of(result))
            cell["events"].append(DRIFT if drifts else CHANGED)
            self._add_changes(cell, task, result)
        else:
            cell["events"].append(COMPLIANT)

    def _add_changes(self, cell, task, result, control: str | None = None) -> None:
        """The task's diffs in the cell; a task covering several controls may key its diff by control id
        (iam_account_check), and then a cell shows only its own control's part (``control``)."""
        if _is_censored(result):
            cell["changes"].append({"task": task, "censored": True, "before": None, "after": None, "fields": []})
            return
        diffs = _diffs_of(result)
        if not diffs:
            cell["changes"].append({"task": task, "censored": False, "before": None, "after": None, "fields": []})
        for diff in diffs:
            before, after = redact(diff.get("before")), redact(diff.get("after"))
            keyed = isinstance(before, dict) and isinstance(after, dict) and (control in before or control in after)
            if control is not None and keyed:
                before, after = before.get(control), after.get(control)
            cell["changes"].append(
                {
                    "task": task,
                    "censored": False,
                    "before": before,
                    "after": after,
                    "fields": changed_fields(before, after),
                }
            )

    def add_assessment(self, host: str, assessment: Assessment) -> None:
        """The drift gate's view of one account (drift items with their fixes, manual steps, notes), as the console
        showed it: not narrowed to the controls --tags selected, so the files say what the console said."""
        entry = self.add_host(host)
        entry["assessment"] = {
            "drift": [
                {
                    "control": item.control,
                    "message": _text(item.message),
                    "resource": _text(item.resource),
                    "fix_variable": item.fix_variable,
                    "fix": _text(item.fix) if item.fix else None,
                    "manual": item.manual,
                    "expired_exception": _exception_text(item.expired_exception) if item.expired_exception else None,
                }
                for item in assessment.drift
            ],
            "manual": [_text(step) for step in assessment.manual],
            "accepted": [
                {
                    "control": item.control,
                    "message": _text(item.message),
                    "resource": _text(item.resource),
                    "exception": _exception_text(item.exception),
                }
                for item in assessment.accepted
            ],
            "reported": [
                {
                    "control": note.control,
                    "message": _text(note.message),
                    "fix_variable": note.fix_variable,
                    "fix": _text(note.fix) if note.fix else None,
                }
                for note in assessment.notes
            ],
        }
        raw = assessment.exceptions or {}
        exceptions = Exceptions.from_dict(raw)
        if exceptions is not None:
            entry["exceptions"] = (exceptions, AccountContext.from_dict(raw.get("account")))

    def _add_host_failure(self, entry, task, result) -> None:
        message = _result_message(result) or "task failed"
        entry["errors"].append({"task": task, "message": message})
        reached = any(ev != SKIPPED for cell in entry["cells"].values() for ev in cell["events"])
        if reached:
            # Failing after the controls ran (e.g. the baseline_fail_on_drift gate) says nothing new about them.
            return
        # A setup task (account session/guard, argument validation) failed: no control of this account was checked.
        for cell in entry["cells"].values():
            cell["events"].append(FAILED)
            cell["errors"].append({"task": task, "message": message})

    def organization_controls_unchecked(self) -> set:
        """The once-per-Organization controls that some host skipped as a member account but no host of the run
        checked: the run had no management account's host, so the Organization was not checked (never a pass)."""
        unchecked = set()
        for cid in ORGANIZATION_CONTROLS:
            cells = [entry["cells"][cid] for entry in self.hosts.values() if cid in entry["cells"]]
            if any(cell["member"] for cell in cells) and not any(
                ev != SKIPPED for cell in cells for ev in cell["events"]
            ):
                unchecked.add(cid)
        return unchecked

    # -- model --------------------------------------------------------------------------------------------------
    def build(
        self,
        *,
        run_id: str,
        started: str,
        finished: str,
        mode: str,
        diff: bool = False,
        playbooks=(),
        generator=None,
        inventory=(),
        limit: str | None = None,
    ) -> dict:
        accounts = []
        unchecked = self.organization_controls_unchecked()
        usage = _ExceptionUsage()
        for host in sorted(self.hosts, key=lambda h: (self.hosts[h]["account_id"] or "", h)):
            entry = self.hosts[host]
            assessment = entry["assessment"]
            controls = {}
            if entry["exceptions"] is not None:
                usage.add_file(entry["exceptions"][0])
            for cid, cell in entry["cells"].items():
                findings = _apply_exceptions(cell["findings"], entry["exceptions"], usage)
                events = _resolve_findings_drift(cell["events"], findings)
                status = worst(events)
                reason = None
                if not cell["events"]:
                    reason = "not run (excluded by tags or toggles)"
                    if entry["stopped_by"]:
                        reason = f"not run: the host stopped after the failed task {entry['stopped_by']!r}"
                    if cid not in self.selected:
                        reason = "not selected by --tags / --skip-tags"
                elif status == SKIPPED:
                    reason = "skipped (toggle or condition)"
                    if cell["skipped"]:
                        reason = "skipped: " + cell["skipped"][0]
                        if cid in unchecked:
                            reason += f"; {NO_MANAGEMENT_HOST}"
                accepted = [f["exception"] for f in findings if f["status"] == ACCEPTED]
                controls[cid] = {
                    "status": status,
                    "title": self.controls[cid]["title"],
                    "cis": self.controls[cid]["cis"],
                    "reason": reason,
                    "exception": _cell_exception(accepted[0]) if status == ACCEPTED and accepted else None,
                    "findings": findings,
                    "changes": cell["changes"],
                    "errors": cell["errors"],
                    "tasks": cell["tasks"],
                }
            statuses = [c["status"] for c in controls.values()]
            accounts.append(
                {
                    "host": host,
                    "account_id": entry["account_id"],
                    "name": entry["name"],
                    "ou_path": entry["ou_path"],
                    "status": worst(statuses),
                    "errors": entry["errors"],
                    "notes": entry["notes"],
                    # null when the drift gate did not run for the account (it stopped before, or another playbook)
                    "drift": assessment["drift"] if assessment else None,
                    "manual": assessment["manual"] if assessment else None,
                    "reported": assessment["reported"] if assessment else None,
                    "accepted": assessment["accepted"] if assessment else None,
                    "controls": controls,
                }
            )
        summary = summarize(accounts, len(self.controls))
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": generator or {"name": "accountguard.aws.report"},
            "run": {
                "id": run_id,
                "started": started,
                "finished": finished,
                "mode": mode,
                "diff": bool(diff),
                "playbooks": list(playbooks),
                "exceptions": usage.report(self.selected),
                # (1.3) what "the same inventory" means for changes_since (_history) and the merge (_merge)
                "inventory": list(inventory),
                "limit": limit or None,
            },
            "controls": [{"id": cid, **c} for cid, c in self.controls.items()],
            "summary": summary,
            # (1.3) filled in by the caller against the report directory's history (_history.changes_since)
            "changes_since": None,
            "accounts": accounts,
        }


def summarize(accounts: list, controls: int) -> dict:
    """The report's summary, from its accounts (each with `status` and `controls`): also recomputes a merge's."""
    totals = {status: 0 for status in STATUS_ORDER}
    for account in accounts:
        for cell in account["controls"].values():
            totals[cell["status"]] += 1
    # A once-per-Organization control skipped on the other hosts, because it was checked on the Organization's
    # management host (in this run or, for a merge, in another slice) or there is no Organization, does not make
    # a run incomplete; skipped everywhere for want of a management host, it does.
    not_applicable = 0
    for cid in ORGANIZATION_CONTROLS:
        cells = [a["controls"][cid] for a in accounts if cid in a["controls"]]
        checked = any(cell["status"] != SKIPPED for cell in cells)
        not_applicable += sum(
            1
            for cell in cells
            if cell["status"] == SKIPPED
            and (cell.get("reason") or "").startswith("skipped: ")
            and (checked or NO_MANAGEMENT_HOST not in cell["reason"])
        )
    problem_pairs = sum(totals[s] for s in PROBLEM_STATUSES)
    return {
        "accounts": len(accounts),
        "controls": controls,
        "by_status": totals,
        "drifted_pairs": totals[DRIFT],
        "accepted_pairs": totals[ACCEPTED],
        "failed_pairs": totals[FAILED],
        "problem_pairs": problem_pairs,
        "accounts_by_status": {s: sum(1 for a in accounts if a["status"] == s) for s in STATUS_ORDER},
        # True when nothing that ran drifted, failed or was unreachable; `complete` says whether every
        # control of every account ran (a --tags run is compliant for what it checked, not complete).
        "compliant": problem_pairs == 0 and totals[UNREACHABLE] == 0,
        "complete": totals[SKIPPED] - not_applicable == 0,
    }


# -- accepted exceptions ----------------------------------------------------------------------------------------
def _exception_text(exception) -> dict:
    """An exception as the report carries it: {index, reason, owner, expires, ticket}, texts redacted/truncated."""
    exception = exception or {}
    return {
        "index": exception.get("index"),
        "reason": _text(exception.get("reason") or ""),
        "owner": _text(exception.get("owner") or ""),
        "expires": exception.get("expires"),
        "ticket": _text(exception["ticket"]) if exception.get("ticket") else None,
    }


def _cell_exception(exception: dict) -> dict:
    return {key: exception[key] for key in ("reason", "owner", "expires", "ticket")} | {"index": exception["index"]}


class _ExceptionUsage:
    """Which entries of which exceptions files accepted or would have accepted (expired) findings in this run."""

    def __init__(self) -> None:
        self.files = {}  # source -> Exceptions (first seen)
        self.accepted = {}  # (source, index) -> number of findings accepted
        self.lapsed = {}  # (source, index) -> number of failing findings an expired entry would have accepted

    def add_file(self, exceptions: Exceptions) -> None:
        self.files.setdefault(exceptions.source, exceptions)

    def count(self, table: dict, source: str, index: int) -> None:
        table[(source, index)] = table.get((source, index), 0) + 1

    def report(self, selected) -> dict | None:
        """run.exceptions: the files, and their expired, expiring and unused entries (each with index and keys)."""
        if not self.files:
            return None
        out = {"files": list(self.files), "expired": [], "expiring": [], "unused": []}
        first = next(iter(self.files.values()))
        out.update(today=first.today.isoformat(), warn_days=first.warn_days)
        for source, exceptions in self.files.items():
            for item in exceptions.entries:
                listed = {"file": source, **item.to_dict()}
                listed.update(reason=_text(item.reason), owner=_text(item.owner))
                key = (source, item.index)
                if item.expired(exceptions.today):
                    out["expired"].append({**listed, "findings": self.lapsed.get(key, 0)})
                    continue
                if item.expiring(exceptions.today, exceptions.warn_days):
                    out["expiring"].append({**listed, "days_left": item.days_left(exceptions.today)})
                # An entry of a control this run did not select had no chance to match: not "unused".
                if key not in self.accepted and item.control in selected:
                    out["unused"].append(listed)
        return out


def _apply_exceptions(findings: list, exceptions, usage: _ExceptionUsage) -> list:
    """The cell's findings with every failing one an unexpired entry covers as `accepted` (with its exception);
    a failing one only an expired entry covers names it as `expired_exception`."""
    if exceptions is None:
        return findings
    loaded, account = exceptions
    out = []
    for found in findings:
        if found["status"] != "fail":
            out.append(found)
            continue
        entry = loaded.match(account, found["id"], found["resource"])
        if entry is not None:
            usage.count(usage.accepted, loaded.source, entry.index)
            out.append({**found, "status": ACCEPTED, "exception": _exception_text(entry.exception())})
            continue
        lapsed = loaded.lapsed(account, found["id"], found["resource"])
        if lapsed is not None:
            usage.count(usage.lapsed, loaded.source, lapsed.index)
            found = {**found, "expired_exception": _exception_text(lapsed.exception())}
        out.append(found)
    return out


def _resolve_findings_drift(events: list, findings: list) -> list:
    """Drift that comes from failing findings alone is `accepted` when no failing finding is left."""
    if _FINDINGS_DRIFT not in events:
        return events
    if any(f["status"] == "fail" for f in findings) or not any(f["status"] == ACCEPTED for f in findings):
        resolved = DRIFT
    else:
        resolved = ACCEPTED
    return [resolved if event == _FINDINGS_DRIFT else event for event in events]


# -- helpers for the renderers ----------------------------------------------------------------------------------
def account_label(account: dict) -> str:
    name = account.get("name") or account["host"]
    account_id = account.get("account_id")
    return f"{name} ({account_id})" if account_id and account_id != name else name


def _cis_groups(cis) -> dict:
    """{"v3.0": ["1.8", ...], ...}: recommendation numbers per benchmark version, oldest version first.

    Known versions come in CIS_VERSIONS order whatever the order of `cis`; an unknown benchmark follows them, in
    the order it first appears.
    """
    groups = {}
    for ref in cis or []:
        bench, rec = ref.split(":", 1) if ":" in ref else (ref, "")
        groups.setdefault(bench, []).append(rec)
    rank = {bench: i for i, bench in enumerate(CIS_VERSIONS)}
    return {
        bench.replace("cis-aws-", "v"): groups[bench] for bench in sorted(groups, key=lambda b: rank.get(b, len(rank)))
    }


def short_cis(cis) -> str:
    """["cis-aws-3.0:1.8", "cis-aws-5.0:1.7"] -> "CIS v3.0 1.8 / v5.0 1.7", versions oldest first."""
    groups = _cis_groups(cis)
    return "CIS " + " / ".join(f"{bench} {', '.join(recs)}" for bench, recs in groups.items()) if groups else ""


def _compact(value, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return _truncate(text, limit)


def verdict(summary: dict) -> str:
    if not summary["accounts"]:
        return "no account was checked"
    if not summary["compliant"]:
        problem = f"{summary['problem_pairs']} account/control pair(s) need attention"
        return f"{problem} ({summary['drifted_pairs']} drift, {summary['failed_pairs']} failed)"
    accepted = summary.get("accepted_pairs") or 0
    if summary["complete"]:
        return "every account is compliant" + (
            f" ({accepted} account/control pair(s) accepted by exceptions)" if accepted else ""
        )
    skipped = summary["by_status"][SKIPPED]
    also = f"; {accepted} accepted by exceptions" if accepted else ""
    return f"no drift in what ran ({skipped} account/control pair(s) skipped or not run{also})"


def cells_with(report: dict, statuses):
    """(account, control id, control) for every cell whose status is in `statuses`, in report order."""
    for account in report["accounts"]:
        for cid, control in account["controls"].items():
            if control["status"] in statuses:
                yield account, cid, control


def _no_diff(run_diff: bool) -> str:
    return "the module returned no diff" if run_diff else "no diff: run with --diff for before/after"


_VERBS = {  # (drift, changed)
    UPDATE: ("would change", "changed"),
    CREATE: ("would create", "created"),
    DELETE: ("would delete", "deleted"),
}


def field_text(change: dict, drift: bool) -> str:
    """One changed field in words: "name: before -> after", or "would create" for a whole new resource."""
    action = change.get("action") or UPDATE
    if action == UPDATE:
        return f"{change['field']}: {_compact(change['before'], 60)} -> {_compact(change['after'], 60)}"
    verb = _VERBS[action][0 if drift else 1]
    return verb if change["field"] == "(resource)" else f"{change['field']}: {verb}"


def detail_lines(control: dict, run_diff: bool = True) -> list:
    """Human lines (plain text) explaining one cell: failing findings, what would change, errors."""
    lines = [
        f"finding: {f['message']} [{f['resource']}]" + _lapsed_text(f.get("expired_exception"))
        for f in control["findings"]
        if f["status"] == "fail"
    ]
    lines += [
        f"accepted: {f['message']} [{f['resource']}] ({exception_text(f['exception'])})"
        for f in control["findings"]
        if f["status"] == ACCEPTED
    ]
    drift = control["status"] == DRIFT
    verb = _VERBS[UPDATE][0 if drift else 1]
    for change in control["changes"]:
        fields = change["fields"]
        if change["censored"]:
            lines.append(f"{change['task']}: {verb} (details hidden by no_log)")
        elif len(fields) == 1 and fields[0]["field"] == "(resource)":
            lines.append(f"{change['task']}: {field_text(fields[0], drift)}")
        elif fields:
            lines.append(f"{change['task']}: {verb} " + "; ".join(field_text(c, drift) for c in fields))
        else:
            lines.append(f"{change['task']}: {verb} ({_no_diff(run_diff)})")
    lines.extend(f"error in {e['task']}: {e['message']}" for e in control["errors"])
    return lines


def _lapsed_text(exception: dict | None) -> str:
    if not exception:
        return ""
    return f" (exception #{exception.get('index')} of {exception.get('owner')} expired on {exception.get('expires')})"


def exception_lines(report: dict) -> list[tuple[str, str]]:
    """(kind, line) of the run's exceptions file: expired entries first (they made findings drift again), then
    expiring and unused ones."""
    found = report["run"].get("exceptions")
    if not found:
        return []
    out = []
    for item in found["expired"]:
        hits = f"; {item['findings']} finding(s) are drift again" if item.get("findings") else ""
        out.append(("expired", f"exception #{item['index']} expired on {item['expires']}{hits}: {_entry_text(item)}"))
    for item in found["expiring"]:
        out.append(
            (
                "expiring",
                f"exception #{item['index']} expires on {item['expires']} (in {item['days_left']} day(s)): "
                + _entry_text(item),
            )
        )
    for item in found["unused"]:
        out.append(("unused", f"exception #{item['index']} matched no finding in this run: {_entry_text(item)}"))
    return out


def _entry_text(item: dict) -> str:
    resource = item.get("resource") or "every resource"
    ticket = f", ticket {item['ticket']}" if item.get("ticket") else ""
    return (
        f"account {item['account']}, control {item['control']}, {resource} "
        f"(owner {item['owner']}{ticket}; {item['reason']})"
    )


def fix_text(item: dict) -> str:
    """How a drift item or note is fixed, naming the variable: "fix: baseline_x (set baseline_x: true ...)"."""
    variable, words = item.get("fix_variable"), item.get("fix")
    if variable and words and variable in words:
        return words
    if variable:
        return f"{variable}: {words}" if words else variable
    return words or ""


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=False, default=str) + "\n"


# -- Markdown ---------------------------------------------------------------------------------------------------
_MD_BADGE = {
    COMPLIANT: "\u2705",
    ACCEPTED: "\u2611\ufe0f accepted",
    DRIFT: "\u26a0\ufe0f drift",
    CHANGED: "\U0001f527 changed",
    FAILED: "\u274c failed",
    UNREACHABLE: "\U0001f50c unreachable",
    SKIPPED: "\u2796",
}


# Everything of Markdown's inline syntax that text from an account (its name, a task name, an AWS message) could
# use to become a link, an image, emphasis, code, a heading, raw HTML or a new table cell. CommonMark renders any
# backslash-escaped ASCII punctuation as the character itself.
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]()<>|#!~&])")
# GitHub also links bare URLs ("http://...", "www....") and e-mail addresses in plain text; an escaped character
# splits the text there, so no link is recognised.
_MD_AUTOLINK_RE = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<=www)(\.)|(@)")
MD_LIST_LIMIT = 50


def _md(text) -> str:
    """Text for any place in the Markdown report: one line, rendered as exactly these characters, never markup."""
    text = _MD_SPECIAL_RE.sub(r"\\\1", " ".join(str(text).split()))
    return _MD_AUTOLINK_RE.sub(lambda m: "\\" + m.group(0), text)


def _md_code(text) -> str:
    """A code span that no backtick inside the text can close early."""
    text = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_account_sections(account: dict) -> list:
    """What the console said of the account at the end of the run: drift with fixes, manual steps, notes."""
    drift, manual, reported = account.get("drift"), account.get("manual"), account.get("reported")
    accepted = account.get("accepted")
    if not (drift or manual or reported or accepted):
        return []
    out = [f"### {_md(account_label(account))}", ""]
    if drift:
        out.append(f"Drift ({len(drift)} item(s)):")
        out.append("")
        for item in drift[:MD_LIST_LIMIT]:
            where = f" [{_md(item['resource'])}]" if item.get("resource") else ""
            fix = fix_text(item)
            out.append(f"- `{item['control']}`: {_md(item['message'])}{where}" + (f"; fix: {_md(fix)}" if fix else ""))
        if len(drift) > MD_LIST_LIMIT:
            out.append(f"- ... and {len(drift) - MD_LIST_LIMIT} more (see the JSON report)")
        out.append("")
    if accepted:
        out.append(f"Accepted by an exception ({len(accepted)} item(s)):")
        out.append("")
        for item in accepted[:MD_LIST_LIMIT]:
            where = f" [{_md(item['resource'])}]" if item.get("resource") else ""
            out.append(
                f"- `{item['control']}`: {_md(item['message'])}{where}; {_md(exception_text(item['exception']))}"
            )
        if len(accepted) > MD_LIST_LIMIT:
            out.append(f"- ... and {len(accepted) - MD_LIST_LIMIT} more (see the JSON report)")
        out.append("")
    if manual:
        out.extend(["Only a person can:", ""])
        out.extend(f"- {_md(step)}" for step in manual)
        out.append("")
    if reported:
        out.extend(["Reported, not changed:", ""])
        for note in reported:
            fix = fix_text(note)
            out.append(f"- `{note['control']}`: {_md(note['message'])}" + (f"; to change: {_md(fix)}" if fix else ""))
        out.append("")
    return out


def render_markdown(report: dict, html_path: str | None = None) -> str:
    run, summary = report["run"], report["summary"]
    out = [f"# AWS account baseline: {'drift' if run['mode'] == 'check' else 'apply'} report", ""]
    counts = summary["accounts_by_status"]
    out.append(
        f"Run `{run['id']}` in **{run['mode']}** mode: {summary['accounts']} account(s), "
        f"{summary['controls']} controls; {verdict(summary)}."
    )
    out.append(
        "Accounts: " + ", ".join(f"{counts[s]} {s}" for s in reversed(STATUS_ORDER) if counts.get(s)) + "."
        if summary["accounts"]
        else "No account was checked."
    )
    out.extend(history_summary(report))
    out.append("")
    if report["accounts"]:
        ids = [c["id"] for c in report["controls"]]
        out.append("| Account | " + " | ".join(f"`{cid}`" for cid in ids) + " |")
        out.append("|---|" + "---|" * len(ids))
        for account in report["accounts"]:
            cells = [_MD_BADGE[account["controls"][cid]["status"]] for cid in ids]
            out.append(f"| {_md(account_label(account))} | " + " | ".join(cells) + " |")
        out.append("")
        out.append(
            "Legend: \u2705 compliant, \u2611\ufe0f accepted (every failing finding covered by an accepted exception), "
            "\u26a0\ufe0f drift (would change or a check failed), \U0001f527 changed (applied), \u274c failed, "
            "\U0001f50c unreachable, \u2796 skipped / not run."
        )
        out.append("")
    out.extend(history_markdown(report, _md))
    lapsed = exception_lines(report)
    if lapsed:
        out.extend(["## Accepted exceptions file", ""])
        out.extend(f"- **{kind}**: {_md(_truncate(line, 600))}" for kind, line in lapsed)
        out.append("")
    for heading, statuses in (
        ("What needs attention", (*PROBLEM_STATUSES, UNREACHABLE)),
        ("Accepted by an exception", (ACCEPTED,)),
        ("What this run changed", (CHANGED,)),
    ):
        details = list(cells_with(report, statuses))
        if not details:
            continue
        out.extend([f"## {heading}", ""])
        current = None
        for account, cid, control in details:
            if account is not current:
                if current is not None:
                    out.append("")
                current = account
                out.extend([f"### {_md(account_label(account))}", ""])
            cis = short_cis(control["cis"])
            out.append(
                f"- **`{cid}`** {_md(control['title'])}{f' ({_md(cis)})' if cis else ''}: **{control['status']}**"
            )
            out.extend(f"  - {_md(_truncate(line, 400))}" for line in detail_lines(control, run["diff"]))
        out.append("")
    per_account = [line for account in report["accounts"] for line in _md_account_sections(account)]
    if per_account:
        out.extend(["## What to do, per account", "", *per_account])
    errors = [(a, e) for a in report["accounts"] for e in a["errors"]]
    if errors:
        out.append("## Run errors")
        out.append("")
        out.extend(
            f"- {_md(account_label(a))}: {_md(e['task'])}: {_md(_truncate(e['message'], 400))}" for a, e in errors
        )
        out.append("")
    if html_path:
        out.append(f"Full report with details: {_md_code(html_path)}")
        out.append("")
    return "\n".join(out)


# -- HTML -------------------------------------------------------------------------------------------------------
_CSS = """
:root{--accepted:#4d7a5a;--ok:#1a7f37;--drift:#b35900;--changed:#0969da;--failed:#cf222e;--unreach:#8250df;--skip:#6e7781}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1f2328;
background:#f6f8fa}
header{background:#24292f;color:#fff;padding:16px 24px}
header h1{margin:0 0 4px;font-size:20px}
header p{margin:0;color:#d0d7de}
main{padding:16px 24px;overflow-wrap:break-word}
.summary{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 16px}
.chip{border-radius:16px;padding:4px 12px;background:#fff;border:1px solid #d0d7de}
.verdict{font-weight:600}
/* The matrix scrolls inside its box, never the page: the account column and the two header rows stay put. The box
is positioned so that the screen-reader texts (.sr, absolute) of hidden cells stay inside it, not widen the page. */
.matrix-wrap{position:relative;overflow:auto;max-width:100%;width:fit-content;max-height:calc(100vh - 24px);
background:#fff;border:1px solid #d0d7de}
table.matrix{border-collapse:separate;border-spacing:0}
.matrix th,.matrix td{border:0 solid #d0d7de;border-width:0 1px 1px 0;padding:3px 4px;text-align:center}
.matrix .fs{border-left:2px solid #8c959f}
.matrix thead th{position:sticky;top:0;z-index:2;background:#f6f8fa;font-size:12px;line-height:16px}
.matrix thead tr.fam th{height:25px;font-weight:700}
/* Control columns as narrow as their label's longest word; the account column takes what is left. */
.matrix thead tr.ctl th{top:25px;font-weight:600;font-size:11px;line-height:14px;width:1px;min-width:40px}
.matrix th.acct{position:sticky;left:0;z-index:1;background:#fff;text-align:left;min-width:11rem;max-width:22rem;
overflow-wrap:anywhere}
.matrix thead th.acct{z-index:3;background:#f6f8fa}
.acct small{display:block;color:#57606a;font-weight:400;font-size:11px;line-height:14px}
a.cell,.key .sym{display:inline-block;width:32px;border-radius:5px;color:#fff;text-decoration:none;text-align:center;
font-weight:700;font-size:14px;line-height:20px}
a.cell:hover,a.cell:focus{outline:2px solid #24292f}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center}
.key{display:inline-flex;gap:4px;align-items:center}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.s-compliant{background:var(--ok)}.s-drift{background:var(--drift)}.s-changed{background:var(--changed)}
.s-failed{background:var(--failed)}.s-unreachable{background:var(--unreach)}.s-skipped{background:var(--skip)}
.s-accepted{background:var(--accepted)}
@media print{.matrix-wrap{overflow:visible;max-height:none}.matrix thead th,.matrix th.acct{position:static}}
ul.exceptions li.expired{color:#8a1c1c;font-weight:600}
.detail{display:none;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;margin:16px 0}
.detail:target{display:block}
.detail{scroll-margin-top:60vh}
.detail h2{margin:0 0 8px;font-size:16px}
.badge{color:#fff;border-radius:10px;padding:2px 8px;font-size:12px}
main h2{font-size:16px;margin:20px 0 8px}
ul.attention{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 8px 8px 28px}
ul.attention li{margin:4px 0}
.detail pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px}
.hint{color:#57606a}
ul.findings li.fail{color:#8a1c1c}
.errors{border-left:4px solid var(--failed);padding-left:8px}
.todo{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:4px 16px;margin:8px 0}
.todo h3{font-size:14px;margin:8px 0}
footer{padding:8px 24px 24px;color:#57606a;font-size:12px}
.changes figure{margin:8px 0}.changes svg{background:#fff;border:1px solid #d0d7de;border-radius:6px}
.ch-new{border-color:var(--drift)}.ch-resolved{border-color:var(--ok)}.ch-newly_accepted{border-color:var(--accepted)}
"""


def _slug(text: str) -> str:
    return _SLUG_RE.sub("-", text).strip("-") or "x"


def _h(text) -> str:
    return html.escape(str(text), quote=True)


def _pretty(value) -> str:
    return _truncate(json.dumps(value, indent=2, sort_keys=True, default=str), 20000)


def _html_detail(account: dict, cid: str, control: dict, run_diff: bool) -> str:
    anchor = f"d-{_slug(account['host'])}-{cid}"
    parts = [
        f'<section class="detail" id="{_h(anchor)}">',
        f"<h2>{_h(account_label(account))} &middot; <code>{_h(cid)}</code> "
        f'<span class="badge s-{_h(control["status"])}">{_h(control["status"])}</span></h2>',
        f"<p>{_h(control['title'])}"
        + (f" &middot; {_h(short_cis(control['cis']))}" if control["cis"] else "")
        + "</p>",
    ]
    if account.get("ou_path"):
        parts.append(f'<p class="hint">OU {_h(account["ou_path"])} &middot; inventory host {_h(account["host"])}</p>')
    if control.get("reason"):
        parts.append(f'<p class="hint">{_h(control["reason"])}</p>')
    if control.get("exception"):
        parts.append(f"<p>Accepted: {_h(exception_text(control['exception']))}</p>")
    if control["findings"]:
        parts.append('<h3>Findings</h3><ul class="findings">')
        for f in sorted(control["findings"], key=lambda f: (f["status"] != "fail", f["status"] != ACCEPTED)):
            extra = _lapsed_text(f.get("expired_exception"))
            if f.get("exception"):
                extra = f" ({exception_text(f['exception'])})"
            # A finding of one check cites only that check's recommendations: show them where they narrow the
            # control's (the control's full list is in the heading above).
            own = short_cis(f.get("cis")) if list(f.get("cis") or ()) != list(control["cis"]) else ""
            parts.append(
                f'<li class="{_h(f["status"])}"><strong>{_h(f["status"])}</strong> {_h(f["message"])} '
                f'<span class="hint">{_h(f["resource"])}</span>{_h(extra)}'
                + (f' <span class="hint cis">{_h(own)}</span>' if own else "")
                + "</li>"
            )
        parts.append("</ul>")
    if control["changes"]:
        parts.append("<h3>Changes</h3>")
        for change in control["changes"]:
            parts.append(f"<p><strong>{_h(change['task'])}</strong></p>")
            if change["censored"]:
                parts.append('<p class="hint">Details hidden: the task runs with no_log.</p>')
            elif change["before"] is None and change["after"] is None:
                parts.append(f'<p class="hint">{_h(_no_diff(run_diff).capitalize())}.</p>')
            else:
                if change["fields"]:
                    parts.append("<ul>")
                    parts.extend(
                        f"<li><code>{_h(c['field'])}</code>: {_h(_compact(c['before']))} &rarr; "
                        f"{_h(_compact(c['after']))}</li>"
                        if c.get("action", UPDATE) == UPDATE
                        else f"<li>{_h(field_text(c, control['status'] == DRIFT))}</li>"
                        for c in change["fields"]
                    )
                    parts.append("</ul>")
                parts.append(
                    f"<details><summary>before / after</summary><pre>before: {_h(_pretty(change['before']))}\n\n"
                    f"after: {_h(_pretty(change['after']))}</pre></details>"
                )
    fixes = [i for i in account.get("drift") or () if i["control"] == cid and fix_text(i)]
    if fixes:
        parts.append("<h3>What would fix it</h3><ul>")
        parts.extend(f"<li>{_h(i['message'])}: {_h(fix_text(i))}</li>" for i in fixes[:MD_LIST_LIMIT])
        if len(fixes) > MD_LIST_LIMIT:
            parts.append(f"<li>... and {len(fixes) - MD_LIST_LIMIT} more (see the JSON report)</li>")
        parts.append("</ul>")
    if control["errors"]:
        parts.append('<h3>Errors</h3><div class="errors">')
        parts.extend(f"<p><strong>{_h(e['task'])}</strong>: {_h(e['message'])}</p>" for e in control["errors"])
        parts.append("</div>")
    if control["tasks"]:
        parts.append(
            "<details><summary>Tasks</summary><ul>"
            + "".join(f"<li>{_h(t['task'])}: {_h(t['result'])}</li>" for t in control["tasks"])
            + "</ul></details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _html_account_todo(account: dict) -> str:
    """The drift gate's view of an account, as the console showed it: drift with fixes, manual steps, notes."""
    drift, manual, reported = account.get("drift"), account.get("manual"), account.get("reported")
    accepted = account.get("accepted")
    if not (drift or manual or reported or accepted):
        return ""
    parts = [f'<section class="todo"><h3>{_h(account_label(account))}</h3>']
    if drift:
        parts.append(f"<p>Drift ({len(drift)} item(s)):</p><ul>")
        for item in drift[:MD_LIST_LIMIT]:
            where = f' <span class="hint">{_h(item["resource"])}</span>' if item.get("resource") else ""
            fix = fix_text(item)
            parts.append(
                f"<li><code>{_h(item['control'])}</code>: {_h(item['message'])}{where}"
                + (f" &middot; fix: {_h(fix)}" if fix else "")
                + "</li>"
            )
        if len(drift) > MD_LIST_LIMIT:
            parts.append(f"<li>... and {len(drift) - MD_LIST_LIMIT} more (see the JSON report)</li>")
        parts.append("</ul>")
    if accepted:
        parts.append(f"<p>Accepted by an exception ({len(accepted)} item(s)):</p><ul>")
        for item in accepted[:MD_LIST_LIMIT]:
            where = f' <span class="hint">{_h(item["resource"])}</span>' if item.get("resource") else ""
            parts.append(
                f"<li><code>{_h(item['control'])}</code>: {_h(item['message'])}{where} &middot; "
                f"{_h(exception_text(item['exception']))}</li>"
            )
        if len(accepted) > MD_LIST_LIMIT:
            parts.append(f"<li>... and {len(accepted) - MD_LIST_LIMIT} more (see the JSON report)</li>")
        parts.append("</ul>")
    if manual:
        parts.append("<p>Only a person can:</p><ul>" + "".join(f"<li>{_h(m)}</li>" for m in manual) + "</ul>")
    if reported:
        parts.append("<p>Reported, not changed:</p><ul>")
        for note in reported:
            fix = fix_text(note)
            parts.append(
                f"<li><code>{_h(note['control'])}</code>: {_h(note['message'])}"
                + (f" &middot; to change: {_h(fix)}" if fix else "")
                + "</li>"
            )
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


# A status cell is a symbol on the status's colour, with the status as text for screen readers and in its tooltip.
STATUS_SYMBOLS = {
    COMPLIANT: "\u2713",  # check mark
    ACCEPTED: "\u2691",  # flag: accepted by an exception on file
    CHANGED: "\u21bb",  # clockwise arrow: the run changed it
    DRIFT: "\u2260",  # not equal: differs from the baseline
    FAILED: "\u2717",  # ballot x
    UNREACHABLE: "\u2298",  # circled slash
    SKIPPED: "\u2013",  # en dash
}
OTHER_FAMILY = "Other"
_FAMILY_START = ' class="fs"'  # the first column of a family: a stronger left border


def html_columns(controls: list, families=None) -> list:
    """The matrix's columns grouped by family: [(family, [(control, short label), ...]), ...].

    Families and, inside one, controls come in the order of `families` (default: _findings.FAMILIES); a control no
    family names (a report of other controls) goes last, under "Other", labelled with its id. Families without a
    control of the report are left out.
    """
    families = FAMILIES if families is None else families
    by_id = {control["id"]: control for control in controls}
    groups, placed = [], set()
    for family, labels in families.items():
        columns = [(by_id[cid], label) for cid, label in labels.items() if cid in by_id and cid not in placed]
        placed.update(control["id"] for control, _label in columns)
        if columns:
            groups.append((family, columns))
    rest = [(control, control["id"]) for control in controls if control["id"] not in placed]
    if rest:
        groups.append((OTHER_FAMILY, rest))
    return groups


def _html_status_cell(status: str) -> str:
    return f'<span aria-hidden="true">{STATUS_SYMBOLS.get(status, "?")}</span><span class="sr">{_h(status)}</span>'


def _html_legend() -> str:
    keys = "".join(
        f'<span class="key"><span class="sym s-{_h(s)}" aria-hidden="true">{STATUS_SYMBOLS[s]}</span>{_h(s)}</span>'
        for s in (*STATUS_ORDER[1:], STATUS_ORDER[0])
    )
    return (
        f'<p class="hint legend"><span>Select a cell for its details, hover a column header for its control and CIS '
        f"ids:</span>{keys}</p>"
    )


def _html_matrix(report: dict, families=None) -> str:
    """Accounts by controls under a two-level header (family, then the control's short label), in a box that scrolls
    on its own with the header rows and the account column sticky, so the page itself never scrolls sideways."""
    groups = html_columns(report["controls"], families)
    out = [
        '<div class="matrix-wrap"><table class="matrix"><thead><tr class="fam">'
        '<th class="acct" rowspan="2" scope="col">Account</th>'
    ]
    out.extend(
        f'<th class="fs" colspan="{len(columns)}" scope="colgroup">{_h(family)}</th>' for family, columns in groups
    )
    out.append('</tr><tr class="ctl">')
    order = []
    for _family, columns in groups:
        for i, (control, label) in enumerate(columns):
            # The whole title and every version's ids on hover; the details of a cell list them too.
            tip = f"{control['id']}: {control['title']}" + (f" ({short_cis(control['cis'])})" if control["cis"] else "")
            # A label that is an id (a control no family names) breaks at its underscores, never inside a word.
            text = _h(label).replace("_", "_<wbr>")
            out.append(f'<th{_FAMILY_START if i == 0 else ""} scope="col" title="{_h(tip)}">{text}</th>')
            order.append((control["id"], i == 0))
    out.append("</tr></thead><tbody>")
    for account in report["accounts"]:
        # A long OU path breaks after a slash, a long name anywhere, rather than widen the column.
        sub = " &middot; ".join(
            _h(x).replace("/", "/<wbr>") for x in (account.get("account_id"), account.get("ou_path")) if x
        )
        name = _h(account.get("name") or account["host"])
        out.append(f'<tr><th class="acct" scope="row">{name}<small>{sub}</small></th>')
        for cid, first in order:
            status = account["controls"][cid]["status"]
            anchor = f"d-{_slug(account['host'])}-{cid}"
            out.append(
                f'<td{_FAMILY_START if first else ""}><a class="cell s-{_h(status)}" href="#{_h(anchor)}" '
                f'title="{_h(account_label(account))}: {_h(cid)} {_h(status)}">{_html_status_cell(status)}</a></td>'
            )
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def render_html(report: dict, families=None) -> str:
    """One self-contained page: no scripts, no external assets; a cell's details open through a :target anchor.

    `families` groups the matrix's columns (default: _findings.FAMILIES, see html_columns()).
    """
    run, summary = report["run"], report["summary"]
    title = f"AWS account baseline {'drift' if run['mode'] == 'check' else 'apply'} report {run['id']}"
    counts = summary["by_status"]
    text = verdict(summary)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing may load from anywhere: the page must open offline, from a CI artifact or an e-mail.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_h(title)}</h1><p>Mode <strong>{_h(run['mode'])}</strong>"
        f"{' with diff' if run['diff'] else ''} &middot; started {_h(run['started'])} &middot; finished "
        f"{_h(run['finished'])} &middot; {_h(', '.join(run['playbooks']) or 'playbook')}</p></header>",
        "<main>",
        f'<div class="summary"><span class="chip verdict">{_h(text[0].upper() + text[1:])}.</span>'
        f'<span class="chip">{summary["accounts"]} account(s) &times; {summary["controls"]} controls</span>'
        + "".join(f'<span class="chip">{counts[s]} {_h(s)}</span>' for s in reversed(STATUS_ORDER) if counts[s])
        + "</div>",
        history_html(report),
    ]
    if report["accounts"]:
        out.append(_html_legend())
        out.append(_html_matrix(report, families))
        # Right below the matrix, so an opened cell shows next to it (see scroll-margin-top in the CSS).
        for account in report["accounts"]:
            for control in report["controls"]:
                out.append(_html_detail(account, control["id"], account["controls"][control["id"]], run["diff"]))
        lapsed = exception_lines(report)
        if lapsed:
            out.append('<h2>Accepted exceptions file</h2><ul class="attention exceptions">')
            out.extend(f'<li class="{_h(kind)}"><strong>{_h(kind)}</strong> {_h(line)}</li>' for kind, line in lapsed)
            out.append("</ul>")
        attention = list(cells_with(report, (*PROBLEM_STATUSES, UNREACHABLE)))
        if attention:
            out.append('<h2>Needs attention</h2><ul class="attention">')
            for account, cid, control in attention:
                anchor = f"d-{_slug(account['host'])}-{cid}"
                lines = detail_lines(control, run["diff"])
                more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
                out.append(
                    f'<li><a href="#{_h(anchor)}">{_h(account_label(account))} &middot; <code>{_h(cid)}</code></a> '
                    f'<span class="badge s-{_h(control["status"])}">{_h(control["status"])}</span> '
                    f"{_h(_truncate(lines[0], 200) if lines else '')}{_h(more)}</li>"
                )
            out.append("</ul>")
        todo = [_html_account_todo(account) for account in report["accounts"]]
        if any(todo):
            out.append("<h2>What to do, per account</h2>")
            out.extend(t for t in todo if t)
        errors = [(a, e) for a in report["accounts"] for e in a["errors"]]
        if errors:
            out.append('<h2>Run errors</h2><div class="errors">')
            out.extend(
                f"<p>{_h(account_label(a))}: <strong>{_h(e['task'])}</strong>: {_h(e['message'])}</p>"
                for a, e in errors
            )
            out.append("</div>")
    else:
        out.append("<p>No account was checked.</p>")
    gen = report.get("generator") or {}
    out.append(
        f"</main><footer>Generated by {_h(gen.get('name', 'accountguard.aws.report'))} "
        f"{_h(gen.get('version', ''))} &middot; schema {_h(report['schema_version'])}</footer></body></html>"
    )
    return "\n".join(out) + "\n"


# -- JUnit ------------------------------------------------------------------------------------------------------
def _xml(text) -> str:
    return _XML_INVALID_RE.sub("?", str(text))


def render_junit(report: dict) -> str:
    """JUnit XML: one <testsuite> per account, one <testcase> per control.

    drift and failed are <failure>s (so the failure count is the number of problem pairs), unreachable is an
    <error>, skipped and accepted are <skipped> (accepted with the exception's reason), compliant and changed pass.
    """
    run = report["run"]
    root = ET.Element("testsuites", name=_xml(f"accountguard.aws baseline ({run['mode']}) {run['id']}"))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for account in report["accounts"]:
        suite = ET.SubElement(root, "testsuite", name=_xml(account_label(account)), timestamp=_xml(run["started"]))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        classname = "accountguard." + _slug(account.get("account_id") or account["host"])
        for control in report["controls"]:
            cid = control["id"]
            cell = account["controls"][cid]
            case = ET.SubElement(
                suite, "testcase", classname=_xml(classname), name=_xml(f"{cid}: {control['title']}"), time="0"
            )
            counts["tests"] += 1
            body = "\n".join(detail_lines(cell, run["diff"]))
            first = body.split("\n", 1)[0] if body else cell["status"]
            status = cell["status"]
            if status in PROBLEM_STATUSES:
                counts["failures"] += 1
                el = ET.SubElement(case, "failure", type=status, message=_xml(_truncate(first, 500)))
                el.text = _xml(body or status)
            elif status == UNREACHABLE:
                counts["errors"] += 1
                el = ET.SubElement(case, "error", type=status, message=_xml(_truncate(first, 500)))
                el.text = _xml(body or status)
            elif status == SKIPPED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_xml(cell.get("reason") or "skipped"))
            elif status == ACCEPTED:
                # Accepted on purpose: neither a pass nor a failure; the message says why, who and until when.
                counts["skipped"] += 1
                el = ET.SubElement(
                    case,
                    "skipped",
                    type=ACCEPTED,
                    message=_xml(_truncate("accepted: " + exception_text(cell["exception"]), 500)),
                )
                el.text = _xml(body)
            elif body:
                out = ET.SubElement(case, "system-out")
                out.text = _xml(body)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    if hasattr(ET, "indent"):  # Python 3.9+; module_utils still compile on older targets
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


RENDERERS = {
    "json": ("json", render_json),
    "markdown": ("md", render_markdown),
    "html": ("html", render_html),
    "junit": ("xml", render_junit),
    # opt-in (not in the callback's default formats): OCSF Compliance Finding events as JSON Lines, see _ocsf.py
    "ocsf": ("ocsf.jsonl", render_ocsf),
}
