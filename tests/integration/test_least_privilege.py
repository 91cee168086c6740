"""The IAM policies of docs/policies/ are exactly sufficient (issue 7, least privilege).

The emulator evaluates IAM policies on every call (``enforce_iam_authorization``). The controller is an IAM
user of the management account holding only docs/policies/accountguard-controller.json; each member account
has the roles of docs/least-privilege.md, trusting the management account (accountguard-trust.json), with
accountguard-check.json or accountguard-apply.json as their only permissions. The files are read from docs/
as they are: the policies proved here are the policies published.

- A whole baseline run passes: ``--check`` with the check role, apply with the apply role.
- Removing any one action breaks the run with a message naming that permission. Each removal gets its own
  account (inventory host) and, through the role's per-family toggles, runs only the control families whose
  module calls the action (TASK_FILES).

Per policy, the complete hosts and all removal hosts share one ansible-playbook run of playbooks/baseline.yml,
so the cost is one Ansible start per policy, not per action.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.ansible_run import ROOT, run_playbook
from helpers.ansible_run import write_inventory as write_inventory_file

from ansible_collections.accountguard.aws.plugins.module_utils import _root_access

POLICIES = ROOT / "docs" / "policies"
PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
MANAGEMENT = "123456789012"
EXTERNAL_ID = "accountguard-least-privilege-test"
ROLES = {"check": "AccountGuardCheck", "apply": "AccountGuardApply"}
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"

# The declared users: alice exists but drifted (path, tags, no console, not in the group; hardware MFA so the
# MFA check needs ListMFADevices), bob does not exist yet (CreateUser, CreateAccessKey).
USERS = [
    {"name": "alice", "path": "/people/", "console_access": True, "groups": ["Cloudadmin"], "tags": {"team": "sec"}},
    {"name": "bob", "programmatic_access": True, "tags": {"team": "payments"}},
]

# The role task files (roles/baseline/tasks/) whose module calls each action: the single-module runs of the
# removal test. docs/least-privilege.md has the same table for people.
TASK_FILES = {
    "iam:GenerateCredentialReport": ["root_account", "user_mfa", "access_keys"],
    "iam:GetCredentialReport": ["root_account", "user_mfa", "access_keys"],
    "iam:GetAccountSummary": ["root_account", "user_mfa"],
    "iam:GetAccountPasswordPolicy": ["password_policy"],
    "iam:UpdateAccountPasswordPolicy": ["password_policy"],
    "iam:ListVirtualMFADevices": ["user_mfa"],
    "iam:ListMFADevices": ["user_mfa"],
    "iam:ListUsers": ["user_mfa"],
    "iam:GetGroup": ["admin_group"],
    "iam:CreateGroup": ["admin_group"],
    "iam:UpdateGroup": ["admin_group"],
    "iam:ListAttachedGroupPolicies": ["admin_group"],
    "iam:AttachGroupPolicy": ["admin_group"],
    "iam:GetGroupPolicy": ["admin_group"],
    "iam:PutGroupPolicy": ["admin_group"],
    "iam:GetAccountAuthorizationDetails": ["iam_users", "policies"],
    "iam:GetLoginProfile": ["iam_users"],
    "iam:ListAccessKeys": ["iam_users"],
    "iam:ListGroups": ["iam_users"],
    "iam:CreateUser": ["iam_users"],
    "iam:UpdateUser": ["iam_users"],
    "iam:TagUser": ["iam_users"],
    "iam:AddUserToGroup": ["iam_users"],
    "iam:CreateLoginProfile": ["iam_users"],
    "iam:CreateAccessKey": ["iam_users"],
    "iam:ListEntitiesForPolicy": ["support_role"],
    "iam:ListServerCertificates": ["server_certificates"],
}
# The only action that needs the administrators group to be missing; every other one is exercised by an
# account where everything exists but has drifted.
NEEDS_FRESH_ACCOUNT = {"iam:CreateGroup"}


def load_policy(name: str) -> dict:
    return json.loads((POLICIES / f"accountguard-{name}.json").read_text(encoding="utf-8"))


def policy_actions(policy: dict) -> list[str]:
    actions = []
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions += [listed] if isinstance(listed, str) else listed
    return actions


def without(policy: dict, action: str) -> dict:
    reduced = json.loads(json.dumps(policy))
    for statement in reduced["Statement"]:
        if isinstance(statement["Action"], list):
            statement["Action"] = [a for a in statement["Action"] if a != action]
    reduced["Statement"] = [s for s in reduced["Statement"] if s["Action"]]
    return reduced


def trust_policy() -> str:
    text = (POLICIES / "accountguard-trust.json").read_text(encoding="utf-8")
    return text.replace("CONTROLLER_ACCOUNT_ID", MANAGEMENT).replace("EXTERNAL_ID", EXTERNAL_ID)


def create_controller(emulator) -> dict:
    """The controller's IAM user (management account) with only the controller policy; its keys as env."""
    iam = emulator.client("iam")
    iam.create_user(UserName="accountguard-controller")
    iam.put_user_policy(
        UserName="accountguard-controller",
        PolicyName="accountguard-controller",
        PolicyDocument=(POLICIES / "accountguard-controller.json").read_text(encoding="utf-8"),
    )
    key = iam.create_access_key(UserName="accountguard-controller")["AccessKey"]
    env = emulator.env()
    env.pop("AWS_SESSION_TOKEN", None)
    env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    return env


