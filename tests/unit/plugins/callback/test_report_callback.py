"""The accountguard.aws.report callback fed with synthetic task results (no playbook, no AWS)."""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from ansible import constants as C
from ansible import context
from ansible.module_utils.common.collections import ImmutableDict

from ansible_collections.accountguard.aws.plugins.callback import report as report_callback
from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROL_IDS

LOAD_NAME = "accountguard.aws.report"


class FakeHost:
    def __init__(self, name, **hostvars):
        self.name, self.vars = name, hostvars

    def get_name(self):
        return self.name


class FakeTask:
    def __init__(self, name, tags=(), check_mode=None):
        self.name, self.tags, self.check_mode = name, list(tags), check_mode

    def get_name(self):
        return self.name


class FakeResult:
    """The public shape of ansible-core 2.19's CallbackTaskResult."""

    def __init__(self, host, task, result):
        self.host, self.task, self.result, self.task_name = host, task, result, task.name


class LegacyResult:
    """ansible-core < 2.19 only had the underscored attributes."""

    def __init__(self, host, task, result):
        self._host, self._task, self._result = host, task, result


class FakePlaybook:
    _file_name = "/somewhere/playbooks/baseline.yml"


@pytest.fixture
def cli(monkeypatch):
    def set_cli(**args):
        monkeypatch.setattr(context, "CLIARGS", ImmutableDict(args))

    set_cli(check=True, diff=True)
    return set_cli


@pytest.fixture
def make_callback(tmp_path, cli):
    # What the plugin loader does, without it: register the documented options so set_options() resolves them
    # exactly as in a playbook run (defaults, env, ini, direct).
    options = yaml.safe_load(report_callback.DOCUMENTATION)["options"]
    C.config.initialize_plugin_configuration_definitions("callback", LOAD_NAME, options)

    def make(**options):
        callback = report_callback.CallbackModule()
        callback._load_name = LOAD_NAME
        callback.set_options(direct={"report_dir": str(tmp_path / "reports"), **options})
        callback.v2_playbook_on_start(FakePlaybook())
        return callback

    return make


PROD = FakeHost("prod", aws_account_id="111111111111", aws_account_name="Prod", aws_ou_path="Root/Workloads/Prod")
DEV = FakeHost("dev", aws_account_id=222222222222)


def drifted_run(callback, result_cls=FakeResult):
    callback.v2_runner_on_ok(result_cls(PROD, FakeTask("Account session", ["always"]), {"changed": False}))
    callback.v2_runner_on_ok(
        result_cls(
            PROD,
            FakeTask("Password policy", ["password_policy", "baseline"]),
            {
                "changed": True,
                "diff": {"before": {"minimum_password_length": 8}, "after": {"minimum_password_length": 14}},
            },
        )
    )
    findings = [
        {
            "id": "root_mfa",
            "status": "fail",
            "resource": "arn:aws:iam::111111111111:root",
            "message": "no MFA",
            "cis": [],
        }
    ]
    callback.v2_runner_on_ok(
        result_cls(PROD, FakeTask("Root", ["root_account"]), {"changed": False, "findings": findings})
    )
    callback.v2_runner_on_ok(result_cls(DEV, FakeTask("Password policy", ["password_policy"]), {"changed": False}))
    callback.v2_runner_on_skipped(result_cls(DEV, FakeTask("Admin group", ["admin_group"]), {"skipped": True}))
    callback.v2_runner_on_failed(
        result_cls(DEV, FakeTask("Users", ["iam_users"]), {"failed": True, "msg": "AccessDenied: iam:CreateUser"})
    )
    callback.v2_playbook_on_stats(None)


