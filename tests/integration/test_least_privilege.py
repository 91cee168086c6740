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
from botocore.exceptions import ClientError
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
    "organizations:DescribeOrganization": ["root_credentials_management"],
    "organizations:ListAWSServiceAccessForOrganization": ["root_credentials_management"],
    "iam:ListOrganizationsFeatures": ["root_credentials_management"],
    "account:GetAlternateContact": ["security_contact"],
    "access-analyzer:ListAnalyzers": ["access_analyzer"],
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
    # Each account is the management account of its own Organization, with trusted access for IAM but the
    # centralized root access features off: root_credentials_management reads everything it can read.
    organizations = emulator.client("organizations", account_id=account_id)
    organizations.create_organization(FeatureSet="ALL")
    organizations.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
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
    # one task file (iam_account) for four controls, each with its own toggle
    "support_role": ("baseline_support_role_enabled",),
    "server_certificates": ("baseline_server_certificates_enabled",),
    "root_credentials_management": ("baseline_root_credentials_management_enabled",),
    "security_contact": ("baseline_security_contact_enabled",),
    "access_analyzer": ("baseline_access_analyzer_enabled",),
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
    # IAM, Organizations, and the account-wide reads of two controls: the security contact and IAM Access Analyzer
    assert all(action.startswith(("iam:", "organizations:", "account:", "access-analyzer:")) for action in apply)


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
    # AWS's own words, not a description of ours that happens to name the action
    assert any(f"not authorized to perform: {action}" in message for message in messages), messages


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
    """The file's sts:AssumeRoot condition names the module's own two task policies, and its other statement the
    two reads the module's gateway makes outside a root session (the runs below prove them under enforcement)."""
    policy = load_policy("root-access")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assume = statements[ASSUME_ROOT_SID]
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
    assert set(statements[FEATURES_SID]["Action"]) == set(outside_session)
    for method in outside_session.values():
        assert f"client.{method}(" in gateway
    assert "client.assume_root(" in gateway


# The opt-in baseline_root_credentials_management_enable needs these, on the management account only.
ROOT_ACCESS_ENABLE = [
    "organizations:EnableAWSServiceAccess",
    "iam:EnableOrganizationsRootCredentialsManagement",
    "iam:EnableOrganizationsRootSessions",
]


def test_enabling_centralized_root_access_needs_exactly_its_opt_in_actions(emulator, tmp_path):
    """docs/least-privilege.md's opt-in row for baseline_root_credentials_management_enable, proved the same way:
    the apply policy plus those actions enables it; without any one of them the run fails naming it."""
    env = create_controller(emulator)
    extended = load_policy("apply")
    extended["Statement"].append({"Effect": "Allow", "Action": list(ROOT_ACCESS_ENABLE), "Resource": "*"})
    role = ROLES["apply"]
    cases = [("complete", extended)] + [(host_name(a), without(extended, a)) for a in ROOT_ACCESS_ENABLE]
    hosts, accounts = {}, {}
    for number, (host, policy) in enumerate(cases, start=1):
        account_id = f"{710000000000 + number:012d}"
        iam = emulator.client("iam", account_id=account_id)
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy())
        iam.put_role_policy(RoleName=role, PolicyName=role, PolicyDocument=json.dumps(policy))
        # the management account of its own Organization, trusted access and features all off
        emulator.client("organizations", account_id=account_id).create_organization(FeatureSet="ALL")
        enable = {"baseline_root_credentials_management_enable": True}
        hosts[host] = host_vars(account_id, role, tmp_path) | only(["root_credentials_management"]) | enable
        accounts[host] = account_id
    emulator.enforce_iam_authorization()
    result = run_playbook(PLAYBOOK, inventory=write_inventory(tmp_path, "opt-in", hosts), env=env, args=["-f", "4"])
    emulator.enforce_iam_authorization(False)

    assert result.stats()["complete"]["failures"] == 0, failure_messages(result, "complete")
    iam = emulator.client("iam", account_id=accounts["complete"])
    assert sorted(iam.list_organizations_features()["EnabledFeatures"]) == ["RootCredentialsManagement", "RootSessions"]
    for action in ROOT_ACCESS_ENABLE:
        host = host_name(action)
        assert result.stats()[host]["failures"] >= 1, f"{action} removed, yet the run passed"
        messages = failure_messages(result, host)
        assert any(f"not authorized to perform: {action}" in message for message in messages), messages


