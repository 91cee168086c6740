"""playbooks/baseline.yml against three emulated accounts of the demo Organization.

Ground truth is what the emulator holds afterwards (boto3), and check mode is proved by the request log.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from helpers.ansible_run import ROOT, run_playbook
from helpers.ansible_run import write_inventory as write_inventory_file

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
MANAGEMENT = "123456789012"
ACCOUNTS = {"prod": "111111111111", "dev": "222222222222", "sandbox": "333333333333"}
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
USERS = [
    {"name": "alice", "console_access": True, "groups": ["Cloudadmin"], "tags": {"team": "platform"}},
    {"name": "bob", "console_access": True, "programmatic_access": True, "tags": {"team": "payments"}},
    {"name": "ci-deploy", "path": "/automation/", "programmatic_access": True, "tags": {"purpose": "ci"}},
]
SETUP_TASKS = {"Plan the host's run", "Open the account session and verify the account (account guard)"}


def write_inventory(tmp_path: Path, hosts: dict, **group_vars) -> Path:
    """The accounts' inventory, with credentials files kept in tmp_path."""
    credentials = {"baseline_credentials_dir": str(tmp_path / "credentials")}
    return write_inventory_file(tmp_path / "inventory.yml", hosts, **(credentials | group_vars))


def ansible_env(emulator, tmp_path: Path) -> dict:
    """The management account's credentials (every host assumes its own role); reports kept in tmp_path."""
    return {**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(tmp_path / "reports")}


def demo_hosts(accounts: dict | None = None) -> dict:
    accounts = ACCOUNTS if accounts is None else accounts
    return {host: {"aws_account_id": acct, "baseline_role_arn": ROLE.format(acct)} for host, acct in accounts.items()}


def results(result, host: str) -> list[dict]:
    """Task results of one host, `_task` without the role prefix."""
    return [{**r, "_task": r["_task"].rpartition(" : ")[2]} for r in result.task_results(host)]


def executed(result, host: str) -> list[dict]:
    """Task results of one host that actually ran (skipped ones executed no module)."""
    return [r for r in results(result, host) if not r.get("skipped")]


def secrets_in(directory: Path) -> list[str]:
    """Every secret value the run wrote to the credentials directory (passwords, secret access keys)."""
    found = []
    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        values = _leaves(data) if isinstance(data, dict | list) else text.split()
        found += [v for v in values if isinstance(v, str) and len(v) >= 12 and not v.startswith(("arn:", "AKIA"))]
    return found


def _leaves(data):
    if isinstance(data, dict):
        for key, value in data.items():
            if any(word in str(key).lower() for word in ("password", "secret")):
                yield from _leaves(value) if isinstance(value, dict | list) else [value]
            elif isinstance(value, dict | list):
                yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)


@pytest.fixture
def demo(emulator):
    emulator.seed_demo()
    emulator.clear_requests()
    return emulator


