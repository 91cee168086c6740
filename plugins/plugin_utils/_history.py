# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What changed since the last run: a report compared with the previous report of the same inventory.

Pure functions over report documents (the JSON model of _report), so the rules are unit-tested with plain
dicts; the one function that touches the disk, read_reports(), only lists and parses a report directory. The
report callback and the merge action call changes_since() and store its result as the report's
``changes_since`` (schema 1.3, docs/report.md "Changes since the last run").

"The same inventory" (same_inventory()): a report of the same mode (a check is compared with the previous
check, an apply with the previous apply: a cell an apply changed is not a drift the next check resolved),
with the same inventory sources (``run.inventory``, absolute paths as ansible-playbook resolved them) and the
same ``--limit`` (``run.limit``), that reports at least one of the same accounts (account id, else host name:
AWX job slicing runs every slice with one inventory path, and slices share no account). Reports written
before schema 1.3 record no inventory and are never compared.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable, Iterable

HISTORY_LENGTH = 10  # runs in the trend, this one included

NEW = "new"
RESOLVED = "resolved"
STILL_FAILING = "still_failing"
NEWLY_ACCEPTED = "newly_accepted"
CHANGES = (NEW, RESOLVED, STILL_FAILING, NEWLY_ACCEPTED)
CHANGE_WORDS = {NEW: "new", RESOLVED: "resolved", STILL_FAILING: "still failing", NEWLY_ACCEPTED: "newly accepted"}

_DRIFT, _ACCEPTED = "drift", "accepted"
_FIXED = ("compliant", "changed")  # checked and as declared
_COMPARABLE = (_DRIFT, _ACCEPTED, *_FIXED)  # failed, unreachable and skipped say nothing about the account
_PREFIX, _LATEST = "accountguard-report-", "accountguard-report-latest.json"


def account_key(account: dict) -> str:
    """An account's identity across runs: its account id, else its inventory host name."""
    return account.get("account_id") or f"host:{account['host']}"


def inventory_of(report: dict) -> tuple[tuple[str, ...], str | None] | None:
    """(inventory sources, limit) of a report, or None for a report that records none (before schema 1.3)."""
    run = report.get("run") or {}
    if not isinstance(run.get("inventory"), list):
        return None
    return tuple(sorted(str(s) for s in run["inventory"])), run.get("limit") or None


def same_inventory(report: dict, other: dict) -> bool:
    """Whether `other` is a run of the same inventory as `report` (see the module's docstring)."""
    mine, theirs = inventory_of(report), inventory_of(other)
    if mine is None or theirs is None or mine != theirs:
        return False
    if (report.get("run") or {}).get("mode") != (other.get("run") or {}).get("mode"):
        return False
    return bool({account_key(a) for a in report["accounts"]} & {account_key(a) for a in other["accounts"]})


def _order(report: dict) -> tuple[str, int, str]:
    """Start time, then the id: runs of one second are X, X-2, ... X-10 (shorter first, then by text)."""
    run = report["run"]
    run_id = str(run.get("id") or "")
    return str(run.get("started") or ""), len(run_id), run_id


def earlier_runs(report: dict, history: Iterable[dict]) -> list[dict]:
    """The reports of `history` of the same inventory that started before `report`, oldest first, one per run id."""
    mine, seen = _order(report), {}
    for other in history:
        run_id = (other.get("run") or {}).get("id")
        if run_id is None or run_id == report["run"]["id"] or run_id in seen:
            continue
        if _order(other) < mine and same_inventory(report, other):
            seen[run_id] = other
    return sorted(seen.values(), key=_order)


def classify(before: str, after: str) -> str | None:
    """How one account/control pair changed between two runs: one of CHANGES, or None (nothing to say).

    drift -> drift is still failing; anything as declared or accepted -> drift is new; drift -> compliant (or
    changed) is resolved; drift or compliant -> accepted is newly accepted (an exception now covers it). A pair
    failed, unreachable or skipped in either run is not compared.
    """
    if before not in _COMPARABLE or after not in _COMPARABLE:
        return None
    if after == _DRIFT:
        return STILL_FAILING if before == _DRIFT else NEW
    if after == _ACCEPTED:
        return None if before == _ACCEPTED else NEWLY_ACCEPTED
    return RESOLVED if before == _DRIFT else None


def _failing(cell: dict) -> list[str]:
    return sorted({f["resource"] for f in cell.get("findings") or () if f.get("status") == "fail"})