# -- centralized root access under enforced authorization ------------------------------------------------------
# The identity that opens root sessions (here an IAM user of the management account, used through
# baseline_root_access_profile) holds only accountguard-root-access.json; the controller holds only its own
# policy and the member account only the check (or apply) role. The emulator authorizes sts:AssumeRoot and
# iam:ListOrganizationsFeatures against that identity's policies, the sts:TaskPolicyArn condition included.

ASSUME_ROOT_SID = "AuditAndDeleteRootCredentialsOfMemberAccounts"
FEATURES_SID = "ReadTheOrganizationsRootAccessFeatures"
ROOT_TAGS = "root_access_keys,root_mfa,root_usage"
ROOT_PROFILE = "accountguard-root-access"
ROOT_TASK = "Audit the root credentials through sts:AssumeRoot (and remove those listed)"
FEATURES_TASK = "Read whether the Organization has centralized root access"


def root_access_organization(emulator) -> str:
    """The management account's Organization with one member, centralized root access on, root credentials in
    the member; returns the member account id."""
    org = emulator.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]["AccountId"]
    emulator.enable_root_access()
    emulator.set_root(
        member,
        access_keys=[{"active": True, "age_days": 30}],
        password=False,
        mfa="none",
        signing_certificates=[{"active": True, "age_days": 5}],
    )
    return member


def root_access_identity(emulator, tmp_path: Path, policy: dict, name: str = ROOT_PROFILE) -> dict:
    """An IAM user of the management account with only ``policy``; a profile of that name in a credentials file.
    Returns the environment entries that make the profile known, and the user's keys."""
    iam = emulator.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    (tmp_path / "credentials").write_text(
        f"[{name}]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n",
        encoding="utf-8",
    )
    (tmp_path / "config").write_text(f"[profile {name}]\nregion = us-east-1\n", encoding="utf-8")
    return {
        "env": {
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "AWS_CONFIG_FILE": str(tmp_path / "config"),
        },
        "key": key,
    }


def member_role(emulator, member: str, kind: str) -> None:
    iam = emulator.client("iam", account_id=member)
    role = ROLES[kind]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust_policy())
    iam.put_role_policy(RoleName=role, PolicyName=role, PolicyDocument=json.dumps(load_policy(kind)))


def root_run(emulator, tmp_path: Path, member: str, kind: str, env: dict, remove: list[str], profile=ROOT_PROFILE):
    hosts = {"member": host_vars(member, ROLES[kind], tmp_path)}
    inventory = write_inventory_file(
        tmp_path / f"root-{kind}-{profile}.yml",
        hosts,
        baseline_users=[],
        baseline_root_access_via_assume_root="always",
        baseline_root_access_profile=profile,
        baseline_root_remove_credentials=remove,
    )
    emulator.enforce_iam_authorization()
    emulator.clear_requests()
    try:
        return run_playbook(
            PLAYBOOK,
            inventory=inventory,
            check=kind == "check",
            diff=kind == "check",
            env=env,
            args=["--tags", ROOT_TAGS],
        )
    finally:
        emulator.enforce_iam_authorization(False)


def named_task(result, host: str, name: str) -> dict:
    return next(r for r in result.task_results(host) if r["_task"].endswith(name))


