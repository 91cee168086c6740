"""One report for a sliced run (plugin_utils/_merge.py): the merge of report documents, and its refusals."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, cis_ids
from ansible_collections.accountguard.aws.plugins.plugin_utils import _report
from ansible_collections.accountguard.aws.plugins.plugin_utils._merge import MergeError, merge_reports

CTRLS = {cid: {"title": c["title"], "cis": cis_ids(cid)} for cid, c in CONTROLS.items()}
SCHEMA = Path(__file__).resolve().parents[4] / "docs" / "report-schema.json"
ACCOUNTS = {"prod": "111111111111", "dev": "222222222222", "sandbox": "333333333333"}
# What each account's run says: prod drifts on root MFA, dev's password policy would change, sandbox is clean.
EVENTS = {
    "prod": [
        (
            "Check root",
            "ok",
            {
                "findings": [
                    {"id": "root_mfa", "status": "fail", "resource": "arn:aws:iam::111111111111:root", "message": "m"}
                ]
            },
            ("root_mfa",),
        )
    ],
    "dev": [("Password policy", "changed", {}, ("password_policy",))],
    "sandbox": [],
}


def report(run_id, hosts, mode="check", started="2026-12-05T10:00:00Z", limit=None, tags=None):
    """The report of one run over `hosts` (as the callback builds it), --tags `tags` when given."""
    selected = _report.selected_controls(CTRLS, tags or ())
    builder = _report.ReportBuilder(CTRLS, selected)
    for host in hosts:
        builder.add_host(host, account_id=ACCOUNTS[host])
        for task, status, result, tags_of in EVENTS[host]:
            builder.add_event(host, task, status, result, tags=tags_of, check_mode=mode == "check")
        for cid in CTRLS:
            if not any(cid in t for *_x, t in EVENTS[host]):
                builder.add_event(host, "enforce", "ok", {}, tags=(cid,), check_mode=mode == "check")
    return builder.build(
        run_id=run_id,
        started=started,
        finished=started.replace("10:", "11:"),
        mode=mode,
        diff=True,
        playbooks=["baseline.yml"],
        inventory=["/srv/inv/org.yml"],
        limit=limit,
    )


def comparable(document: dict) -> dict:
    """A report without what differs between runs of the same state: ids, times, limit, the merge's own list."""
    data = json.loads(json.dumps(document))
    for key in ("id", "started", "finished", "limit", "merged_from"):
        data["run"].pop(key, None)
    data.pop("changes_since")
    return data


def test_disjoint_slices_merge_into_the_unsliced_report():
    whole = report("full", ["prod", "dev", "sandbox"])
    slices = [
        report("s1", ["prod"], limit="prod", started="2026-12-05T10:00:00Z"),
        report("s2", ["dev"], limit="dev", started="2026-12-05T10:05:00Z"),
        report("s3", ["sandbox"], limit="sandbox", started="2026-12-05T10:02:00Z"),
    ]
    merged = merge_reports(slices, run_id="m")
    assert comparable(merged) == comparable(whole)
    assert merged["run"]["id"] == "m" and merged["run"]["limit"] is None
    assert (merged["run"]["started"], merged["run"]["finished"]) == ("2026-12-05T10:00:00Z", "2026-12-05T11:05:00Z")
    assert [(r["id"], r["limit"], r["accounts"]) for r in merged["run"]["merged_from"]] == [
        ("s1", "prod", 1),
        ("s2", "dev", 1),
        ("s3", "sandbox", 1),
    ]
    assert merged["summary"]["drifted_pairs"] == 2 and merged["summary"]["accounts"] == 3
    assert merged["summary"]["complete"] is True


def test_identical_duplicates_are_accepted_once():
    first = report("s1", ["prod", "dev"])
    overlapping = report("s2", ["dev", "sandbox"])
    merged = merge_reports([first, overlapping, copy.deepcopy(first)], run_id="m")
    assert [a["host"] for a in merged["accounts"]] == ["prod", "dev", "sandbox"]
    assert [r["id"] for r in merged["run"]["merged_from"]] == ["s1", "s2"]  # the same report twice counts once
    assert comparable(merged) == comparable(report("full", ["prod", "dev", "sandbox"]))


def test_conflicting_cells_of_one_account_are_refused():
    first = report("s1", ["prod"])
    other = report("s2", ["prod"])
    other["accounts"][0]["controls"]["root_mfa"]["status"] = "compliant"
    other["accounts"][0]["controls"]["root_mfa"]["findings"] = []
    with pytest.raises(MergeError, match=r"account prod, control root_mfa: drift in run s1, compliant in run s2"):
        merge_reports([first, other], run_id="m")


def test_a_control_one_slice_did_not_run_takes_the_other_slices_cell():
    root = report("tags-root", ["prod"], tags=("root_mfa",))
    rest = report("tags-rest", ["prod"], tags=tuple(c for c in CTRLS if c != "root_mfa"))
    assert root["accounts"][0]["controls"]["password_policy"]["status"] == "skipped"
    merged = merge_reports([root, rest], run_id="m")
    assert comparable(merged)["accounts"] == comparable(report("full", ["prod"]))["accounts"]
    assert merged["summary"]["complete"] is True


def test_different_modes_are_refused():
    with pytest.raises(MergeError, match=r"different modes .*run a is check, run b is apply"):
        merge_reports([report("a", ["prod"]), report("b", ["dev"], mode="apply")], run_id="m")


def test_other_versions_and_nothing_are_refused():
    other = report("b", ["dev"])
    other["controls"] = other["controls"][:-1]
    with pytest.raises(MergeError, match="other controls"):
        merge_reports([report("a", ["prod"]), other], run_id="m")
    old = report("c", ["dev"])
    old["schema_version"] = "2.0"
    with pytest.raises(MergeError, match=r"schema version 2\.0"):
        merge_reports([report("a", ["prod"]), old], run_id="m")
    with pytest.raises(MergeError, match="no report"):
        merge_reports([], run_id="m")


def exceptions(unused=(), expired=()):
    entry = {"file": "/x.yml", "account": "*", "control": "root_access_keys", "resource": None, "reason": "r"}
    entry |= {"owner": "o", "expires": "2030-01-01", "ticket": None}
    return {
        "files": ["/x.yml"],
        "today": "2026-12-05",
        "warn_days": 14,
        "expired": [{**entry, "index": i, "findings": n} for i, n in expired],
        "expiring": [],
        "unused": [{**entry, "index": i} for i in unused],
    }


def test_exception_entries_are_unused_only_when_no_slice_used_them():
    slices = [report("a", ["prod"]), report("b", ["dev"]), report("c", ["sandbox"])]
    slices[0]["run"]["exceptions"] = exceptions(unused=(0, 1), expired=((2, 1),))
    slices[1]["run"]["exceptions"] = exceptions(unused=(1,), expired=((2, 2),))
    slices[2]["run"]["exceptions"] = None  # no exceptions file for that slice
    found = merge_reports(slices, run_id="m")["run"]["exceptions"]
    assert [e["index"] for e in found["unused"]] == [1]
    assert [(e["index"], e["findings"]) for e in found["expired"]] == [(2, 3)]


def test_a_merged_report_validates_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    merged = merge_reports([report("a", ["prod"]), report("b", ["dev"])], run_id="m")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(json.loads(_report.render_json(merged)), schema, cls=jsonschema.Draft202012Validator)
    for render in (_report.render_markdown, _report.render_html, _report.render_junit):
        assert "prod" in render(merged)