def compare(previous: dict, report: dict) -> dict:
    """Per account and control, what changed from `previous` to `report` (both report documents)."""
    before = {account_key(a): a for a in previous["accounts"]}
    counts = {change: 0 for change in CHANGES} | {"not_compared": 0}
    pairs, new_accounts = [], []
    for account in report["accounts"]:
        old = before.get(account_key(account))
        if old is None:
            new_accounts.append(account["host"])
            continue
        for cid, cell in account["controls"].items():
            old_cell = old["controls"].get(cid)
            if old_cell is None:
                continue
            was, now = old_cell["status"], cell["status"]
            change = classify(was, now)
            if change is None:
                if (was not in _COMPARABLE or now not in _COMPARABLE) and (was, now) != ("skipped", "skipped"):
                    counts["not_compared"] += 1
                continue
            counts[change] += 1
            failing_before, failing_now = _failing(old_cell), _failing(cell)
            pairs.append(
                {
                    "host": account["host"],
                    "account_id": account.get("account_id"),
                    "control": cid,
                    "change": change,
                    "before": was,
                    "after": now,
                    # the failing findings' resources that appeared and went away within the pair
                    "new_findings": [r for r in failing_now if r not in failing_before],
                    "resolved_findings": [r for r in failing_before if r not in failing_now],
                }
            )
    now_keys = {account_key(a) for a in report["accounts"]}
    missing = [a["host"] for a in previous["accounts"] if account_key(a) not in now_keys]
    return {"counts": counts, "pairs": pairs, "new_accounts": new_accounts, "missing_accounts": missing}


def _point(report: dict) -> dict:
    run = report["run"]
    return {"id": run["id"], "started": run.get("started"), "drifted_pairs": report["summary"]["drifted_pairs"]}


def changes_since(report: dict, history: Iterable[dict], length: int = HISTORY_LENGTH) -> dict | None:
    """The report's ``changes_since``: the comparison with the latest earlier run of the same inventory, and the
    trend of drifted pairs over the last `length` runs (this one last); None when there is no earlier run."""
    runs = earlier_runs(report, history)
    if not runs:
        return None
    previous = runs[-1]
    return {
        "previous": {
            "id": previous["run"]["id"],
            "started": previous["run"].get("started"),
            "finished": previous["run"].get("finished"),
            "drifted_pairs": previous["summary"]["drifted_pairs"],
        },
        **compare(previous, report),
        "trend": [_point(r) for r in runs[-(length - 1) :]] + [_point(report)] if length > 1 else [_point(report)],
    }


MAX_FILES = 200  # report files read at most, newest first: a years-long history costs a run no more than this


