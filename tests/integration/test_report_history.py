"""Changes since the last run, and one report for a sliced run, in real ansible-playbook runs against the emulated
demo Organization (docs/report.md).

One cycle, all runs of inventories/demo with the report callback:
1. a drift check into the history directory;
2. the same check in three `--limit` slices (one account each), each into its own directory, merged with
   playbooks/merge_reports.yml (accountguard.aws.merge_reports): the merge has exactly the cells and findings of
   the unsliced check (1), whose state is the same (checks write nothing);
3. an apply run, then a second drift check into the history directory: its `changes_since` compares it with the
   first check (not with the apply), lists every deviation the apply fixed as `resolved` (the emulator holds the
   fix), and its HTML trend shows the drop.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.ansible_run import run_playbook

pytestmark = pytest.mark.xdist_group("report_history_cycle")
SVG = "{http://www.w3.org/2000/svg}"
EXTRA_VARS = {
    "baseline_access_keys_deactivate_stale": True,
    "baseline_cloudshell_access_detach": True,
    "baseline_console_access_remove_unused": True,
}


def baseline(emulator, out: Path, creds: Path, check: bool, *args: str):
    result = run_playbook(
        ROOT / "playbooks" / "baseline.yml",
        inventory=ROOT / "inventories" / "demo",
        check=check,
        diff=True,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(out)},
        extra_vars={**EXTRA_VARS, "baseline_credentials_dir": str(creds)},
        args=list(args),
    )
    assert result.rc == 0, result.stderr[-3000:]
    return json.loads((out / "accountguard-report-latest.json").read_text())


def merge(emulator, reports: list, dest: Path):
    return run_playbook(
        ROOT / "playbooks" / "merge_reports.yml",
        extra_vars={"merge_reports_files": [str(r) for r in reports], "merge_reports_dest": str(dest)},
        env=emulator.env(),
    )


@pytest.fixture(scope="module")
def cycle(emulator_server, tmp_path_factory):
    base = tmp_path_factory.mktemp("history")
    emulator = emulator_server
    emulator.reset()
    emulator.seed_demo()
    creds, history = base / "credentials", base / "reports"
    first = baseline(emulator, history, creds, True)
    hosts = [a["host"] for a in first["accounts"]]
    # three slices of the four hosts; the management account's host (which alone checks the Organization's
    # control) sits in one of them, so the merge must count that control checked for the others' slices too
    groups = [hosts[:-2], hosts[-2:-1], hosts[-1:]]
    slices = [
        baseline(emulator, base / f"batch-{n}", creds, True, "--limit", ",".join(group))
        for n, group in enumerate(groups, 1)
    ]
    emulator.clear_requests()
    merged = merge(emulator, [base / "batch-*" / "accountguard-report-latest.json"], base / "merged")
    merge_requests = emulator.requests()
    apply = baseline(emulator, history, creds, False)
    second = baseline(emulator, history, creds, True)
    yield {
        "base": base,
        "emulator": emulator,
        "first": first,
        "slices": slices,
        "merged": merged,
        "merge_requests": merge_requests,
        "apply": apply,
        "second": second,
    }
    emulator.reset()


def pairs(report: dict, status: str) -> set:
    return {
        (a["account_id"], cid) for a in report["accounts"] for cid, c in a["controls"].items() if c["status"] == status
    }


# -- changes since the last run ---------------------------------------------------------------------------------
def test_the_second_check_lists_what_the_apply_fixed_as_resolved(cycle):
    first, apply, second = cycle["first"], cycle["apply"], cycle["second"]
    assert first["run"]["inventory"] == [str(ROOT / "inventories" / "demo")]
    assert first["changes_since"] is None  # the directory was empty
    assert apply["changes_since"] is None  # an apply is compared with earlier applies only: there is none
    changes = second["changes_since"]
    # compared with the first check, not with the apply run that came between, nor with the --limit slices
    assert changes["previous"]["id"] == first["run"]["id"]

    by_change = {
        change: {(p["account_id"], p["control"]) for p in changes["pairs"] if p["change"] == change}
        for change in ("new", "resolved", "still_failing", "newly_accepted")
    }
    drift_before, drift_after = pairs(first, "drift"), pairs(second, "drift")
    assert by_change["resolved"] == drift_before - drift_after and by_change["resolved"]
    assert by_change["still_failing"] == drift_before & drift_after
    # the apply created the declared console users with their first access key, not used yet: new drift
    # (initial_access_keys), compliant in the first check
    assert by_change["new"] == drift_after - drift_before
    assert all(p["before"] == "compliant" for p in changes["pairs"] if p["change"] == "new")
    assert by_change["newly_accepted"] == set()
    assert changes["counts"] == {
        "new": len(by_change["new"]),
        "resolved": len(by_change["resolved"]),
        "still_failing": len(by_change["still_failing"]),
        "newly_accepted": 0,
        "not_compared": 0,
    }
    # every resolved pair is one the apply run changed
    assert by_change["resolved"] <= pairs(apply, "changed")
    # ground truth: what the emulator holds now, read back with boto3, is the fix the report says
    wanted = yaml.safe_load((ROOT / "roles" / "baseline" / "defaults" / "main.yml").read_text())
    fixed_policy = {acct for acct, cid in by_change["resolved"] if cid == "password_policy"}
    assert fixed_policy, by_change["resolved"]
    for account_id in fixed_policy:
        policy = cycle["emulator"].client("iam", account_id).get_account_password_policy()["PasswordPolicy"]
        assert policy["MinimumPasswordLength"] == wanted["baseline_password_policy"]["minimum_password_length"]
    for account_id in {acct for acct, cid in by_change["resolved"] if cid == "admin_group"}:
        cycle["emulator"].client("iam", account_id).get_group(GroupName="Cloudadmin")  # exists now


def test_the_trend_shows_the_drop(cycle):
    first, second = cycle["first"], cycle["second"]
    trend = second["changes_since"]["trend"]
    assert [(p["id"], p["drifted_pairs"]) for p in trend] == [
        (first["run"]["id"], first["summary"]["drifted_pairs"]),
        (second["run"]["id"], second["summary"]["drifted_pairs"]),
    ]
    assert second["summary"]["drifted_pairs"] < first["summary"]["drifted_pairs"]

    history = cycle["base"] / "reports"
    page = (history / f"accountguard-report-{second['run']['id']}.html").read_text()
    svg = ET.fromstring(re.search(r"<svg .*?</svg>", page, re.DOTALL).group(0))
    circles = list(svg.iter(f"{SVG}circle"))
    points = [(c.get("data-run"), int(c.get("data-drifted"))) for c in circles]
    assert points == [(p["id"], p["drifted_pairs"]) for p in trend]
    # drawn as a drop: the second point lower on the page (SVG y grows downwards)
    assert float(circles[1].get("cy")) > float(circles[0].get("cy"))
    assert "<script" not in page and "src=" not in page

    counts = second["changes_since"]["counts"]
    md = (history / f"accountguard-report-{second['run']['id']}.md").read_text()
    assert (
        f"Since run `{first['run']['id']}`: {counts['new']} new, {counts['resolved']} resolved, "
        f"{counts['still_failing']} still failing, 0 newly accepted." in md
    )


# -- one report for a sliced run --------------------------------------------------------------------------------
def comparable(report: dict) -> dict:
    """A report without what differs between runs of one state: run ids, times, --limit, merge bookkeeping."""
    data = json.loads(json.dumps(report))
    for key in ("id", "started", "finished", "limit", "merged_from"):
        data["run"].pop(key, None)
    data.pop("changes_since")
    data.pop("generator")
    return data


def junit_cases(path: Path) -> list:
    root = ET.parse(path).getroot()
    out = []
    for suite in root.findall("testsuite"):
        for case in suite.findall("testcase"):
            outcome = [(el.tag, el.get("type"), el.get("message"), el.text) for el in case]
            out.append((suite.get("name"), case.get("classname"), case.get("name"), outcome))
    return out


def test_three_limit_slices_merged_equal_one_unsliced_check(cycle):
    result = cycle["merged"]
    assert result.rc == 0, result.stderr[-3000:]
    assert cycle["merge_requests"] == []  # the merge makes no AWS call
    slices, first = cycle["slices"], cycle["first"]
    hosts = [a["host"] for a in first["accounts"]]
    assert len(hosts) == 4 and [len(s["accounts"]) for s in slices] == [2, 1, 1]
    assert [s["run"]["limit"] for s in slices] == [",".join(hosts[:2]), hosts[2], hosts[3]]
    assert not all(s["summary"]["complete"] for s in slices)  # a slice without the management host is not
    assert first["summary"]["complete"] is True

    merged_dir = cycle["base"] / "merged"
    merged = json.loads((merged_dir / "accountguard-report-latest.json").read_text())
    assert [r["id"] for r in merged["run"]["merged_from"]] == [s["run"]["id"] for s in slices]
    assert merged["run"]["limit"] is None and merged["run"]["id"].endswith("-merged")
    assert comparable(merged) == comparable(first)
    assert merged["summary"] == first["summary"] and merged["summary"]["drifted_pairs"] > 0

    stem = f"accountguard-report-{merged['run']['id']}"
    assert sorted(p.name for p in merged_dir.iterdir() if "latest" not in p.name) == sorted(
        f"{stem}.{ext}" for ext in ("json", "md", "html", "xml")
    )
    # the exports say the same: JUnit test cases (outcome, message, body) are the unsliced run's
    unsliced_xml = cycle["base"] / "reports" / f"accountguard-report-{first['run']['id']}.xml"
    assert junit_cases(merged_dir / f"{stem}.xml") == junit_cases(unsliced_xml)
    unsliced_md = (cycle["base"] / "reports" / f"accountguard-report-{first['run']['id']}.md").read_text()
    merged_md = (merged_dir / f"{stem}.md").read_text()
    assert merged_md.replace(merged["run"]["id"], "RUN").replace(stem, "STEM") == unsliced_md.replace(
        first["run"]["id"], "RUN"
    ).replace(f"accountguard-report-{first['run']['id']}", "STEM").replace(
        str(cycle["base"] / "reports"), str(merged_dir)
    )


def test_a_merge_of_different_modes_or_conflicting_cells_is_refused_and_writes_nothing(cycle):
    history = cycle["base"] / "reports"
    first, apply, second = (
        history / f"accountguard-report-{cycle[name]['run']['id']}.json" for name in ("first", "apply", "second")
    )
    for reports, message in (
        ([first, apply], "the reports are of different modes"),
        ([first, second], "conflicting cells for account"),
    ):
        dest = cycle["base"] / f"refused-{len(message)}"
        result = merge(cycle["emulator"], reports, dest)
        assert result.rc == 2, result.stdout[-2000:]
        assert message in json.dumps(result.data), result.stdout[-2000:]
        assert not dest.exists()
    # an identical duplicate is not a conflict
    dest = cycle["base"] / "duplicate"
    result = merge(cycle["emulator"], [first, first], dest)
    assert result.rc == 0, result.stdout[-2000:]
    assert comparable(json.loads((dest / "accountguard-report-latest.json").read_text())) == comparable(cycle["first"])