def test_check_apply_and_idempotence_across_three_accounts(demo, tmp_path):
    inventory = write_inventory(tmp_path, demo_hosts(), baseline_users=USERS)
    env = ansible_env(demo, tmp_path)

    # 1. --check --diff: drift shown, nothing written anywhere
    check = run_playbook(PLAYBOOK, inventory=inventory, check=True, diff=True, env=env)
    assert check.rc == 0, check.stderr[-3000:]
    assert demo.requests(writes_only=True) == []
    for host in ACCOUNTS:
        drifted = {r["_task"] for r in results(check, host) if r.get("changed")}
        assert "Enforce the account password policy" in drifted
        assert "Ensure the administrators group, its managed policies and its MFA guard" in drifted
        assert "Ensure the declared IAM users" in drifted
        policy = next(r for r in results(check, host) if r["_task"] == "Enforce the account password policy")
        # a group that does not exist yet is shown with the guard it would get
        admins = next(r for r in results(check, host) if r["_task"].startswith("Ensure the administrators group"))
        assert "put_group_policy:RequireMFA" in admins["actions"], admins
        assert policy["diff"]["after"]["minimum_password_length"] == 14
        gate = results(check, host)[-1]
        assert any("only a person can" in line for line in gate["msg"]), gate["msg"]
    # every call of a host lands in its account; the management account only hands out the sessions and answers
    # the run's one DescribeOrganization (which host is the management account: none of these)
    by_account = Counter(r["account_id"] for r in demo.requests())
    assert set(by_account) == {MANAGEMENT, *ACCOUNTS.values()}
    assert Counter(r["action"] for r in demo.requests(MANAGEMENT) if r["action"] != "AssumeRole") == {
        "DescribeOrganization": 1
    }
    # one read of each account source: the users task and the policy checks share one authorization details
    for account_id in ACCOUNTS.values():
        actions = Counter(r["action"] for r in demo.requests(account_id))
        assert actions["GetAccountAuthorizationDetails"] == 1, actions

    # 2. apply, at -vvv: the secrets the run created appear nowhere in its output
    demo.clear_requests()
    apply = run_playbook(PLAYBOOK, inventory=inventory, env=env, args=["-vvv"])
    assert apply.rc == 0, apply.stdout[-3000:] + apply.stderr[-3000:]
    secrets = secrets_in(tmp_path / "credentials")
    assert len(secrets) >= 2 * len(ACCOUNTS)  # at least a password and a secret key per account
    for secret in secrets:
        assert secret not in apply.stdout and secret not in apply.stderr
    # no task carries the session's credentials: modules get empty keys (botocore assumes the role itself),
    # and no secret the emulator issued for an assumed role appears in the output
    shown = re.findall(r'"(?:secret_key|session_token)": "([^"]*)"', apply.stdout)
    # the placeholder of a no_log value: ansible-core 2.22 writes $REDACTED$
    assert set(shown) <= {"", "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "$REDACTED$"}, set(shown)
    issued = demo.issued_sessions()
    assert issued, "the run assumed no role"
    for session in issued:
        for secret in (session["secret_access_key"], session["session_token"]):
            assert secret not in apply.stdout and secret not in apply.stderr
    for account_id in ACCOUNTS.values():
        assert_account_matches(demo, account_id)
    # users nobody declared are reported and kept
    for host, account_id in ACCOUNTS.items():
        gate = results(apply, host)[-1]
        assert any("not in baseline_users, kept" in line for line in gate["msg"]), gate["msg"]
        existing = {u["UserName"] for u in demo.client("iam", account_id).list_users()["Users"]}
        assert _seeded_users(account_id) <= existing

    # 3. a second apply changes nothing and writes nothing
    demo.clear_requests()
    again = run_playbook(PLAYBOOK, inventory=inventory, env=env)
    assert again.rc == 0
    assert {host: again.stats()[host]["changed"] for host in ACCOUNTS} == dict.fromkeys(ACCOUNTS, 0)
    assert demo.requests(writes_only=True) == []
    # nothing changed, so nothing the session read went stale: one read of the authorization details again
    for account_id in ACCOUNTS.values():
        assert [r["action"] for r in demo.requests(account_id)].count("GetAccountAuthorizationDetails") == 1


def assert_account_matches(emulator, account_id: str) -> None:
    iam = emulator.client("iam", account_id)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14
    assert policy["PasswordReusePrevention"] == 24
    assert policy["MaxPasswordAge"] == 90
    assert all(policy[k] for k in ("RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters"))

    group = iam.get_group(GroupName="Cloudadmin")
    assert [u["UserName"] for u in group["Users"]] == ["alice"]
    attached = iam.list_attached_group_policies(GroupName="Cloudadmin")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [ADMIN_POLICY]
    guard = iam.get_group_policy(GroupName="Cloudadmin", PolicyName="RequireMFA")["PolicyDocument"]
    deny = next(s for s in guard["Statement"] if s["Sid"] == "DenyAllExceptSelfServiceWithoutMFA")
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert {"iam:ChangePassword", "iam:EnableMFADevice", "sts:GetSessionToken"} <= set(deny["NotAction"])

    for user in USERS:
        name = user["name"]
        got = iam.get_user(UserName=name)["User"]
        assert got["Path"] == user.get("path", got["Path"])
        tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}
        assert user["tags"].items() <= tags.items()
        keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        if user.get("programmatic_access"):
            assert len(keys) >= 1
        if user.get("console_access"):
            profile = iam.get_login_profile(UserName=name)["LoginProfile"]
            created_by_baseline = name not in _seeded_console_users(emulator, account_id)
            if created_by_baseline:
                assert profile["PasswordResetRequired"] is True


