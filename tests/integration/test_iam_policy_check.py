"""group_permissions, admin_policies and cloudshell_access (accountguard.aws.iam_policy_check) against the emulator.

Each control gets a failing account and a passing one in the same baseline run; the verdicts are read from the
report JSON. The CloudShell detachment is proved by reading the accounts back, --check by zero writes, and the
cost by the request log: one GetAccountAuthorizationDetails whatever the number of users and policies.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from helpers.ansible_run import ROOT, run_module, run_playbook, write_inventory

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
BAD, GOOD = "444444444444", "555555555555"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
CLOUDSHELL = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
MINE = ("group_permissions", "admin_policies", "cloudshell_access")
# Only the policy controls run (and the administrators group, whose AdministratorAccess is the exception).
ONLY_MINE = {
    "baseline_password_policy_enabled": False,
    "baseline_root_account_enabled": False,
    "baseline_user_mfa_enabled": False,
    "baseline_iam_users_enabled": False,
    "baseline_access_keys_enabled": False,
    "baseline_security_contact_enabled": False,
    "baseline_access_analyzer_enabled": False,
}
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}


def document(action, resource="*"):
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


def seed_bad(emulator, account=BAD):
    """One failing subject per control, and the administrators group the baseline accepts."""
    iam = emulator.client("iam", account_id=account)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=READONLY)
    iam.create_user(UserName="grouped")  # passes group_permissions even here
    iam.add_user_to_group(GroupName="readers", UserName="grouped")
    iam.create_user(UserName="direct")
    iam.attach_user_policy(UserName="direct", PolicyArn=READONLY)
    iam.put_user_policy(UserName="direct", PolicyName="own", PolicyDocument=document("s3:GetObject"))
    arn = iam.create_policy(PolicyName="AllowAll", PolicyDocument=document("*:*"))["Policy"]["Arn"]
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="deploy", PolicyArn=arn)
    iam.create_role(RoleName="shell", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="shell", PolicyArn=CLOUDSHELL)
    iam.create_group(GroupName="Cloudadmin")
    iam.attach_group_policy(GroupName="Cloudadmin", PolicyArn=ADMIN)


def seed_good(emulator, account=GOOD):
    """Every control passes: users in groups, narrow policies, NotAction is not full admin, no CloudShell."""
    iam = emulator.client("iam", account_id=account)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=READONLY)
    iam.create_user(UserName="grouped")
    iam.add_user_to_group(GroupName="readers", UserName="grouped")
    not_iam = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    )
    arn = iam.create_policy(PolicyName="PowerUser", PolicyDocument=not_iam)["Policy"]["Arn"]
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="deploy", PolicyArn=arn)
    iam.put_role_policy(RoleName="deploy", PolicyName="s3", PolicyDocument=document("s3:*"))


def run_baseline(emulator, tmp_path: Path, *, check: bool, args=None, **variables):
    hosts = {
        "bad": {"aws_account_id": BAD, "baseline_role_arn": ROLE.format(BAD)},
        "good": {"aws_account_id": GOOD, "baseline_role_arn": ROLE.format(GOOD)},
    }
    inventory = write_inventory(
        tmp_path / "inventory.yml", hosts, baseline_credentials_dir=str(tmp_path / "creds"), **ONLY_MINE, **variables
    )
    out = tmp_path / ("check" if check else "apply")
    result = run_playbook(
        PLAYBOOK,
        inventory=inventory,
        check=check,
        diff=check,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(out), "ACCOUNTGUARD_REPORT_FORMATS": "json"},
        args=args,
    )
    assert result.rc == 0, result.stderr[-3000:]
    report = json.loads((out / "accountguard-report-latest.json").read_text())
    return result, {a["host"]: a for a in report["accounts"]}


def verdicts(account: dict, control: str) -> dict:
    """resource (name part) -> status of the control's findings in the report."""
    return {f["resource"].split(":", 5)[-1]: f["status"] for f in account["controls"][control]["findings"]}


def attached(iam) -> dict:
    out = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        out[f"role/{name}"] = [
            p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        ]
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        out[f"user/{name}"] = [
            p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
        ]
    return out


