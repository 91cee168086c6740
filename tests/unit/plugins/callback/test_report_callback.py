"""The accountguard.aws.report callback fed with synthetic task results (no playbook, no AWS)."""

from __future__ import annotations

import html
import json
import os
import re
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

SESSION_TASK = "Open the account session and verify the account (account guard)"
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
    # the run id is the file's: two runs never share one
    ids = [json.loads(Path(run.written["json"]).read_text())["run"]["id"] for run in (first, second)]
    assert ids[1] == f"{ids[0]}-2"


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


# -- every run of the baseline writes a report, and latest is that run's ----------------------------------------
class FakeRole:
    def __init__(self, name):
        self.name = name

    def get_name(self, include_role_fqcn=True):
        return self.name


class RoleTask(FakeTask):
    def __init__(self, name, tags=(), action="ansible.builtin.assert", role="accountguard.aws.baseline"):
        super().__init__(name, tags)
        self.action, self._role = action, FakeRole(role)


def every_host_fails_early(callback):
    for host, message in (
        (PROD, "111111111111: account guard: the credentials act in account 123456789012"),
        (DEV, "222222222222: Failed to assume the role: AccessDenied"),
    ):
        callback.v2_runner_on_failed(
            FakeResult(host, RoleTask(SESSION_TASK, ["always"]), {"failed": True, "ok": False, "msg": message})
        )
    callback.v2_playbook_on_stats(None)


def test_a_run_where_every_host_failed_before_any_control_writes_its_report(make_callback, tmp_path):
    callback = make_callback()
    every_host_fails_early(callback)
    out = tmp_path / "reports"
    assert sorted(callback.written) == ["html", "json", "junit", "markdown"]
    data = json.loads((out / "accountguard-report-latest.json").read_text())
    assert data["run"]["id"] == callback._started.strftime("%Y%m%dT%H%M%SZ")
    for account in data["accounts"]:
        assert {c["status"] for c in account["controls"].values()} == {"failed"}
        assert account["drift"] is None  # the drift gate never ran
    dev = next(a for a in data["accounts"] if a["host"] == "dev")
    assert (
        dev["controls"]["root_mfa"]["errors"][0]["message"] == "222222222222: Failed to assume the role: AccessDenied"
    )


def test_other_roles_without_control_tags_still_write_nothing(make_callback, tmp_path):
    callback = make_callback()
    callback.v2_runner_on_failed(
        FakeResult(PROD, RoleTask("x", role="someone.else.role"), {"failed": True, "msg": "x"})
    )
    callback.v2_playbook_on_stats(None)
    assert callback.written == {} and not (tmp_path / "reports").exists()


@pytest.mark.parametrize("write_latest", [True, False])
def test_latest_files_of_formats_not_written_this_run_are_removed(make_callback, tmp_path, write_latest):
    first = make_callback()
    drifted_run(first)
    out = tmp_path / "reports"
    assert len(list(out.glob("accountguard-report-latest.*"))) == 4
    second = make_callback(formats=["json"], write_latest=write_latest)
    second._started = first._started.replace(year=first._started.year + 1)
    every_host_fails_early(second)
    latest = sorted(p.name for p in out.glob("accountguard-report-latest.*"))
    assert latest == (["accountguard-report-latest.json"] if write_latest else [])
    if write_latest:
        assert (out / "accountguard-report-latest.json").read_text() == Path(second.written["json"]).read_text()
    # the timestamped files of the first run are history: kept
    assert all(Path(p).exists() for p in first.written.values())


# -- a failed session names its cause, never a secret -------------------------------------------------------------
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_a_failed_session_cell_carries_the_aws_error_and_no_secret(make_callback):
    callback = make_callback()
    result = {
        "failed": True,
        "msg": f"Failed to assume the role (aws_secret_access_key={SECRET[:-4]}, token FQoGZXIvYXdz{'x' * 120})",
        "error": {"code": "AccessDenied", "message": "not authorized to perform sts:AssumeRole"},
    }
    callback.v2_runner_on_failed(FakeResult(PROD, RoleTask(SESSION_TASK, ["always"]), result))
    callback.v2_playbook_on_stats(None)
    data = json.loads(Path(callback.written["json"]).read_text())
    message = data["accounts"][0]["controls"]["password_policy"]["errors"][0]["message"]
    assert message.startswith("Failed to assume the role")
    assert "(AccessDenied: not authorized to perform sts:AssumeRole)" in message
    for path in callback.written.values():
        text = Path(path).read_text()
        assert SECRET[:-4] not in text and "FQoGZXIvYXdz" not in text, path


