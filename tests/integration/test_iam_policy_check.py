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

SESSION_TASK = "Open the account session and verify the account (account guard)"
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


# ----- one read of the authorization details for iam_users and the policy checks ------------------------------

SHARED = "666666666666"
# iam_users and the policy checks, with the administrators group (a writer before them): the other families off.
USERS_AND_POLICIES = {**ONLY_MINE, "baseline_iam_users_enabled": True}
DECLARED = [
    {"name": "grouped", "groups": ["readers"]},
    {"name": "direct"},
    {"name": "newbie", "groups": ["readers"], "tags": {"team": "payments"}},
]


def run_shared(emulator, tmp_path: Path, name: str, *, check: bool, **variables):
    """The baseline over one account; the task results of the host and its report."""
    inventory = write_inventory(
        tmp_path / f"{name}.yml",
        {"acct": {"aws_account_id": SHARED, "baseline_role_arn": ROLE.format(SHARED)}},
        baseline_credentials_dir=str(tmp_path / "creds"),
        baseline_users=DECLARED,
        **USERS_AND_POLICIES,
        **variables,
    )
    out = tmp_path / name
    result = run_playbook(
        PLAYBOOK,
        inventory=inventory,
        check=check,
        diff=check,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(out), "ACCOUNTGUARD_REPORT_FORMATS": "json"},
    )
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((out / "accountguard-report-latest.json").read_text())
    return result.task_results("acct"), report["accounts"][0]


def authorization_reads(emulator) -> int:
    return [r["action"] for r in emulator.requests(SHARED)].count("GetAccountAuthorizationDetails")


def authorization_pages(iam, size: int) -> int:
    """How many pages of ``size`` one read of the account's authorization details takes, from what it holds."""
    lists = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    paginator = iam.get_paginator("get_account_authorization_details")
    answer = paginator.paginate(Filter=["User", "Group", "Role", "LocalManagedPolicy"]).build_full_result()
    return -(-sum(len(answer.get(key, [])) for key in lists) // size)


def expected_group_permissions(iam) -> dict:
    """What the account holds, read back with boto3: every user, failing when it has a policy of its own."""
    expected = {}
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        own = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
        own += iam.list_user_policies(UserName=name)["PolicyNames"]
        expected[f"user/{name}"] = "fail" if own else "pass"
    return expected


def test_one_read_of_the_authorization_details_serves_the_users_and_the_policy_checks(emulator, tmp_path):
    """Under --check the session's one GetAccountAuthorizationDetails (paginated) serves iam_users and the
    three policy controls. An apply whose users task changes the account is judged on the account as the run
    leaves it (the policy task reads again); an apply that changes nothing reads once."""
    seed_bad(emulator, account=SHARED)
    iam = emulator.client("iam", account_id=SHARED)
    iam.create_user(UserName="leaver")  # undeclared, with a policy of its own: removed by the purge below
    iam.attach_user_policy(UserName="leaver", PolicyArn=READONLY)
    # Small pages: the one read is followed to its end (users, groups, roles and policies: several pages).
    emulator.set_page_size("iam:GetAccountAuthorizationDetails", 2)
    pages = authorization_pages(iam, 2)
    assert pages >= 4
    emulator.clear_requests()

    # 1. check: one paginated read, nothing written; both tasks saw every user
    tasks, account = run_shared(emulator, tmp_path, "check", check=True, baseline_users_purge=True)
    assert emulator.requests(writes_only=True) == []
    assert authorization_reads(emulator) == pages
    users = next(r for r in tasks if r["_task"].endswith("Ensure the declared IAM users"))
    assert users["undeclared_users"] == ["leaver"] and users["deleted_users"] == ["leaver"]
    assert {u["user_name"]: u["created"] for u in users["users"]} == {"grouped": False, "direct": False, "newbie": True}
    # the check judges the account as it is (what the apply would change is the users task's drift)
    assert verdicts(account, "group_permissions") == expected_group_permissions(iam)
    assert verdicts(account, "group_permissions")["user/leaver"] == "fail"

    # 2. apply: iam_users creates newbie (in readers, tagged) and deletes leaver; the policy task reads again and
    #    its verdicts are the account's after the run, read back with boto3
    emulator.clear_requests()
    tasks, account = run_shared(emulator, tmp_path, "apply", check=False, baseline_users_purge=True)
    users = next(r for r in tasks if r["_task"].endswith("Ensure the declared IAM users"))
    assert users["changed"] and users["deleted_users"] == ["leaver"]
    assert {u["UserName"] for u in iam.get_group(GroupName="readers")["Users"]} == {"grouped", "newbie"}
    assert iam.list_user_tags(UserName="newbie")["Tags"] == [{"Key": "team", "Value": "payments"}]
    after = expected_group_permissions(iam)
    assert set(after) == {"user/grouped", "user/direct", "user/newbie"}
    assert verdicts(account, "group_permissions") == after
    # the administrators group got its MFA guard in this run too: the verdict names it as the accepted exception
    assert iam.list_group_policies(GroupName="Cloudadmin")["PolicyNames"]
    assert verdicts(account, "admin_policies") == {"role/deploy": "fail", "group/Cloudadmin": "pass"}
    # the session's read, and the policy task's after the writes
    assert authorization_reads(emulator) == pages + authorization_pages(iam, 2)

    # 3. an apply that changes nothing: the session's read serves both tasks again
    emulator.clear_requests()
    tasks, account = run_shared(emulator, tmp_path, "again", check=False, baseline_users_purge=True)
    assert emulator.requests(writes_only=True) == []
    assert not any(r.get("changed") for r in tasks)
    assert authorization_reads(emulator) == authorization_pages(iam, 2)
    assert verdicts(account, "group_permissions") == after


def test_without_the_policy_checks_iam_users_reads_the_users_itself(emulator, tmp_path):
    """The session reads the authorization details only for the policy checks; iam_users alone reads its users
    (Filter User), once."""
    seed_bad(emulator, account=SHARED)
    emulator.clear_requests()
    off = dict.fromkeys(("baseline_group_permissions_enabled", "baseline_admin_policies_enabled"), False)
    tasks, _account = run_shared(
        emulator, tmp_path, "users", check=True, baseline_cloudshell_access_enabled=False, **off
    )
    users = next(r for r in tasks if r["_task"].endswith("Ensure the declared IAM users"))
    assert users["undeclared_users"] == []
    assert {u["user_name"]: u["created"] for u in users["users"]} == {"grouped": False, "direct": False, "newbie": True}
    assert authorization_reads(emulator) == 1
    session = next(r for r in tasks if r["_task"].endswith(SESSION_TASK))
    assert "authorization_details" not in session.get("sources", {})