def test_check_reports_each_control_failing_in_one_account_and_passing_in_the_other(emulator, tmp_path):
    seed_bad(emulator)
    seed_good(emulator)
    emulator.clear_requests()
    result, accounts = run_baseline(emulator, tmp_path, check=True, baseline_cloudshell_access_detach=True)
    assert emulator.requests(writes_only=True) == []

    bad, good = accounts["bad"], accounts["good"]
    assert {cid: bad["controls"][cid]["status"] for cid in MINE} == dict.fromkeys(MINE, "drift")
    assert {cid: good["controls"][cid]["status"] for cid in MINE} == dict.fromkeys(MINE, "compliant")

    assert verdicts(bad, "group_permissions") == {"user/direct": "fail", "user/grouped": "pass"}
    assert verdicts(good, "group_permissions") == {"user/grouped": "pass"}

    assert verdicts(bad, "admin_policies") == {"role/deploy": "fail", "group/Cloudadmin": "pass"}
    accepted = next(f for f in bad["controls"]["admin_policies"]["findings"] if f["status"] == "pass")
    assert accepted["message"].startswith("accepted exception:")
    assert "docs/exceptions.md" in accepted["message"] and "AdministratorAccess" in accepted["message"]
    assert verdicts(good, "admin_policies") == {"root": "pass"}
    assert good["controls"]["admin_policies"]["findings"][0]["cis"] == [
        "cis-aws-3.0:1.16",
        "cis-aws-4.0.1:1.16",
        "cis-aws-5.0:1.15",
        "cis-aws-6.0:2.15",
        "cis-aws-7.0:2.14",
    ]

    assert verdicts(bad, "cloudshell_access") == {"role/shell": "fail"}
    assert verdicts(good, "cloudshell_access") == {"root": "pass"}
    # the drift names the variable that fixes it; the accepted exception is a note, not drift
    drift = {(d["control"], d["message"]): d for d in bad["drift"]}
    assert drift[("cloudshell_access", "would change")]["fix_variable"] == "baseline_cloudshell_access_detach"
    # (the account has no support role either: support_role, another task's control)
    assert {control for control, _message in drift} - {"support_role"} == set(MINE) | {"admin_group"}
    assert not any("accepted" in message for _control, message in drift)
    gate = next(r for r in result.task_results("bad") if "notes" in r and "drift" in r)
    assert any(n["control"] == "admin_policies" and "accepted exception" in n["message"] for n in gate["notes"])


def test_tags_and_toggles_select_the_checks_of_the_one_task(emulator, tmp_path):
    seed_bad(emulator)
    result, accounts = run_baseline(
        emulator,
        tmp_path,
        check=True,
        args=["--tags", "admin_policies,cloudshell_access"],
        baseline_cloudshell_access_enabled=False,
    )
    task = next(r for r in result.task_results("bad") if "controls" in r)
    assert task["controls"] == ["admin_policies"]
    statuses = {cid: accounts["bad"]["controls"][cid]["status"] for cid in MINE}
    assert statuses == {"group_permissions": "skipped", "admin_policies": "drift", "cloudshell_access": "skipped"}


def test_apply_detaches_cloudshell_and_nothing_else(emulator, tmp_path):
    seed_bad(emulator)
    seed_good(emulator)
    bad_iam = emulator.client("iam", account_id=BAD)
    before = attached(bad_iam)
    emulator.clear_requests()
    _result, accounts = run_baseline(emulator, tmp_path, check=False, baseline_cloudshell_access_detach=True)

    after = attached(bad_iam)
    assert CLOUDSHELL in before["role/shell"] and after["role/shell"] == []
    assert {k: v for k, v in after.items() if k != "role/shell"} == {
        k: v for k, v in before.items() if k != "role/shell"
    }
    # (the administrators group's own writes aside)
    writes = [(r["account_id"], r["action"]) for r in emulator.requests(writes_only=True) if "Detach" in r["action"]]
    assert writes == [(BAD, "DetachRolePolicy")]
    assert accounts["bad"]["controls"]["cloudshell_access"]["status"] == "changed"
    assert accounts["good"]["controls"]["cloudshell_access"]["status"] == "compliant"
    # report-only controls stay as they were
    assert accounts["bad"]["controls"]["group_permissions"]["status"] == "drift"
    assert accounts["bad"]["controls"]["admin_policies"]["status"] == "drift"


def test_without_the_opt_in_nothing_is_detached(emulator, tmp_path):
    seed_bad(emulator)
    emulator.clear_requests()
    result = run_module("accountguard.aws.iam_policy_check", {}, env=emulator.env(BAD) | LOCAL_PYTHON)
    assert result["compliant"] is False and result["changed"] is False and result["detached"] == []
    assert emulator.requests(writes_only=True) == []
    # no admin_group_name: no exception, Cloudadmin's AdministratorAccess fails like any other
    failing = {f["resource"].split(":", 5)[-1] for f in result["findings"] if f["id"] == "admin_policies"}
    assert failing == {"role/deploy", "group/Cloudadmin"}