def test_the_root_access_policy_alone_audits_removes_and_refuses_a_third_task_policy(emulator, tmp_path):
    member = root_access_organization(emulator)
    before = emulator.root_state(member)
    identity = root_access_identity(emulator, tmp_path, load_policy("root-access"))
    env = create_controller(emulator) | identity["env"]
    for kind in ROLES:
        member_role(emulator, member, kind)

    # --check: the audit session, opened by the identity with only the root-access policy; nothing written
    check = root_run(emulator, tmp_path, member, "check", env, ["access_keys", "signing_certificates"])
    assert check.rc == 0, failure_messages(check, "member") or check.stdout[-3000:]
    calls = emulator.requests()
    opened = [(c["account_id"], c["task_policy_arn"]) for c in calls if c["action"] == "AssumeRoot"]
    assert opened == [(MANAGEMENT, _root_access.AUDIT_TASK_POLICY)]
    assert [c for c in calls if c["write"]] == []
    assert emulator.root_state(member) == before
    features = named_task(check, "member", FEATURES_TASK)["features"]
    assert features["root_sessions"] is True and features["error"] is None, features
    found = {f["id"]: f["status"] for f in named_task(check, "member", ROOT_TASK)["findings"]}
    assert found["root_access_keys"] == "fail"
    # every action of the policy was used, by the management account's identity
    used = {f"{c['service']}:{c['action']}" for c in calls if c["account_id"] == MANAGEMENT}
    assert set(policy_actions(load_policy("root-access"))) <= used

    # apply: the delete session, with the same policy; the listed kinds are gone, read back from the emulator
    apply = root_run(emulator, tmp_path, member, "apply", env, ["access_keys", "signing_certificates"])
    assert apply.rc == 0, failure_messages(apply, "member") or apply.stdout[-3000:]
    opened = [c["task_policy_arn"] for c in emulator.requests() if c["action"] == "AssumeRoot"]
    assert opened == [_root_access.AUDIT_TASK_POLICY, _root_access.DELETE_TASK_POLICY]
    after = emulator.root_state(member)
    assert after["access_keys"] == [] and after["signing_certificates"] == []

    # a third task policy (a new root password) is refused to the same identity: the condition holds
    sts = emulator.session_client(
        "sts", {"AccessKeyId": identity["key"]["AccessKeyId"], "SecretAccessKey": identity["key"]["SecretAccessKey"]}
    )
    emulator.enforce_iam_authorization()
    try:
        for task_policy in ("IAMCreateRootUserPassword", "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"):
            with pytest.raises(ClientError) as refused:
                sts.assume_root(
                    TargetPrincipal=member, TaskPolicyArn={"arn": _root_access.TASK_POLICY_PREFIX + task_policy}
                )
            assert refused.value.response["Error"]["Code"] == "AccessDenied", task_policy
            assert "sts:AssumeRoot" in refused.value.response["Error"]["Message"]
    finally:
        emulator.enforce_iam_authorization(False)
    assert emulator.root_state(member)["password"] is False


def test_without_the_assume_root_statement_the_audit_fails_naming_it(emulator, tmp_path):
    member = root_access_organization(emulator)
    policy = load_policy("root-access")
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != ASSUME_ROOT_SID]
    env = create_controller(emulator) | root_access_identity(emulator, tmp_path, policy)["env"]
    member_role(emulator, member, "check")

    result = root_run(emulator, tmp_path, member, "check", env, [])

    assert result.stats()["member"]["failures"] >= 1, result.stdout[-3000:]
    messages = failure_messages(result, "member")
    assert any("sts:AssumeRoot" in m and "AccessDenied" in m for m in messages), messages
    assert [c for c in emulator.requests() if c.get("root_session")] == []


def test_without_the_features_statement_the_read_says_which_permission_is_missing(emulator, tmp_path):
    member = root_access_organization(emulator)
    policy = load_policy("root-access")
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != FEATURES_SID]
    env = create_controller(emulator) | root_access_identity(emulator, tmp_path, policy)["env"]
    member_role(emulator, member, "check")

    result = root_run(emulator, tmp_path, member, "check", env, [])

    # the read never fails a run: it treats root sessions as off and says why (with `always` the audit still runs)
    features = named_task(result, "member", FEATURES_TASK)["features"]
    assert features["root_sessions"] is False
    # the run reads the Organization first, then its features: the error names the first action refused
    assert "AccessDenied" in features["error"], features
    assert "organizations:DescribeOrganization" in features["error"], features


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