def test_writes_every_format_with_timestamp_and_latest(make_callback, tmp_path):
    callback = make_callback()
    drifted_run(callback)
    out = tmp_path / "reports"
    names = sorted(p.name for p in out.iterdir())
    stamped = [n for n in names if "latest" not in n]
    assert len(stamped) == 4 and {Path(n).suffix for n in stamped} == {".json", ".md", ".html", ".xml"}
    assert all(n.startswith("accountguard-report-2") for n in stamped)
    assert sorted(n for n in names if "latest" in n) == [
        f"accountguard-report-latest.{e}" for e in ("html", "json", "md", "xml")
    ]
    assert (out / "accountguard-report-latest.json").read_text() == Path(callback.written["json"]).read_text()
    assert stat.S_IMODE(os.stat(callback.written["json"]).st_mode) == 0o640
    assert not [n for n in names if n.startswith(".tmp-")]

    data = json.loads(Path(callback.written["json"]).read_text())
    assert data["run"]["mode"] == "check" and data["run"]["diff"] is True
    assert data["run"]["playbooks"] == ["baseline.yml"]
    assert data["generator"]["name"] == "accountguard.aws.report"
    prod, dev = data["accounts"]
    assert (prod["account_id"], prod["name"], prod["ou_path"]) == ("111111111111", "Prod", "Root/Workloads/Prod")
    assert dev["account_id"] == "222222222222"
    assert prod["controls"]["password_policy"]["status"] == "drift"
    assert prod["controls"]["password_policy"]["changes"][0]["fields"] == [
        {"field": "minimum_password_length", "before": 8, "after": 14, "action": "update"}
    ]
    assert prod["controls"]["root_mfa"]["status"] == "drift"
    assert dev["controls"]["password_policy"]["status"] == "compliant"
    assert dev["controls"]["admin_group"]["status"] == "skipped"
    assert dev["controls"]["iam_users"]["status"] == "failed"

    junit = ET.parse(callback.written["junit"]).getroot()
    assert int(junit.get("failures")) == 3 == data["summary"]["problem_pairs"]
    assert int(junit.get("tests")) == 2 * len(CONTROL_IDS)
    assert callback.written["html"] in Path(callback.written["markdown"]).read_text()


def test_legacy_result_objects(make_callback):
    callback = make_callback()
    drifted_run(callback, LegacyResult)
    data = json.loads(Path(callback.written["json"]).read_text())
    assert data["summary"]["drifted_pairs"] == 2


def test_apply_mode_from_cli_and_task_check_mode(make_callback, cli):
    cli(check=False, diff=False)
    callback = make_callback()
    callback.v2_runner_on_ok(FakeResult(PROD, FakeTask("Policy", ["password_policy"]), {"changed": True}))
    # a task forced into check mode reports drift even in an apply run
    callback.v2_runner_on_ok(FakeResult(PROD, FakeTask("Probe", ["admin_group"], check_mode=True), {"changed": True}))
    callback.v2_playbook_on_stats(None)
    data = json.loads(Path(callback.written["json"]).read_text())
    assert data["run"]["mode"] == "apply"
    assert data["accounts"][0]["controls"]["password_policy"]["status"] == "changed"
    assert data["accounts"][0]["controls"]["admin_group"]["status"] == "drift"


def test_nothing_written_without_control_tags(make_callback, tmp_path):
    callback = make_callback()
    callback.v2_runner_on_ok(FakeResult(PROD, FakeTask("module under test"), {"changed": True, "findings": []}))
    callback.v2_playbook_on_stats(None)
    assert callback.written == {}
    assert not (tmp_path / "reports").exists()


def test_option_defaults_and_environment(make_callback, monkeypatch, tmp_path):
    monkeypatch.setenv("ACCOUNTGUARD_REPORT_FORMATS", "markdown,json")
    monkeypatch.setenv("ACCOUNTGUARD_REPORT_DIR", str(tmp_path / "from-env"))
    callback = report_callback.CallbackModule()
    callback._load_name = LOAD_NAME
    callback.set_options()
    assert callback.get_option("formats") == ["markdown", "json"]
    assert callback.get_option("report_dir") == str(tmp_path / "from-env")
    assert callback.get_option("write_latest") is True
    monkeypatch.delenv("ACCOUNTGUARD_REPORT_DIR")
    callback.set_options()
    assert callback.get_option("report_dir") == os.path.join(os.getcwd(), "reports")