def arrange_account(emulator, account_id: str, role: str, policy: dict, *, fresh: bool) -> None:
    """An account that needs every action of the baseline: drifted everywhere (or, fresh, without the group)."""
    iam = emulator.client("iam", account_id=account_id)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy())
    iam.put_role_policy(RoleName=role, PolicyName=role, PolicyDocument=json.dumps(policy))
    iam.update_account_password_policy(MinimumPasswordLength=8)
    emulator.create_users(account_id, [{"name": "alice", "tags": {"team": "old"}, "mfa": "hardware"}])
    if not fresh:
        # At another path than baseline_admin_group_path, so the apply run moves it (iam:UpdateGroup).
        iam.create_group(GroupName="Cloudadmin", Path="/legacy/")
        iam.put_group_policy(GroupName="Cloudadmin", PolicyName="RequireMFA", PolicyDocument=json.dumps(OUTDATED))


OUTDATED = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}


def host_vars(account_id: str, role: str, tmp_path: Path) -> dict:
    return {
        "aws_account_id": account_id,
        "baseline_role_arn": f"arn:aws:iam::{account_id}:role/{role}",
        "baseline_role_external_id": EXTERNAL_ID,
        "baseline_credentials_dir": str(tmp_path / "credentials"),
    }


def write_inventory(tmp_path: Path, name: str, hosts: dict) -> Path:
    return write_inventory_file(tmp_path / f"{name}.yml", hosts, baseline_users=USERS)


# The role's per-family toggles (host variables): a removal host runs only the families that call the action.
TOGGLES = {
    "password_policy": ("baseline_password_policy_enabled",),
    "root_account": ("baseline_root_account_enabled",),
    "user_mfa": ("baseline_user_mfa_enabled",),
    "admin_group": ("baseline_admin_group_enabled",),
    "iam_users": ("baseline_iam_users_enabled",),
    # access_keys.yml serves three controls, each with its own toggle
    "access_keys": (
        "baseline_access_keys_enabled",
        "baseline_console_access_enabled",
        "baseline_initial_access_keys_enabled",
    ),
    # one task file, one module, three controls
    "policies": (
        "baseline_group_permissions_enabled",
        "baseline_admin_policies_enabled",
        "baseline_cloudshell_access_enabled",
    ),
    # one task file (iam_account) for two controls, each with its own toggle
    "support_role": ("baseline_support_role_enabled",),
    "server_certificates": ("baseline_server_certificates_enabled",),
}


def only(task_files: list[str]) -> dict:
    return {toggle: family in task_files for family, toggles in TOGGLES.items() for toggle in toggles}


def failure_messages(result, host: str) -> list[str]:
    messages = []
    for task in result.task_results(host):
        if task.get("failed"):
            messages.append(str(task.get("msg", "")))
        for item in task.get("results", []) or []:
            if isinstance(item, dict) and item.get("failed"):
                messages.append(str(item.get("msg", "")))
    return messages


def host_name(action: str) -> str:
    return action.replace(":", "_").lower()


# Hosts that run the whole baseline with the complete policy, next to the removal hosts of the same run.
COMPLETE = {"check": {"complete-drifted": False}, "apply": {"complete-drifted": False, "complete-fresh": True}}