def test_bad_input_fails_before_any_call(emulator):
    emulator.clear_requests()
    result = run_module(
        "accountguard.aws.iam_policy_check",
        {"controls": ["admin_policies", "nope"], "admin_group_name": "bad name"},
        env=emulator.env() | LOCAL_PYTHON,
    )
    assert result["failed"] is True
    assert "nope" in result["msg"] and "admin_group_name" in result["msg"]
    assert emulator.requests() == []


def scale(emulator, account: str, n: int) -> None:
    iam = emulator.client("iam", account_id=account)
    for i in range(n):
        iam.create_user(UserName=f"user{i}")
        iam.put_user_policy(UserName=f"user{i}", PolicyName="own", PolicyDocument=document("s3:GetObject"))
        arn = iam.create_policy(PolicyName=f"p{i}", PolicyDocument=document("ec2:Describe*"))["Policy"]["Arn"]
        iam.create_group(GroupName=f"g{i}")
        iam.attach_group_policy(GroupName=f"g{i}", PolicyArn=arn)


def test_calls_do_not_grow_with_users_or_policies(emulator):
    counts = {}
    for account, n in (("666666666666", 2), ("777777777777", 40)):
        scale(emulator, account, n)
        emulator.clear_requests()
        result = run_module(
            "accountguard.aws.iam_policy_check",
            {"admin_group_name": "Cloudadmin"},
            check=True,
            env=emulator.env(account) | LOCAL_PYTHON,
        )
        assert len([f for f in result["findings"] if f["id"] == "group_permissions"]) == n
        counts[n] = Counter(r["action"] for r in emulator.requests(account))
    assert counts[2] == counts[40] == Counter({"GetAccountAuthorizationDetails": 1})


def test_account_sources_bring_the_read_and_the_module_calls_nothing(emulator):
    seed_bad(emulator, account="888888888888")
    session = run_module(
        "accountguard.aws.account_session",
        {"account_id": "888888888888", "sources": ["authorization_details"]},
        env=emulator.env("888888888888") | LOCAL_PYTHON,
    )
    sources = session["sources"]
    emulator.clear_requests()
    result = run_module(
        "accountguard.aws.iam_policy_check",
        {"controls": ["cloudshell_access"], "account_sources": sources},
        env=emulator.env("888888888888") | LOCAL_PYTHON,
    )
    assert [f["resource"] for f in result["findings"]] == ["arn:aws:iam::888888888888:role/shell"]
    assert emulator.requests() == []


FRONT_ENDS = {"controller": {}, "module": {"ACCOUNTGUARD_CONTROLLER_EXECUTION": "false"}}
PARITY_TASKS = [
    {"name": "check", "accountguard.aws.iam_policy_check": {"admin_group_name": "Cloudadmin"}},
    {
        "name": "bad input",
        "accountguard.aws.iam_policy_check": {"controls": ["admin_policies"], "detach_cloudshell": True},
        "ignore_errors": True,
    },
    {"name": "predicted", "accountguard.aws.iam_policy_check": {"detach_cloudshell": True}, "check_mode": True},
    {"name": "detached", "accountguard.aws.iam_policy_check": {"detach_cloudshell": True}, "diff": True},
]
VOLATILE = {"invocation", "_ansible_no_log"}


def run_front_end(emulator, tmp_path, front_end: str) -> dict:
    emulator.reset()
    account = "123456789012"
    seed_bad(emulator, account=account)
    emulator.clear_requests()
    path = tmp_path / f"parity-{front_end}.yml"
    plays = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": PARITY_TASKS}]
    path.write_text(json.dumps(plays))
    results = run_playbook(path, env=emulator.env() | LOCAL_PYTHON | FRONT_ENDS[front_end]).task_results()
    return {
        "results": [{k: v for k, v in r.items() if k not in VOLATILE} for r in results],
        "writes": [r["action"] for r in emulator.requests(writes_only=True)],
        "attached": attached(emulator.client("iam")),
    }


def test_front_ends_agree(emulator, tmp_path):
    controller = run_front_end(emulator, tmp_path, "controller")
    module = run_front_end(emulator, tmp_path, "module")
    for run in (controller, module):
        check, bad, predicted, detached = run["results"]
        assert check["compliant"] is False and check["changed"] is False
        assert bad["failed"] is True and "detach_cloudshell needs cloudshell_access" in bad["msg"]
        assert predicted["changed"] is True and predicted["detached"][0]["name"] == "shell"
        assert detached["changed"] is True and detached["diff"]["before"] == {"cloudshell_attached_to": ["role shell"]}
        assert not [f for f in detached["findings"] if f["id"] == "cloudshell_access" and f["status"] == "fail"]
        assert run["writes"] == ["DetachRolePolicy"]
        assert run["attached"]["role/shell"] == []
    assert controller == module