def test_a_censored_session_failure_says_so(make_callback):
    callback = make_callback()
    censored = {
        "failed": True,
        "censored": "the output has been hidden due to the fact that 'no_log: true' was specified",
    }
    callback.v2_runner_on_failed(FakeResult(PROD, RoleTask(SESSION_TASK, ["always"]), censored))
    callback.v2_playbook_on_stats(None)
    data = json.loads(Path(callback.written["json"]).read_text())
    assert data["accounts"][0]["errors"][0]["message"] == "details hidden by no_log"


# -- what the drift gate said on the console is in the files -----------------------------------------------------
GATE_RESULT = {
    "changed": False,
    "account_id": "111111111111",
    "drift": [
        {
            "control": "access_key_rotation",
            "message": "access key 1 of bob is 200 days old (max 90)",
            "resource": "arn:aws:iam::111111111111:user/bob",
            "fix_variable": "baseline_access_keys_deactivate_stale",
            "fix": "set baseline_access_keys_deactivate_stale: true to deactivate the key (never deletes it)",
            "manual": False,
        },
        {
            "control": "root_mfa",
            "message": "root user has no MFA",
            "resource": "arn:aws:iam::111111111111:root",
            "fix_variable": None,
            "fix": "sign in as the root user and enrol an MFA device for it",
            "manual": True,
        },
    ],
    "manual": ["sign in as the root user and enrol an MFA device for it"],
    "notes": [
        {
            "control": "iam_users",
            "message": "1 user(s) not in baseline_users, kept: legacy",
            "names": ["legacy"],
            "fix_variable": "baseline_users_purge",
            "fix": "set baseline_users_purge: true to delete them, or declare them in baseline_users",
        }
    ],
    "summary": ["account 111111111111: 2 drift item(s)"],
    "msg": ["account 111111111111: 2 drift item(s)"],
}


def test_the_drift_gates_lists_reach_json_markdown_and_html(make_callback):
    callback = make_callback()
    callback.v2_runner_on_ok(FakeResult(PROD, FakeTask("Root", ["root_mfa"]), {"findings": [], "changed": False}))
    gate = RoleTask("Report what only a person can do", ["always", "drift_gate"], action="accountguard.aws.drift_gate")
    callback.v2_runner_on_ok(FakeResult(PROD, gate, GATE_RESULT))
    callback.v2_playbook_on_stats(None)
    prod = json.loads(Path(callback.written["json"]).read_text())["accounts"][0]
    assert [(d["control"], d["fix_variable"]) for d in prod["drift"]] == [
        ("access_key_rotation", "baseline_access_keys_deactivate_stale"),
        ("root_mfa", None),
    ]
    assert prod["manual"] == ["sign in as the root user and enrol an MFA device for it"]
    assert prod["reported"] == [
        {
            "control": "iam_users",
            "message": "1 user(s) not in baseline_users, kept: legacy",
            "fix_variable": "baseline_users_purge",
            "fix": "set baseline_users_purge: true to delete them, or declare them in baseline_users",
        }
    ]
    assert prod["errors"] == []  # a passing gate is no error
    markdown = re.sub(r"\\(.)", r"\1", Path(callback.written["markdown"]).read_text())
    page = Path(callback.written["html"]).read_text()
    for text in (markdown, html.unescape(page)):
        assert "Only a person can:" in text and "sign in as the root user and enrol an MFA device for it" in text
        assert "Reported, not changed:" in text and "1 user(s) not in baseline_users, kept: legacy" in text
        assert "set baseline_access_keys_deactivate_stale: true to deactivate the key" in text
        assert "set baseline_users_purge: true to delete them" in text


def test_a_failing_gate_keeps_its_lists_and_is_the_accounts_error(make_callback):
    callback = make_callback()
    gate = RoleTask("Report what only a person can do", ["always", "drift_gate"], action="accountguard.aws.drift_gate")
    failed = {
        **GATE_RESULT,
        "failed": True,
        "msg": [*GATE_RESULT["msg"], "(failed because baseline_fail_on_drift is true)"],
    }
    callback.v2_runner_on_ok(FakeResult(PROD, FakeTask("Root", ["root_mfa"]), {"findings": [], "changed": False}))
    callback.v2_runner_on_failed(FakeResult(PROD, gate, failed))
    callback.v2_playbook_on_stats(None)
    prod = json.loads(Path(callback.written["json"]).read_text())["accounts"][0]
    assert len(prod["drift"]) == 2 and prod["manual"]
    assert "baseline_fail_on_drift" in prod["errors"][0]["message"]