@pytest.fixture(scope="module")
def runs(emulator_server, tmp_path_factory):
    """Per policy, one run of playbooks/baseline.yml: the complete hosts, and one host per removed action.

    Returns {kind: (result, {host: account id}, writes per account, actions used per account)}.
    """
    emulator = emulator_server
    emulator.reset()
    tmp_path = tmp_path_factory.mktemp("least_privilege")
    env = create_controller(emulator)
    out = {}
    number = 0
    for kind, role in ROLES.items():
        policy = load_policy(kind)
        hosts, accounts = {}, {}
        cases = [(host, policy, fresh, {}) for host, fresh in COMPLETE[kind].items()]
        cases += [
            (host_name(a), without(policy, a), a in NEEDS_FRESH_ACCOUNT, only(TASK_FILES[a]))
            for a in policy_actions(policy)
        ]
        for host, host_policy, fresh, toggles in cases:
            number += 1
            account_id = f"{700000000000 + number:012d}"
            arrange_account(emulator, account_id, role, host_policy, fresh=fresh)
            hosts[host] = host_vars(account_id, role, tmp_path) | toggles
            accounts[host] = account_id
        emulator.enforce_iam_authorization()
        emulator.clear_requests()
        result = run_playbook(
            PLAYBOOK,
            inventory=write_inventory(tmp_path, kind, hosts),
            check=kind == "check",
            diff=kind == "check",
            env=env,
            args=["--forks", "8"],
        )
        emulator.enforce_iam_authorization(False)
        calls = emulator.requests()
        writes = {a: [c["action"] for c in calls if c["account_id"] == a and c["write"]] for a in accounts.values()}
        used = {a: {f"{c['service']}:{c['action']}" for c in calls if c["account_id"] == a} for a in accounts.values()}
        out[kind] = (result, accounts, writes, used)
    out["apply_state"] = {host: applied_state(emulator, out["apply"][1][host]) for host in COMPLETE["apply"]}
    emulator.reset()
    return out


def applied_state(emulator, account_id: str) -> dict:
    iam = emulator.client("iam", account_id=account_id)
    return {
        "members": [u["UserName"] for u in iam.get_group(GroupName="Cloudadmin")["Users"]],
        "attached": [
            p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName="Cloudadmin")["AttachedPolicies"]
        ],
        "password_length": iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"],
        "bob_keys": len(iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]),
        "alice_path": iam.get_user(UserName="alice")["User"]["Path"],
    }


def test_every_action_is_mapped_to_the_modules_that_call_it():
    """A policy action without a module that calls it would be an unproved (and needless) permission."""
    check, apply = policy_actions(load_policy("check")), policy_actions(load_policy("apply"))
    assert len(check) == len(set(check)) and len(apply) == len(set(apply))
    assert set(check) <= set(apply), "the apply role also reads"
    assert set(apply) == set(TASK_FILES)
    assert all(action.startswith("iam:") for action in apply)


def removal_cases():
    for kind in ROLES:
        for action in policy_actions(load_policy(kind)):
            yield pytest.param(kind, action, id=f"{kind}-{action}")


@pytest.mark.parametrize(("kind", "action"), list(removal_cases()))
def test_removing_one_action_fails_naming_it(runs, kind, action):
    result = runs[kind][0]
    host = host_name(action)
    assert host in result.stats(), result.stderr[-3000:]
    assert result.stats()[host]["failures"] >= 1, f"{action} removed from the {kind} policy, yet the run passed"
    messages = failure_messages(result, host)
    assert any(action in message for message in messages), messages


def test_check_run_passes_with_the_check_policy_and_writes_nothing(runs):
    result, accounts, writes, used = runs["check"]
    stats = result.stats()["complete-drifted"]
    assert stats["failures"] == 0, failure_messages(result, "complete-drifted")
    assert stats["changed"] > 0, "the drifted account must show drift"
    # No host of the check run wrote anything, whatever its policy.
    assert {account: actions for account, actions in writes.items() if actions} == {}
    # Every action of the check policy was used by this run: none is there just in case.
    assert set(policy_actions(load_policy("check"))) <= used[accounts["complete-drifted"]]


def test_apply_run_passes_with_the_apply_policy(runs):
    result, accounts, _writes, used = runs["apply"]
    for host in COMPLETE["apply"]:
        assert result.stats()[host]["failures"] == 0, failure_messages(result, host)
    assert (
        set(policy_actions(load_policy("apply")))
        <= used[accounts["complete-drifted"]] | used[accounts["complete-fresh"]]
    )
    expected = {
        "members": ["alice"],
        "attached": [ADMIN_POLICY],
        "password_length": 14,
        "bob_keys": 1,
        "alice_path": "/people/",
    }
    assert runs["apply_state"] == dict.fromkeys(COMPLETE["apply"], expected)