def _seed_spec(account_id: str) -> dict:
    from emulator.seed import DEMO

    return next(a for a in DEMO["accounts"] if a["name"] == {v: k for k, v in ACCOUNTS.items()}[account_id])


def _seeded_users(account_id: str) -> set[str]:
    return {u["name"] for u in _seed_spec(account_id)["users"]}


def _seeded_console_users(emulator, account_id: str) -> set[str]:
    return {u["name"] for u in _seed_spec(account_id)["users"] if u.get("console")}


def test_a_host_whose_account_cannot_be_proved_fails_alone(demo, tmp_path):
    demo.deny_assume_role(ACCOUNTS["sandbox"])
    hosts = demo_hosts()
    # no role: the controller's (management) credentials are used, which are not account 222222222222
    del hosts["dev"]["baseline_role_arn"]
    inventory = write_inventory(tmp_path, hosts, baseline_users=USERS[:1])
    result = run_playbook(PLAYBOOK, inventory=inventory, env=ansible_env(demo, tmp_path), check=True)

    assert result.rc != 0
    stats = result.stats()
    assert {host: stats[host]["failures"] for host in ACCOUNTS} == {"prod": 0, "dev": 1, "sandbox": 1}
    failed = {host: next(r for r in results(result, host) if r.get("failed")) for host in ("dev", "sandbox")}
    assert {r["_task"] for r in failed.values()} == {"Open the account session and verify the account (account guard)"}
    assert f"act in account {MANAGEMENT}" in str(failed["dev"]["msg"]) and ACCOUNTS["dev"] in str(failed["dev"]["msg"])
    assert "AccessDenied" in str(failed["sandbox"]["msg"]) and "assume the role" in str(failed["sandbox"]["msg"])
    # nothing reached the accounts that failed the guard; the good one ran every control to the end
    assert demo.requests(ACCOUNTS["dev"]) == [] and demo.requests(ACCOUNTS["sandbox"]) == []
    assert results(result, "prod")[-1]["_task"].startswith("Report what only a person can do")
    assert demo.requests(writes_only=True) == []


def module_executions(emulator, tmp_path, users: int) -> int:
    declared = [{"name": f"user{i:03d}", "console_access": i % 4 == 0, "groups": ["Cloudadmin"]} for i in range(users)]
    inventory = write_inventory(tmp_path / str(users), demo_hosts({"prod": ACCOUNTS["prod"]}), baseline_users=declared)
    result = run_playbook(PLAYBOOK, inventory=inventory, env=ansible_env(emulator, tmp_path), check=True)
    assert result.rc == 0, result.stderr[-2000:]
    return len(executed(result, "prod"))


def test_module_executions_do_not_grow_with_users(demo, tmp_path):
    (tmp_path / "2").mkdir()
    (tmp_path / "200").mkdir()
    two, two_hundred = module_executions(demo, tmp_path, 2), module_executions(demo, tmp_path, 200)
    # a fixed number of tasks per account: 11, plus the policy task and the support role / certificates task;
    # the one host also carries the read once per run (root_credentials: which host is the management account)
    assert two == two_hundred <= 14


def test_tags_root_mfa_runs_only_that_control_and_the_drift_gate_fails_it(demo, tmp_path):
    inventory = write_inventory(
        tmp_path, demo_hosts({"prod": ACCOUNTS["prod"]}), baseline_users=USERS, baseline_fail_on_drift=True
    )
    result = run_playbook(
        PLAYBOOK, inventory=inventory, env=ansible_env(demo, tmp_path), check=True, args=["--tags", "root_mfa"]
    )
    ran = [r["_task"] for r in executed(result, "prod")]
    controls = [name for name in ran if name not in SETUP_TASKS and not name.startswith(("Validating", "Report"))]
    assert controls == ["Check MFA of the root user and the IAM users"]
    mfa = next(r for r in results(result, "prod") if r["_task"] == controls[0])
    assert {f["id"] for f in mfa["findings"] if f["status"] == "fail"} == {"root_mfa"}
    # the seeded prod account has no root MFA: with baseline_fail_on_drift the check run exits non-zero
    assert result.rc != 0
    gate = results(result, "prod")[-1]
    assert gate["failed"] and any("root_mfa" in line for line in gate["msg"]), gate["msg"]
    assert any("enrol an MFA device" in line for line in gate["msg"])
    assert demo.requests(writes_only=True) == []


