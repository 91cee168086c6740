# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One report for a sliced run: the JSON reports of the slices of one logical run (AWX job slicing, ``--limit``
batches) merged into one report document, with its summary recomputed. Pure; the action plugin
``accountguard.aws.merge_reports`` reads the files, calls merge_reports() and writes every format.

Refused (MergeError, nothing merged): reports of different modes (a check and an apply), of a different major
schema version or a different set of controls (another collection version), and two reports that say different
things about the same account and control. The same account in two reports is accepted when its cells agree
(the same report twice, or a slice that overlapped another), or when one of them never ran the control
(skipped, no task: ``--tags`` slices).
"""

from __future__ import annotations

from collections.abc import Sequence

from ansible_collections.accountguard.aws.plugins.plugin_utils._history import account_key
from ansible_collections.accountguard.aws.plugins.plugin_utils._report import (
    NO_MANAGEMENT_HOST,
    ORGANIZATION_CONTROLS,
    SCHEMA_VERSION,
    SKIPPED,
    summarize,
    worst,
)

_ACCOUNT_LISTS = ("drift", "manual", "reported", "accepted")


class MergeError(ValueError):
    """The reports cannot be one report; the message says which reports, accounts and controls."""


def _label(report: dict) -> str:
    return f"run {report['run']['id']}"


def _not_run(cell: dict) -> bool:
    return cell["status"] == SKIPPED and not cell.get("tasks")


def _merge_cell(host: str, cid: str, mine: tuple[dict, dict], theirs: tuple[dict, dict]) -> dict:
    (cell, report), (other, other_report) = mine, theirs
    if cell == other or _not_run(other):
        return cell
    if _not_run(cell):
        return other
    raise MergeError(
        f"conflicting cells for account {host}, control {cid}: {cell['status']} in {_label(report)}, "
        f"{other['status']} in {_label(other_report)}"
    )


def _union(*lists) -> list:
    out = []
    for items in lists:
        for item in items or ():
            if item not in out:
                out.append(item)
    return out


def _merge_account(account: dict, report: dict, other: dict, other_report: dict) -> dict:
    merged = dict(account)
    for key in ("account_id", "name", "ou_path"):
        if merged.get(key) is None:
            merged[key] = other.get(key)
    merged["controls"] = {
        cid: _merge_cell(account["host"], cid, (cell, report), (other["controls"][cid], other_report))
        for cid, cell in account["controls"].items()
    }
    merged["errors"] = _union(account["errors"], other["errors"])
    merged["notes"] = _union(account["notes"], other["notes"])
    for key in _ACCOUNT_LISTS:
        mine, theirs = account.get(key), other.get(key)
        merged[key] = theirs if mine is None else mine if theirs is None else _union(mine, theirs)
    merged["status"] = worst(c["status"] for c in merged["controls"].values())
    return merged


def _merge_exceptions(reports: Sequence[dict]) -> dict | None:
    """run.exceptions of the merge: every file; expired entries with their findings summed; expiring ones once;
    an entry is unused only when no slice that applied its file used it."""
    found = [r["run"]["exceptions"] for r in reports if r["run"].get("exceptions")]
    if not found:
        return None
    out = {"files": _union(*(f["files"] for f in found)), "today": found[0]["today"]}
    out["warn_days"] = found[0]["warn_days"]
    expired = {}
    for item in (i for f in found for i in f["expired"]):
        key = (item["file"], item["index"])
        expired[key] = {**item, "findings": expired[key]["findings"] + item["findings"]} if key in expired else item
    out["expired"] = list(expired.values())
    out["expiring"] = list({(i["file"], i["index"]): i for f in found for i in f["expiring"]}.values())
    unused = {}
    for item in (i for f in found for i in f["unused"]):
        key = (item["file"], item["index"])
        applied = [f for f in found if item["file"] in f["files"]]
        if all(any((u["file"], u["index"]) == key for u in f["unused"]) for f in applied):
            unused.setdefault(key, item)
    out["unused"] = list(unused.values())
    return out


def _organization_checked(accounts: list[dict]) -> list[dict]:
    """A once-per-Organization control that one slice checked (on the management account's host) was not left
    unchecked by the slices without that host: their skipped cells lose the "not checked" remark, as in one run."""
    suffix = f"; {NO_MANAGEMENT_HOST}"
    for cid in ORGANIZATION_CONTROLS:
        cells = [a["controls"][cid] for a in accounts if cid in a["controls"]]
        if not any(cell["status"] != SKIPPED for cell in cells):
            continue
        for account in accounts:
            cell = account["controls"].get(cid)
            if cell and cell["status"] == SKIPPED and (cell.get("reason") or "").endswith(suffix):
                account["controls"] = account["controls"] | {cid: cell | {"reason": cell["reason"][: -len(suffix)]}}
    return accounts


def merge_reports(reports: Sequence[dict], *, run_id: str, generator: dict | None = None) -> dict:
    """One report document from the JSON reports of the slices of one run (see the module's docstring).

    The merged run: `run_id`, started at the first slice's start, finished at the last slice's end, ``limit``
    null (it stands for the union of the slices), ``merged_from`` naming each slice; ``changes_since`` is null
    (the caller compares the merge with its own history).
    """
    unique, seen = [], set()
    for report in reports:
        if report["run"]["id"] not in seen:  # the same report twice is the same slice
            seen.add(report["run"]["id"])
            unique.append(report)
    if not unique:
        raise MergeError("no report to merge")
    first = unique[0]
    for report in unique:
        major = str(report.get("schema_version", "")).partition(".")[0]
        if major != SCHEMA_VERSION.partition(".")[0]:
            version = report.get("schema_version")
            raise MergeError(f"{_label(report)} has schema version {version}, not {SCHEMA_VERSION}")
    modes = {r["run"]["mode"] for r in unique}
    if len(modes) > 1:
        listed = ", ".join(f"{_label(r)} is {r['run']['mode']}" for r in unique)
        raise MergeError(f"the reports are of different modes ({listed}): merge the slices of one run only")
    controls = [c["id"] for c in first["controls"]]
    for report in unique[1:]:
        if [c["id"] for c in report["controls"]] != controls:
            raise MergeError(f"{_label(report)} has other controls than {_label(first)} (another collection version)")

    accounts: dict[str, tuple[dict, dict]] = {}
    for report in unique:
        for account in report["accounts"]:
            key = account_key(account)
            if key in accounts:
                known, known_report = accounts[key]
                accounts[key] = (_merge_account(known, known_report, account, report), known_report)
            else:
                accounts[key] = (account, report)
    merged_accounts = _organization_checked(
        sorted((dict(a) for a, _r in accounts.values()), key=lambda a: (a.get("account_id") or "", a["host"]))
    )
    runs = [r["run"] for r in unique]
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": generator or first.get("generator") or {"name": "accountguard.aws.report"},
        "run": {
            "id": run_id,
            "started": min(r["started"] for r in runs),
            "finished": max(r["finished"] for r in runs),
            "mode": first["run"]["mode"],
            "diff": all(r.get("diff") for r in runs),
            "playbooks": _union(*(r.get("playbooks") for r in runs)),
            "exceptions": _merge_exceptions(unique),
            "inventory": _union(*(r.get("inventory") for r in runs)),
            "limit": None,
            "merged_from": [
                {
                    "id": r["run"]["id"],
                    "started": r["run"]["started"],
                    "finished": r["run"]["finished"],
                    "limit": r["run"].get("limit"),
                    "accounts": len(r["accounts"]),
                }
                for r in unique
            ],
        },
        "controls": first["controls"],
        "summary": summarize(merged_accounts, len(controls)),
        "changes_since": None,
        "accounts": merged_accounts,
    }