def test_the_root_access_policy_allows_exactly_the_two_task_policies_the_module_uses():
    """sts:AssumeRoot is answered by the emulator before its policy check, so the file is proved against the
    module's own constants and gateway calls instead of under enforced authorization."""
    policy = json.loads((POLICIES / "accountguard-root-access.json").read_text(encoding="utf-8"))
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assume = statements["AuditAndDeleteRootCredentialsOfMemberAccounts"]
    assert (assume["Effect"], assume["Action"], assume["Resource"]) == (
        "Allow",
        "sts:AssumeRoot",
        "arn:aws:iam::*:root",
    )
    assert assume["Condition"] == {
        "StringEquals": {"sts:TaskPolicyArn": [_root_access.AUDIT_TASK_POLICY, _root_access.DELETE_TASK_POLICY]}
    }
    gateway = (ROOT / "plugins" / "module_utils" / "_gateway" / "root.py").read_text(encoding="utf-8")
    outside_session = {
        "iam:ListOrganizationsFeatures": "list_organizations_features",
        "organizations:DescribeOrganization": "describe_organization",
    }
    assert set(statements["ReadTheOrganizationsRootAccessFeatures"]["Action"]) == set(outside_session)
    for method in outside_session.values():
        assert f"client.{method}(" in gateway
    assert "client.assume_root(" in gateway


# ----- baseline_securityhub_import: docs/policies/accountguard-securityhub.json ----------------------------------

# The Security Hub actions and the gateway functions of securityhub_import that call them.
SECURITYHUB_CALLS = {
    "securityhub:GetFindings": "get_findings",
    "securityhub:BatchImportFindings": "batch_import_findings",
    "securityhub:BatchUpdateFindings": "batch_update_findings",
}


def _seed_gone_finding(emulator, account_id: str) -> None:
    """An earlier import's finding on a user that no longer exists: the run archives it (BatchImportFindings) and
    resolves it (BatchUpdateFindings), so every action of the policy is needed."""
    from ansible_collections.accountguard.aws.plugins.module_utils import _securityhub as asff

    gone = f"arn:aws:iam::{account_id}:user/gone"
    target = asff.Target(account_id=account_id, region="us-east-1", now="2026-01-01T00:00:00Z")
    merged = asff.merge([{"id": "root_access_keys", "status": "fail", "resource": gone, "message": "old"}], gone)
    hub = emulator.client("securityhub", account_id)
    hub.enable_security_hub()
    hub.batch_import_findings(Findings=[asff.to_asff(merged[0], target)])


def test_the_securityhub_policy_is_exactly_sufficient(emulator, tmp_path):
    """With the check policy plus accountguard-securityhub.json, a --check with the import on (and _in_check) passes;
    without any one of its actions, that account's import fails naming the action."""
    securityhub = load_policy("securityhub")
    actions = policy_actions(securityhub)
    assert set(actions) == set(SECURITYHUB_CALLS)
    gateway = (ROOT / "plugins" / "module_utils" / "_gateway" / "securityhub.py").read_text(encoding="utf-8")
    assert all(f"client.{method}(" in gateway or f'"{method}"' in gateway for method in SECURITYHUB_CALLS.values())
    env = create_controller(emulator)
    check = load_policy("check")
    hosts, accounts = {}, {}
    cases = [("complete", securityhub)] + [(host_name(a), without(securityhub, a)) for a in actions]
    for number, (host, extra) in enumerate(cases, start=1):
        account_id = f"{710000000000 + number:012d}"
        policy = {"Version": "2012-10-17", "Statement": check["Statement"] + extra["Statement"]}
        arrange_account(emulator, account_id, ROLES["check"], policy, fresh=False)
        _seed_gone_finding(emulator, account_id)
        # only the root account checks: cheap, and root_access_keys is the seeded finding's control
        hosts[host] = host_vars(account_id, ROLES["check"], tmp_path) | only(["root_account"])
        accounts[host] = account_id
    inventory = write_inventory_file(
        tmp_path / "securityhub.yml",
        hosts,
        baseline_users=USERS,
        baseline_securityhub_import=True,
        baseline_securityhub_import_in_check=True,
    )
    emulator.enforce_iam_authorization()
    emulator.clear_requests()
    try:
        result = run_playbook(PLAYBOOK, inventory=inventory, check=True, env=env, args=["--forks", "4"])
    finally:
        emulator.enforce_iam_authorization(False)
    stats = result.stats()
    assert stats["complete"]["failures"] == 0, failure_messages(result, "complete")
    used = {c["action"] for c in emulator.requests(accounts["complete"]) if c["service"] == "securityhub"}
    assert {f"securityhub:{a}" for a in used} == set(actions)
    # the run wrote nothing to IAM in any account
    assert {c["service"] for c in emulator.requests(writes_only=True)} <= {"securityhub"}
    for action in actions:
        host = host_name(action)
        assert stats[host]["failures"] >= 1, f"{action} removed, yet the import passed"
        assert any(action in message for message in failure_messages(result, host)), failure_messages(result, host)
