"""The IAM policies of docs/policies/ are exactly sufficient (issue 7, least privilege).

The emulator evaluates IAM policies on every call (``enforce_iam_authorization``). The controller is an IAM
user of the management account holding only docs/policies/accountguard-controller.json; each member account
has the roles of docs/least-privilege.md, trusting the management account (accountguard-trust.json), with
accountguard-check.json or accountguard-apply.json as their only permissions. The files are read from docs/
as they are: the policies proved here are the policies published.

- A whole baseline run passes: ``--check`` with the check role, apply with the apply role.
- Removing any one action breaks the run with a message naming that permission. Each removal gets its own
  account and runs only the role task files whose module calls the action (TASK_FILES), all removals of a
  policy in one ansible-playbook run, so the cost is one Ansible start per policy, not per action.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from helpers.ansible_run import ROOT, run_playbook

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
    "iam:ListAttachedGroupPolicies": ["admin_group"],
    "iam:AttachGroupPolicy": ["admin_group"],
    "iam:ListGroupPolicies": ["admin_group"],
    "iam:GetGroupPolicy": ["admin_group"],
    "iam:PutGroupPolicy": ["admin_group"],
    "iam:GetAccountAuthorizationDetails": ["iam_users"],
    "iam:GetLoginProfile": ["iam_users"],
    "iam:ListAccessKeys": ["iam_users"],
    "iam:ListGroups": ["iam_users"],
    "iam:CreateUser": ["iam_users"],
    "iam:UpdateUser": ["iam_users"],
    "iam:TagUser": ["iam_users"],
    "iam:AddUserToGroup": ["iam_users"],
    "iam:CreateLoginProfile": ["iam_users"],
    "iam:CreateAccessKey": ["iam_users"],
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
        iam.create_group(GroupName="Cloudadmin")
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
    data = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "baseline_users": USERS,
            },
            "hosts": hosts,
        }
    }
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


ROLE = "accountguard.aws.baseline"
# Only the task files a host lists: the session and the account guard first, as in the role's main.yml.
SINGLE_MODULE_PLAY = [
    {
        "name": "Run only the modules that call the removed action",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Open the session",
                "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "session"},
            },
            {
                "name": "Controls that call the action, in the host's account",
                "module_defaults": {
                    "group/amazon.aws.aws": "{{ _baseline_session.aws_connection }}",
                    "group/accountguard.aws.aws": "{{ _baseline_session.aws_connection }}",
                },
                "block": [
                    {
                        "name": "Control",
                        "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "{{ item }}"},
                        "loop": "{{ lp_task_files }}",
                    }
                ],
            },
        ],
    }
]


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


@pytest.fixture(scope="module")
def removal_runs(emulator_server, tmp_path_factory):
    """For each policy, one ansible-playbook run with one host (and account) per removed action."""
    emulator = emulator_server
    emulator.reset()
    tmp_path = tmp_path_factory.mktemp("least_privilege_removals")
    env = create_controller(emulator)
    runs = {}
    number = 0
    for kind, role in ROLES.items():
        policy = load_policy(kind)
        hosts = {}
        accounts = {}
        for action in policy_actions(policy):
            number += 1
            account_id = f"{700000000000 + number:012d}"
            arrange_account(emulator, account_id, role, without(policy, action), fresh=action in NEEDS_FRESH_ACCOUNT)
            hosts[host_name(action)] = host_vars(account_id, role, tmp_path) | {"lp_task_files": TASK_FILES[action]}
            accounts[action] = account_id
        emulator.enforce_iam_authorization()
        play = tmp_path / f"{kind}-play.yml"
        play.write_text(yaml.safe_dump(SINGLE_MODULE_PLAY), encoding="utf-8")
        result = run_playbook(
            play,
            inventory=write_inventory(tmp_path, kind, hosts),
            check=kind == "check",
            env=env,
            args=["--forks", "8"],
        )
        emulator.enforce_iam_authorization(False)
        runs[kind] = (result, accounts)
    emulator.reset()
    return runs


def test_every_action_is_mapped_to_the_modules_that_call_it():
    """A policy action without a module that calls it would be an unproved (and needless) permission."""
    check, apply = policy_actions(load_policy("check")), policy_actions(load_policy("apply"))
    assert len(check) == len(set(check)) and len(apply) == len(set(apply))
    assert set(check) <= set(apply), "the apply role also reads"
    assert set(apply) == set(TASK_FILES)
    assert all(action.startswith("iam:") for action in apply)


# amazon.aws.iam_policy (admin_group.yml) treats AccessDenied on ListGroupPolicies / GetGroupPolicy as "no
# inline policy": without them the run does not fail, it reports drift on every --check and rewrites the
# guard policy on every apply. Both actions stay in the policies (idempotence needs them); the role must stop
# hiding the denial (see docs/least-privilege.md).
SWALLOWED_BY_AMAZON_AWS = {"iam:ListGroupPolicies", "iam:GetGroupPolicy"}


def removal_cases():
    for kind in ROLES:
        for action in policy_actions(load_policy(kind)):
            marks = []
            if action in SWALLOWED_BY_AMAZON_AWS:
                marks.append(pytest.mark.xfail(reason="amazon.aws.iam_policy swallows AccessDenied", strict=True))
            yield pytest.param(kind, action, marks=marks, id=f"{kind}-{action}")


@pytest.mark.parametrize(("kind", "action"), list(removal_cases()))
def test_removing_one_action_fails_naming_it(removal_runs, kind, action):
    result, _ = removal_runs[kind]
    host = host_name(action)
    assert host in result.stats(), result.stderr[-3000:]
    assert result.stats()[host]["failures"] >= 1, f"{action} removed from the {kind} policy, yet the run passed"
    messages = failure_messages(result, host)
    assert any(action in message for message in messages), messages


def test_check_run_passes_with_the_check_policy_and_writes_nothing(emulator, tmp_path):
    env = create_controller(emulator)
    account_id = "711111111111"
    arrange_account(emulator, account_id, ROLES["check"], load_policy("check"), fresh=False)
    inventory = write_inventory(tmp_path, "check", {"drifted": host_vars(account_id, ROLES["check"], tmp_path)})
    emulator.enforce_iam_authorization()
    emulator.clear_requests()

    result = run_playbook(PLAYBOOK, inventory=inventory, check=True, diff=True, env=env)

    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.stats()["drifted"]["failures"] == 0
    assert result.stats()["drifted"]["changed"] > 0, "the drifted account must show drift"
    assert emulator.requests(writes_only=True) == []
    # Every action of the check policy was used by this run: none is there just in case.
    used = {f"{c['service']}:{c['action']}" for c in emulator.requests(account_id=account_id)}
    assert set(policy_actions(load_policy("check"))) <= used


def test_apply_run_passes_with_the_apply_policy(emulator, tmp_path):
    env = create_controller(emulator)
    accounts = {"drifted": "722222222222", "fresh": "733333333333"}
    for host, account_id in accounts.items():
        arrange_account(emulator, account_id, ROLES["apply"], load_policy("apply"), fresh=host == "fresh")
    hosts = {host: host_vars(account_id, ROLES["apply"], tmp_path) for host, account_id in accounts.items()}
    inventory = write_inventory(tmp_path, "apply", hosts)
    emulator.enforce_iam_authorization()
    emulator.clear_requests()

    result = run_playbook(PLAYBOOK, inventory=inventory, env=env)

    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    used = {f"{c['service']}:{c['action']}" for c in emulator.requests() if c["service"] == "iam"}
    assert set(policy_actions(load_policy("apply"))) <= used
    for account_id in accounts.values():
        iam = emulator.client("iam", account_id=account_id)
        group = iam.get_group(GroupName="Cloudadmin")
        assert [u["UserName"] for u in group["Users"]] == ["alice"]
        attached = iam.list_attached_group_policies(GroupName="Cloudadmin")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [ADMIN_POLICY]
        assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14
        assert len(iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]) == 1