# -- the OCSF export (docs/report.md, "OCSF export") --------------------------------------------------------------
def test_the_ocsf_export_is_written_only_when_listed(make_callback, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    default = make_callback()
    drifted_run(default)
    assert "ocsf" not in default.written and not list(out.glob("*.ocsf.jsonl"))

    monkeypatch.setenv("ACCOUNTGUARD_REPORT_FORMATS", "json,ocsf")
    callback = report_callback.CallbackModule()
    callback._load_name = LOAD_NAME
    callback.set_options(direct={"report_dir": str(out)})
    assert callback.get_option("formats") == ["json", "ocsf"]
    callback._started = default._started.replace(year=default._started.year + 1)
    drifted_run(callback)
    path = Path(callback.written["ocsf"])
    assert path.name == f"accountguard-report-{callback._started:%Y%m%dT%H%M%SZ}.ocsf.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    events = [json.loads(line) for line in path.read_text().splitlines()]
    report = json.loads(Path(callback.written["json"]).read_text())
    # prod: the password policy would change, root MFA fails; dev: the password policy is compliant (the failed
    # and skipped controls were not evaluated)
    assert sorted((e["cloud"]["account"]["uid"], e["compliance"]["control"], e["status"]) for e in events) == [
        ("111111111111", "password_policy", "New"),
        ("111111111111", "root_mfa", "New"),
        ("222222222222", "password_policy", "Resolved"),
    ]
    assert {e["metadata"]["correlation_uid"] for e in events} == {report["run"]["id"]}
    assert {e["metadata"]["product"].get("version") for e in events} == {report["generator"]["version"]}
    # latest follows this run: its OCSF file too, and the formats it did not write are gone
    assert (out / "accountguard-report-latest.ocsf.jsonl").read_text() == path.read_text()
    assert sorted(p.name for p in out.glob("accountguard-report-latest.*")) == [
        "accountguard-report-latest.json",
        "accountguard-report-latest.ocsf.jsonl",
    ]


def test_the_second_run_of_an_inventory_compares_itself_with_the_first(make_callback, cli, tmp_path):
    cli(check=True, diff=True, inventory=("/srv/inv/organizations.yml",), subset=None)
    drifted_run(make_callback())
    first = json.loads((tmp_path / "reports" / "accountguard-report-latest.json").read_text())
    assert first["run"]["inventory"] == ["/srv/inv/organizations.yml"] and first["run"]["limit"] is None
    assert first["changes_since"] is None  # nothing earlier in the directory

    # a run of another --limit is not this inventory's previous run
    cli(check=True, diff=True, inventory=("/srv/inv/organizations.yml",), subset="prod")
    drifted_run(make_callback())
    limited = json.loads((tmp_path / "reports" / "accountguard-report-latest.json").read_text())
    assert limited["run"]["limit"] == "prod" and limited["changes_since"] is None

    cli(check=True, diff=True, inventory=("/srv/inv/organizations.yml",), subset=None)
    callback = make_callback()
    callback.v2_runner_on_ok(FakeResult(PROD, FakeTask("Password policy", ["password_policy"]), {"changed": False}))
    callback.v2_playbook_on_stats(None)
    second = json.loads(Path(callback.written["json"]).read_text())
    changes = second["changes_since"]
    assert changes["previous"]["id"] == first["run"]["id"]
    resolved = [(p["host"], p["control"]) for p in changes["pairs"] if p["change"] == "resolved"]
    assert resolved == [("prod", "password_policy")]
    assert [p["drifted_pairs"] for p in changes["trend"]] == [first["summary"]["drifted_pairs"], 0]
    assert "Changes since the last run" in Path(callback.written["html"]).read_text()
    assert f"Since run `{first['run']['id']}`: 0 new, 1 resolved" in Path(callback.written["markdown"]).read_text()


def test_a_damaged_earlier_report_costs_the_run_no_report(make_callback, cli, tmp_path, capsys):
    cli(check=True, diff=True, inventory=("/srv/inv/organizations.yml",), subset=None)
    drifted_run(make_callback())
    earlier = tmp_path / "reports" / "accountguard-report-latest.json"
    damaged = json.loads(earlier.read_text())
    del damaged["accounts"][0]["controls"]  # same inventory, but no cells to compare with
    (tmp_path / "reports" / "accountguard-report-19990101T000000Z.json").write_text(json.dumps(damaged))
    for path in (tmp_path / "reports").glob("accountguard-report-2*.json"):
        path.unlink()
    callback = make_callback()
    drifted_run(callback)
    report = json.loads(Path(callback.written["json"]).read_text())
    assert report["changes_since"] is None and report["summary"]["drifted_pairs"] > 0
    assert "not compared with the last run" in capsys.readouterr().err
