"""What changed since the last run (plugin_utils/_history.py): the comparison rules on plain report documents."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, cis_ids
from ansible_collections.accountguard.aws.plugins.plugin_utils import _history, _report

CTRLS = {cid: {"title": c["title"], "cis": cis_ids(cid)} for cid, c in CONTROLS.items()}
INVENTORY = ["/srv/inv/organizations.yml"]
ROOT_ARN = "arn:aws:iam::{}:root".format
SCHEMA = Path(__file__).resolve().parents[4] / "docs" / "report-schema.json"


def fail(account_id, cid, resource=None):
    return {"id": cid, "status": "fail", "resource": resource or ROOT_ARN(account_id), "message": "m", "cis": []}


def run(
    run_id,
    cells,
    mode="check",
    inventory=None,
    limit=None,
    accounts=(("prod", "111111111111"), ("dev", "222222222222")),
):
    """A report of `accounts` in which `cells` maps (host, control) -> drift | compliant | changed | failed |
    accepted; every other cell of an account is compliant (checked with no finding)."""
    inventory = INVENTORY if inventory is None else inventory
    builder = _report.ReportBuilder(CTRLS)
    exceptions = {}
    for host, account_id in accounts:
        builder.add_host(host, account_id=account_id)
        for cid in CTRLS:
            status = cells.get((host, cid), "compliant")
            if status == "drift":
                builder.add_event(host, "check", "ok", {"findings": [fail(account_id, cid)]}, tags=(cid,))
            elif status == "accepted":
                builder.add_event(host, "check", "ok", {"findings": [fail(account_id, cid)]}, tags=(cid,))
                exceptions.setdefault(host, []).append((account_id, cid))
            elif status == "changed":
                builder.add_event(host, "enforce", "changed", {}, tags=(cid,), check_mode=False)
            elif status == "failed":
                builder.add_event(host, "enforce", "failed", {"msg": "boom"}, tags=(cid,))
            elif status == "skipped":
                builder.add_event(host, "enforce", "skipped", {}, tags=(cid,))
            else:
                builder.add_event(host, "enforce", "ok", {}, tags=(cid,))
    report = builder.build(
        run_id=run_id,
        started=f"2026-12-0{run_id[-1]}T00:00:00Z",
        finished="f",
        mode=mode,
        inventory=inventory,
        limit=limit,
    )
    # An accepted cell, as _report makes it from an exceptions file (its own tests cover the matching).
    for account in report["accounts"]:
        for _account_id, cid in exceptions.get(account["host"], ()):
            cell = account["controls"][cid]
            cell["status"] = "accepted"
            cell["findings"] = [{**f, "status": "accepted"} for f in cell["findings"]]
    report["summary"] = _report.summarize(report["accounts"], len(CTRLS))
    return report


def test_classify_every_pair_of_statuses():
    table = {
        ("drift", "drift"): "still_failing",
        ("compliant", "drift"): "new",
        ("changed", "drift"): "new",
        ("accepted", "drift"): "new",  # the exception lapsed or no longer covers it
        ("drift", "compliant"): "resolved",
        ("drift", "changed"): "resolved",
        ("drift", "accepted"): "newly_accepted",
        ("compliant", "accepted"): "newly_accepted",
        ("accepted", "accepted"): None,
        ("compliant", "compliant"): None,
        ("accepted", "compliant"): None,
        ("failed", "drift"): None,
        ("drift", "failed"): None,
        ("drift", "unreachable"): None,
        ("skipped", "drift"): None,
        ("drift", "skipped"): None,
    }
    for (before, after), expected in table.items():
        assert _history.classify(before, after) == expected, (before, after)


def test_changes_since_counts_and_lists_each_pair():
    first = run(
        "r1", {("prod", "root_mfa"): "drift", ("prod", "password_policy"): "drift", ("dev", "user_mfa"): "drift"}
    )
    second = run(
        "r2",
        {
            ("prod", "root_mfa"): "drift",  # still failing
            ("dev", "user_mfa"): "accepted",  # newly accepted
            ("dev", "iam_users"): "drift",  # new
            ("prod", "admin_group"): "failed",  # not compared
        },
    )  # prod password_policy: resolved
    changes = _history.changes_since(second, [first])
    assert changes["previous"] == {"id": "r1", "started": "2026-12-01T00:00:00Z", "finished": "f", "drifted_pairs": 3}
    assert changes["counts"] == {"new": 1, "resolved": 1, "still_failing": 1, "newly_accepted": 1, "not_compared": 1}
    pairs = {(p["host"], p["control"]): (p["change"], p["before"], p["after"]) for p in changes["pairs"]}
    assert pairs == {
        ("prod", "password_policy"): ("resolved", "drift", "compliant"),
        ("prod", "root_mfa"): ("still_failing", "drift", "drift"),
        ("dev", "user_mfa"): ("newly_accepted", "drift", "accepted"),
        ("dev", "iam_users"): ("new", "compliant", "drift"),
    }
    resolved = next(p for p in changes["pairs"] if p["change"] == "resolved")
    assert resolved["resolved_findings"] == [ROOT_ARN("111111111111")] and resolved["new_findings"] == []
    assert [(p["drifted_pairs"], p["id"]) for p in changes["trend"]] == [(3, "r1"), (2, "r2")]
    assert changes["new_accounts"] == changes["missing_accounts"] == []


def test_findings_that_come_and_go_within_a_still_failing_pair():
    first = run("r1", {("prod", "user_mfa"): "drift"})
    second = run("r2", {("prod", "user_mfa"): "drift"})
    prod = next(a for a in second["accounts"] if a["host"] == "prod")
    prod["controls"]["user_mfa"]["findings"] = [fail("111111111111", "user_mfa", "arn:aws:iam::111111111111:user/x")]
    (pair,) = _history.changes_since(second, [first])["pairs"]
    assert pair["change"] == "still_failing"
    assert pair["new_findings"] == ["arn:aws:iam::111111111111:user/x"]
    assert pair["resolved_findings"] == [ROOT_ARN("111111111111")]


def test_the_previous_run_is_the_latest_earlier_one_of_the_same_inventory():
    current = run("r5", {})
    history = [
        run("r1", {("prod", "root_mfa"): "drift"}),
        run("r3", {("prod", "root_mfa"): "drift", ("dev", "root_mfa"): "drift"}),
        run("r4", {}, mode="apply"),  # an apply is not a check's previous run
        run("r2", {}, inventory=["/srv/other.yml"]),  # another inventory
        run("r4", {}, limit="prod"),  # another --limit
        run("r6", {("prod", "user_mfa"): "drift"}),  # later than this run (started after it)
        run("r5", {("prod", "user_mfa"): "drift"}),  # this run's own file
        run("r2", {}, accounts=(("other", "999999999999"),)),  # same inventory, no account in common (AWX slice)
    ]
    changes = _history.changes_since(current, history)
    assert changes["previous"]["id"] == "r3"
    assert changes["counts"]["resolved"] == 2
    assert [p["id"] for p in changes["trend"]] == ["r1", "r3", "r5"]


def test_no_previous_run_means_no_changes_section():
    report = run("r1", {("prod", "root_mfa"): "drift"})
    assert _history.changes_since(report, []) is None
    old = run("r0", {})
    del old["run"]["inventory"]  # a report of schema 1.2 records no inventory: never compared
    assert _history.changes_since(report, [old]) is None
    assert _history.markdown_summary(report) == _history.markdown_section(report, str) == []
    assert _history.html_section(report) == ""


def test_accounts_new_and_gone():
    first = run("r1", {}, accounts=(("prod", "111111111111"), ("old", "333333333333")))
    second = run("r2", {("dev", "root_mfa"): "drift"})
    changes = _history.changes_since(second, [first])
    assert changes["new_accounts"] == ["dev"]
    assert changes["missing_accounts"] == ["old"]
    # an account the previous run did not have has no pair: its drift is not "new" (it was never compared)
    assert all(p["host"] != "dev" for p in changes["pairs"])


def test_the_trend_keeps_the_last_ten_runs():
    history = [run(f"r{i}", {}) for i in range(1, 11)]
    for i, report in enumerate(history):
        report["run"]["started"] = f"2026-12-{i + 1:02d}T00:00:00Z"
        report["run"]["id"] = f"r{i + 1:02d}"
    history.append(json.loads(json.dumps(history[-1])))  # a copy of one run's file counts once
    current = run("r0", {("prod", "root_mfa"): "drift"})
    current["run"]["started"], current["run"]["id"] = "2026-12-20T00:00:00Z", "r20"
    trend = _history.changes_since(current, history)["trend"]
    assert len(trend) == 10 and trend[-1] == {"id": "r20", "started": "2026-12-20T00:00:00Z", "drifted_pairs": 1}
    assert trend[0]["id"] == "r02"


def test_read_reports_skips_what_is_not_a_report(tmp_path):
    report = run("r1", {})
    (tmp_path / "accountguard-report-r1.json").write_text(json.dumps(report))
    (tmp_path / "accountguard-report-latest.json").write_text(json.dumps(report))
    (tmp_path / "accountguard-report-r2.json").write_text("")  # a run reserving its id, not written yet
    (tmp_path / "accountguard-report-r3.json").write_text("[1, 2]")
    (tmp_path / "other.json").write_text(json.dumps(report))
    assert [r["run"]["id"] for r in _history.read_reports(str(tmp_path))] == ["r1"]
    assert _history.read_reports(str(tmp_path / "missing")) == []


def test_the_history_read_is_bounded_newest_first(tmp_path):
    for day in range(1, 10):
        (tmp_path / f"accountguard-report-2026120{day}T000000Z.json").write_text(json.dumps(run(f"r{day}", {})))
    other = run("r9", {}, inventory=["/srv/other.yml"])
    (tmp_path / "accountguard-report-20261209T000001Z.json").write_text(json.dumps(other))
    current = run("r9", {})
    current["run"]["id"] = "20261209T120000Z"
    found = _history.history_of(current, str(tmp_path))
    assert [r["run"]["id"] for r in found] == ["r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1"]
    few = _history.read_reports(str(tmp_path), matching=lambda r: r["run"]["inventory"] == INVENTORY, enough=2)
    assert [r["run"]["id"] for r in few] == ["r9", "r8"]
    assert [r["run"]["id"] for r in _history.read_reports(str(tmp_path), max_files=3)] == ["r9", "r9", "r8"]


def svg_points(text: str) -> list[tuple[str, int]]:
    svg = re.search(r"<svg .*?</svg>", text, re.DOTALL).group(0)
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    return [(c.get("data-run"), int(c.get("data-drifted"))) for c in root.iter(f"{ns}circle")]


def test_renderers_show_counts_pairs_and_the_trend():
    first = run("r1", {("prod", "root_mfa"): "drift", ("prod", "password_policy"): "drift"})
    second = run("r2", {("prod", "root_mfa"): "drift", ("dev", "user_mfa"): "drift"})
    second["changes_since"] = _history.changes_since(second, [first])
    md = _report.render_markdown(second)
    assert "Since run `r1`: 1 new, 1 resolved, 1 still failing, 0 newly accepted." in md
    assert "## Changes since the last run" in md
    assert "- prod \\(111111111111\\) `password_policy`: drift \u2192 compliant" in md
    assert "Drifted pairs over the last runs: 2 \u2192 2." in md
    page = _report.render_html(second)
    assert "<script" not in page and "http://www.w3.org/2000/svg" in page
    assert svg_points(page) == [("r1", 2), ("r2", 2)]
    assert '<span class="chip ch-resolved">1 resolved</span>' in page


def test_svg_points_fall_with_the_drift():
    trend = [{"id": "a", "drifted_pairs": 8}, {"id": "b", "drifted_pairs": 2}, {"id": "c", "drifted_pairs": 0}]
    root = ET.fromstring(_history.trend_svg(trend))
    circles = list(root.iter("{http://www.w3.org/2000/svg}circle"))
    ys = [float(c.get("cy")) for c in circles]
    assert ys[0] < ys[1] < ys[2]  # SVG y grows downwards: fewer drifted pairs, lower point
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs)
    assert "Drifted pairs over the last runs: 8, 2, 0" in root.find("{http://www.w3.org/2000/svg}title").text


def test_reports_with_changes_validate_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    first = run("r1", {("prod", "root_mfa"): "drift"})
    second = run("r2", {("dev", "root_mfa"): "accepted"}, limit="prod:dev")
    second["run"]["limit"] = None
    second["changes_since"] = _history.changes_since(second, [first])
    for report in (first, second):
        jsonschema.validate(json.loads(_report.render_json(report)), schema, cls=jsonschema.Draft202012Validator)


def test_runs_of_one_second_keep_their_order():
    runs = [run("r1", {}) for _n in range(11)]
    for n, report in enumerate(runs, 1):
        report["run"]["id"] = "20261205T000000Z" if n == 1 else f"20261205T000000Z-{n}"
    current = runs.pop()
    assert _history.changes_since(current, runs)["previous"]["id"] == "20261205T000000Z-10"