def test_bad_variables_fail_before_any_aws_call(demo, tmp_path):
    hosts = demo_hosts({"prod": ACCOUNTS["prod"]})
    users = [{"name": "alice", "console": True}]  # "console" is not an option: console_access is
    inventory = write_inventory(tmp_path, hosts, baseline_users=users, baseline_mfa_require_for="everyone")
    result = run_playbook(PLAYBOOK, inventory=inventory, env=ansible_env(demo, tmp_path), check=True)

    assert result.rc != 0
    failed = next(r for r in results(result, "prod") if r.get("failed"))
    assert failed["_task"].startswith("Validating arguments")
    assert "baseline_mfa_require_for" in failed["msg"] and "console" in failed["msg"]
    assert demo.requests() == []


def test_sessions_are_renewed_before_they_expire_and_stay_in_their_account(demo, tmp_path):
    # A margin longer than the session itself makes every task after the first session renew it, which
    # stands in for a play that outlives its sessions without waiting for a clock.
    hosts = demo_hosts({"prod": ACCOUNTS["prod"], "dev": ACCOUNTS["dev"]})
    inventory = write_inventory(
        tmp_path,
        hosts,
        baseline_users=USERS[:1],
        baseline_session_duration_seconds=900,
        baseline_session_refresh_margin_seconds=100000,
    )
    env = ansible_env(demo, tmp_path)

    apply = run_playbook(PLAYBOOK, inventory=inventory, env=env, args=["-vvv"])
    assert apply.rc == 0, apply.stdout[-3000:] + apply.stderr[-3000:]
    # seed_demo's own sessions are in the log too; the baseline's carry its session name
    issued = [s for s in demo.issued_sessions() if s["session_name"] == "accountguard"]
    per_account = Counter(s["account_id"] for s in issued)
    # the first session plus at least one renewal per control task that ran
    for host, host_vars in hosts.items():
        controls = [
            r for r in executed(apply, host) if r["_task"] not in SETUP_TASKS and "Validating" not in r["_task"]
        ]
        assert per_account[host_vars["aws_account_id"]] >= len(controls) > 2, (per_account, host)
    assert {s["role_arn"] for s in issued} == {h["baseline_role_arn"] for h in hosts.values()}
    # the management account only hands out sessions (and answers the run's one DescribeOrganization); every
    # other call lands in a host's own account
    assert Counter(r["action"] for r in demo.requests(MANAGEMENT) if r["action"] != "AssumeRole") == {
        "DescribeOrganization": 1
    }
    assert {r["account_id"] for r in demo.requests()} == {MANAGEMENT, ACCOUNTS["prod"], ACCOUNTS["dev"]}
    assert demo.requests(ACCOUNTS["sandbox"]) == []
    for account_id in (ACCOUNTS["prod"], ACCOUNTS["dev"]):
        policy = demo.client("iam", account_id).get_account_password_policy()["PasswordPolicy"]
        assert policy["MinimumPasswordLength"] == 14
    # no secret of any session, first or renewed, in the -vvv output
    for session in issued:
        for secret in (session["secret_access_key"], session["session_token"]):
            assert secret not in apply.stdout and secret not in apply.stderr

    # converged: a second run with renewals changes and writes nothing
    demo.clear_requests()
    again = run_playbook(PLAYBOOK, inventory=inventory, env=env)
    assert again.rc == 0, again.stdout[-3000:]
    assert {host: again.stats()[host]["changed"] for host in hosts} == dict.fromkeys(hosts, 0)
    assert demo.requests(writes_only=True) == []
    assert Counter(r["action"] for r in demo.requests(MANAGEMENT))["AssumeRole"] > 2 * len(hosts)
