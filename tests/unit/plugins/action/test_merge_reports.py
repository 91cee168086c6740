"""The merge_reports action plugin: reads the slices' JSON reports, refuses bad input before writing, writes
the merged report through the report callback's writer."""

from __future__ import annotations

import json
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import yaml
from ansible import constants as C
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.accountguard.aws.plugins.action import merge_reports
from ansible_collections.accountguard.aws.plugins.action.merge_reports import ActionModule
from ansible_collections.accountguard.aws.plugins.callback import report as report_callback
from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, cis_ids
from ansible_collections.accountguard.aws.plugins.plugin_utils import _report

LOAD_NAME = "accountguard.aws.report"
CTRLS = {cid: {"title": c["title"], "cis": cis_ids(cid)} for cid, c in CONTROLS.items()}


def slice_report(run_id, host, account_id, mode="check", drift=True):
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host(host, account_id=account_id)
    builder.add_event(
        host, "Password policy", "changed" if drift else "ok", {}, tags=("password_policy",), check_mode=mode == "check"
    )
    return builder.build(
        run_id=run_id, started=f"2026-12-05T10:0{run_id[-1]}:00Z", finished="2026-12-05T11:00:00Z", mode=mode,
        inventory=["/srv/inv.yml"], limit=host,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def writer(monkeypatch):
    """What the plugin loader gives the action: the report callback with its documented options registered
    (plain pytest has no collection loader)."""
    options = yaml.safe_load(report_callback.DOCUMENTATION)["options"]
    C.config.initialize_plugin_configuration_definitions("callback", LOAD_NAME, options)

    def get(name):
        assert name == LOAD_NAME
        callback = report_callback.CallbackModule()
        callback._load_name = LOAD_NAME
        return callback

    monkeypatch.setattr(merge_reports, "callback_loader", SimpleNamespace(get=get))


def run(args, check_mode=False):
    task = Task.load({"action": "accountguard.aws.merge_reports", "args": args})
    task.check_mode = check_mode
    action = ActionModule(task, MagicMock(), PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    return action.run(task_vars={})


@pytest.fixture
def slices(tmp_path):
    paths = []
    for n, (host, account_id) in enumerate((("prod", "111111111111"), ("dev", "222222222222")), 1):
        path = tmp_path / f"batch-{n}" / "accountguard-report-latest.json"
        path.parent.mkdir()
        path.write_text(json.dumps(slice_report(f"s{n}", host, account_id)))
        paths.append(path)
    return paths


def test_merges_the_slices_into_every_format(tmp_path, slices):
    dest = tmp_path / "merged"
    result = run({"reports": [str(tmp_path / "batch-*" / "accountguard-report-latest.json")], "dest": str(dest)})
    assert not result.get("failed"), result
    assert result["merged"] == ["s1", "s2"] and result["summary"]["accounts"] == 2
    assert sorted(result["files"]) == ["html", "json", "junit", "markdown"]
    merged = json.loads((dest / f"accountguard-report-{result['run_id']}.json").read_text())
    assert [a["host"] for a in merged["accounts"]] == ["prod", "dev"] and merged["changes_since"] is None
    # the next merge of the same inventory compares itself with this one, not with the slices
    again = run({"reports": [str(p) for p in slices], "dest": str(dest)})
    later = json.loads((dest / f"accountguard-report-{again['run_id']}.json").read_text())
    assert later["changes_since"]["previous"]["id"] == result["run_id"]
    assert later["changes_since"]["counts"]["still_failing"] == 2


def test_check_mode_merges_and_writes_nothing(tmp_path, slices):
    dest = tmp_path / "merged"
    result = run({"reports": [str(p) for p in slices], "dest": str(dest)}, check_mode=True)
    assert not result.get("failed") and result["files"] == {} and result["summary"]["drifted_pairs"] == 2
    assert not dest.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no report file at"),
        ("not json", "is not a readable JSON report"),
        ('{"a": 1}', "is not an accountguard.aws report"),
        ("apply", "different modes"),
        ("conflict", "conflicting cells for account prod, control password_policy"),
    ],
)
def test_bad_input_fails_before_anything_is_written(tmp_path, slices, content, message):
    extra = tmp_path / "extra.json"
    if content == "apply":
        extra.write_text(json.dumps(slice_report("s3", "sandbox", "333333333333", mode="apply")))
    elif content == "conflict":
        extra.write_text(json.dumps(slice_report("s4", "prod", "111111111111", drift=False)))
    elif content is not None:
        extra.write_text(content)
    dest = tmp_path / "merged"
    result = run({"reports": [str(p) for p in slices] + [str(extra)], "dest": str(dest)})
    assert result["failed"] and message in result["msg"], result
    assert not dest.exists()


def test_default_destination_is_merged_inside_the_callbacks_report_dir(tmp_path, slices, monkeypatch):
    monkeypatch.setenv("ACCOUNTGUARD_REPORT_DIR", str(tmp_path / "reports"))
    result = run({"reports": [str(p) for p in slices], "formats": ["json"], "write_latest": False})
    assert result["dest"] == str(tmp_path / "reports" / "merged")
    assert [p.name for p in (tmp_path / "reports" / "merged").iterdir()] == [
        f"accountguard-report-{result['run_id']}.json"
    ]