def read_reports(
    directory: str, matching: Callable[[dict], bool] | None = None, enough: int | None = None, max_files=MAX_FILES
) -> list[dict]:
    """The JSON reports in `directory` (``accountguard-report-<run id>.json``, not the ``latest`` copy), newest
    file name first: those `matching` accepts, until `enough` of them or `max_files` files were read. Files that
    are not a readable report document (a run still writing, a foreign file) are left out."""
    out = []
    try:
        names = sorted(os.listdir(directory), reverse=True)
    except OSError:
        return out
    names = [n for n in names if n.startswith(_PREFIX) and n.endswith(".json") and n != _LATEST]
    for name in names[:max_files]:
        try:
            with open(os.path.join(directory, name), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            continue
        if not (
            isinstance(data, dict)
            and isinstance(data.get("run"), dict)
            and isinstance(data.get("accounts"), list)
            and isinstance(data.get("summary"), dict)
        ):
            continue
        if matching is None or matching(data):
            out.append(data)
            if enough is not None and len(out) >= enough:
                break
    return out


def history_of(report: dict, directory: str) -> list[dict]:
    """The earlier reports of `report`'s inventory in `directory` that changes_since() needs (the newest few)."""
    return read_reports(
        directory,
        matching=lambda other: other["run"].get("id") != report["run"]["id"] and same_inventory(report, other),
        enough=HISTORY_LENGTH,
    )


# -- renderers (called by _report's Markdown and HTML renderers) ------------------------------------------------
def counts_text(changes: dict) -> str:
    counts = changes["counts"]
    return ", ".join(f"{counts[c]} {CHANGE_WORDS[c]}" for c in CHANGES)


def markdown_summary(report: dict) -> list[str]:
    """The line of the Markdown summary: the counts since the previous run ([] without one)."""
    changes = report.get("changes_since")
    if not changes:
        return []
    return [f"Since run `{changes['previous']['id']}`: {counts_text(changes)}."]


def _label(pair: dict) -> str:
    account_id = pair.get("account_id")
    return f"{pair['host']} ({account_id})" if account_id and account_id != pair["host"] else pair["host"]


def markdown_section(report: dict, md: Callable[[str], str], limit: int = 50) -> list[str]:
    """ "## Changes since the last run": the pairs per kind of change, and the trend in numbers."""
    changes = report.get("changes_since")
    if not changes:
        return []
    previous = changes["previous"]
    out = [
        "## Changes since the last run",
        "",
        f"Compared with run `{previous['id']}` (started {md(previous.get('started') or '?')}) of the same inventory: "
        f"{counts_text(changes)}.",
        "Drifted pairs over the last runs: " + " \u2192 ".join(str(p["drifted_pairs"]) for p in changes["trend"]) + ".",
        "",
    ]
    for change in (NEW, RESOLVED, NEWLY_ACCEPTED, STILL_FAILING):
        pairs = [p for p in changes["pairs"] if p["change"] == change]
        if not pairs:
            continue
        out.extend([f"**{CHANGE_WORDS[change].capitalize()}** ({len(pairs)}):", ""])
        for pair in pairs[:limit]:
            detail = "".join(
                f"; {word}: {md(', '.join(pair[key]))}"
                for key, word in (("new_findings", "new"), ("resolved_findings", "gone"))
                if pair[key]
            )
            out.append(f"- {md(_label(pair))} `{pair['control']}`: {pair['before']} \u2192 {pair['after']}{detail}")
        if len(pairs) > limit:
            out.append(f"- ... and {len(pairs) - limit} more (see the JSON report)")
        out.append("")
    for key, words in (("new_accounts", "not in the previous run"), ("missing_accounts", "not in this run")):
        if changes[key]:
            out.extend([f"Accounts {words}: {md(', '.join(changes[key]))}.", ""])
    return out


def trend_svg(trend: list[dict], width: int = 360, height: int = 90) -> str:
    """An inline SVG line of drifted pairs per run (oldest left, this run right): plain shapes and text, readable
    without a script; each point carries its run id and count (data-run, data-drifted) and a tooltip."""
    pad_x, pad_top, pad_bottom = 24, 18, 18
    top = max([p["drifted_pairs"] for p in trend] + [1])
    step = (width - 2 * pad_x) / max(len(trend) - 1, 1)
    points = []
    for i, point in enumerate(trend):
        x = pad_x + i * step if len(trend) > 1 else width / 2
        y = pad_top + (height - pad_top - pad_bottom) * (1 - point["drifted_pairs"] / top)
        points.append((round(x, 1), round(y, 1), point))
    label = "Drifted pairs over the last runs: " + ", ".join(str(p["drifted_pairs"]) for p in trend)
    parts = [
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(label)}">',
        f"<title>{html.escape(label)}</title>",
        f'<line x1="{pad_x}" y1="{height - pad_bottom}" x2="{width - pad_x}" y2="{height - pad_bottom}" '
        'stroke="#d0d7de" stroke-width="1"/>',
    ]
    if len(points) > 1:
        line = " ".join(f"{x},{y}" for x, y, _p in points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#b35900" stroke-width="2"/>')
    for n, (x, y, point) in enumerate(points):
        this = n == len(points) - 1
        tip = f"run {point['id']}: {point['drifted_pairs']} drifted pair(s)" + (" (this run)" if this else "")
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{4 if this else 3}" fill="{"#24292f" if this else "#b35900"}" '
            f'data-run="{html.escape(str(point["id"]))}" data-drifted="{point["drifted_pairs"]}">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
        parts.append(
            f'<text x="{x}" y="{max(y - 6, 10)}" font-size="10" text-anchor="middle" fill="#57606a">'
            f"{point['drifted_pairs']}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def html_section(report: dict, limit: int = 50) -> str:
    """The HTML block under the summary: counts, the trend SVG and the changed pairs (in a <details>)."""
    changes = report.get("changes_since")
    if not changes:
        return ""
    h = html.escape
    previous = changes["previous"]
    parts = [
        '<section class="changes"><h2>Changes since the last run</h2>',
        f"<p>Compared with run <code>{h(previous['id'])}</code> (started {h(str(previous.get('started')))}) of "
        f"the same inventory: "
        + ", ".join(f'<span class="chip ch-{c}">{changes["counts"][c]} {h(CHANGE_WORDS[c])}</span>' for c in CHANGES)
        + "</p>",
        f'<figure><figcaption class="hint">Drifted pairs over the last {len(changes["trend"])} run(s)'
        "</figcaption>" + trend_svg(changes["trend"]) + "</figure>",
    ]
    listed = [p for p in changes["pairs"] if p["change"] != STILL_FAILING] + [
        p for p in changes["pairs"] if p["change"] == STILL_FAILING
    ]
    if listed:
        parts.append(f"<details><summary>{len(listed)} changed or still failing pair(s)</summary><ul>")
        for pair in listed[:limit]:
            parts.append(
                f"<li><strong>{h(CHANGE_WORDS[pair['change']])}</strong> {h(_label(pair))} "
                f"<code>{h(pair['control'])}</code>: {h(pair['before'])} &rarr; {h(pair['after'])}</li>"
            )
        if len(listed) > limit:
            parts.append(f"<li>... and {len(listed) - limit} more (see the JSON report)</li>")
        parts.append("</ul></details>")
    for key, words in (("new_accounts", "not in the previous run"), ("missing_accounts", "not in this run")):
        if changes[key]:
            parts.append(f'<p class="hint">Accounts {words}: {h(", ".join(changes[key]))}</p>')
    parts.append("</section>")
    return "".join(parts)