def test_formats_and_latest_options(make_callback, tmp_path):
    callback = make_callback(formats=["junit", "json"], write_latest=False)
    drifted_run(callback)
    assert sorted(callback.written) == ["json", "junit"]
    assert sorted(Path(p).suffix for p in os.listdir(tmp_path / "reports")) == [".json", ".xml"]


def test_two_runs_in_one_second_do_not_overwrite(make_callback):
    first, second = make_callback(), make_callback()
    second._started = first._started
    drifted_run(first)
    drifted_run(second)
    assert first.written["json"] != second.written["json"]
    assert second.written["json"].endswith("-2.json")


def test_unwritable_directory_warns_instead_of_failing_the_run(make_callback, tmp_path, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    callback = make_callback(report_dir=str(blocker))
    drifted_run(callback)
    assert callback.written == {}
    assert "could not write the report" in capsys.readouterr().err


def test_censored_result_and_secrets(make_callback):
    callback = make_callback()
    censored = {
        "changed": True,
        "censored": "the output has been hidden due to the fact that 'no_log: true' was specified",
    }
    callback.v2_runner_on_ok(FakeResult(PROD, FakeTask("Users", ["iam_users"]), censored))
    leaky = {"changed": True, "diff": {"before": {}, "after": {"password": "S3cret-Initial!", "user": "bob"}}}
    callback.v2_runner_on_ok(FakeResult(DEV, FakeTask("Users", ["iam_users"]), leaky))
    callback.v2_playbook_on_stats(None)
    for path in callback.written.values():
        text = Path(path).read_text()
        assert "S3cret-Initial!" not in text
    data = json.loads(Path(callback.written["json"]).read_text())
    prod, dev = data["accounts"]
    assert prod["controls"]["iam_users"]["changes"] == [
        {"task": "Users", "censored": True, "before": None, "after": None, "fields": []}
    ]
    assert dev["controls"]["iam_users"]["changes"][0]["after"] == {"password": "**REDACTED**", "user": "bob"}


class FakePlay:
    def __init__(self, hostvars):
        self.hostvars = hostvars

    def get_variable_manager(self):
        play = self

        class Manager:
            def get_vars(self, play=None, host=None, include_hostvars=True):
                return play_vars(host)

        def play_vars(host):
            return play.hostvars.get(host.name, {})

        return Manager()


def test_account_metadata_from_host_vars_files_literal_only(make_callback):
    callback = make_callback()
    callback.v2_playbook_on_play_start(
        FakePlay(
            {
                "filed": {"aws_account_id": "444455556666", "aws_ou_path": "Root/Sandbox", "aws_account_name": True},
                "templated": {"aws_account_id": "{{ lookup('env', 'X') }}"},
            }
        )
    )
    for host in (FakeHost("filed"), FakeHost("templated"), FakeHost("inline", aws_account_id="777788889999")):
        callback.v2_runner_on_ok(FakeResult(host, FakeTask("Policy", ["password_policy"]), {"changed": False}))
    callback.v2_playbook_on_stats(None)
    accounts = {a["host"]: a for a in json.loads(Path(callback.written["json"]).read_text())["accounts"]}
    assert (accounts["filed"]["account_id"], accounts["filed"]["ou_path"]) == ("444455556666", "Root/Sandbox")
    assert accounts["filed"]["name"] is None  # a boolean is no account name
    assert accounts["templated"]["account_id"] is None  # never render a template from a callback
    assert accounts["inline"]["account_id"] == "777788889999"


def test_a_stem_reserved_by_a_parallel_run_is_not_reused(make_callback, tmp_path):
    callback = make_callback()
    run_id = callback._started.strftime("%Y%m%dT%H%M%SZ")
    out = tmp_path / "reports"
    out.mkdir()
    # another ansible-playbook started in the same second has reserved its name but not written yet
    (out / f"accountguard-report-{run_id}.json").write_text("")
    drifted_run(callback)
    assert callback.written["json"].endswith(f"{run_id}-2.json")
    assert (out / f"accountguard-report-{run_id}.json").read_text() == ""
