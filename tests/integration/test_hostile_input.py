"""Hostile and wrong input to the baseline (issue 7): a clear error before any write, the account unchanged.

Every case is one inventory host standing for its own emulated account, with the bad value as a host
variable, so all cases run in one ansible-playbook run (one Ansible start on a shared machine) and still
prove per account: that host failed, with a message naming the problem, and its account received no write
and is unchanged (read back with boto3). Each account starts drifted (weak password policy, no admin group)
so that a run which got past validation would write.
"""

from __future__ import annotations

import re
import socket

import pytest
from helpers.ansible_run import ROOT, run_playbook
from helpers.ansible_run import write_inventory as write_inventory_file
from test_faults import iam_state

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
GOOD_USER = {"name": "alice", "console_access": True, "tags": {"team": "platform"}}


def user(**fields):
    return {"baseline_users": [{**GOOD_USER, **fields}]}


# id -> (host vars that override a valid set, regex the failure message must match)
CASES = {
    "password-length-below-6": (
        {"baseline_password_policy": {"minimum_password_length": 5}},
        r"minimum_password_length must be between 6 and 128",
    ),
    "password-length-above-128": (
        {"baseline_password_policy": {"minimum_password_length": 129}},
        r"minimum_password_length must be between 6 and 128",
    ),
    "password-max-age-above-1095": (
        {"baseline_password_policy": {"max_password_age": 1096}},
        r"max_password_age must be between 0 and 1095",
    ),
    "password-max-age-negative": (
        {"baseline_password_policy": {"max_password_age": -1}},
        r"max_password_age must be between 0 and 1095",
    ),
    "password-reuse-above-24": (
        {"baseline_password_policy": {"password_reuse_prevention": 25}},
        r"password_reuse_prevention must be between 0 and 24",
    ),
    "password-policy-unknown-option": (
        {"baseline_password_policy": {"minimum_password_length": 14, "min_length": 20}},
        r"min_length",
    ),
    "password-policy-wrong-type": (
        {"baseline_password_policy": {"minimum_password_length": "fourteen"}},
        r"minimum_password_length",
    ),
    "user-unknown-option": (user(colour="red"), r"colour"),
    "user-name-invalid-characters": (user(name="alice smith!"), r"name must be 1 to 64 characters"),
    "user-name-too-long": (user(name="a" * 65), r"name must be 1 to 64 characters"),
    "user-path-without-slashes": (user(path="people"), r"path must be '/'"),
    "user-path-too-long": (user(path="/" + "p" * 512 + "/"), r"path must be '/'"),
    "group-name-invalid": (user(groups=["Cloud admins!"]), r"not a valid IAM group name"),
    "group-name-too-long": (user(groups=["g" * 129]), r"not a valid IAM group name"),
    "too-many-tags": (user(tags={f"k{i}": "v" for i in range(51)}), r"51 tags; IAM allows at most 50"),
    "tag-key-too-long": (user(tags={"k" * 129: "v"}), r"must be 1 to 128 characters"),
    "tag-value-too-long": (user(tags={"team": "v" * 257}), r"IAM allows at most 256"),
    "tag-key-reserved-prefix": (user(tags={"aws:owner": "me"}), r"reserved prefix 'aws:'"),
    "duplicate-users": (
        {"baseline_users": [GOOD_USER, {**GOOD_USER, "name": "Alice"}]},
        r"duplicates users\[0\]",
    ),
    "group-neither-declared-nor-existing": (user(groups=["Ghosts"]), r"Ghosts do not exist"),
    "account-id-too-short": ({"aws_account_id": "12345"}, r"12-digit"),
    "account-id-not-digits": ({"aws_account_id": "12345678901a"}, r"12-digit"),
    "role-arn-malformed": ({"baseline_role_arn": "arn:aws:iam::111:role"}, r"role_arn must look like"),
    "role-arn-not-a-role": ({"baseline_role_arn": "arn:aws:iam::{account}:user/admin"}, r"role_arn must look like"),
    "role-arn-of-another-account": (
        {"baseline_role_arn": ROLE.format("999999999999")},
        r"belongs to account 999999999999, not to",
    ),
    "session-duration-out-of-range": (
        {"baseline_session_duration_seconds": 60},
        r"duration_seconds must be between 900 and 43200",
    ),
    "mfa-requirement-unknown": ({"baseline_mfa_require_for": "everyone"}, r"baseline_mfa_require_for"),
    "admin-group-name-invalid": (
        {"baseline_admin_group_name": "Cloud admins!"},
        r"baseline_admin_group_name must be 1 to 128 characters",
    ),
    "admin-group-name-too-long": (
        {"baseline_admin_group_name": "g" * 129},
        r"baseline_admin_group_name must be 1 to 128 characters",
    ),
    "admin-group-path-without-slashes": (
        {"baseline_admin_group_path": "admins"},
        r"baseline_admin_group_path must be / or start and end with /",
    ),
    "admin-group-path-too-long": (
        {"baseline_admin_group_path": "/" + "p" * 512 + "/"},
        r"baseline_admin_group_path must be / or start and end with /.*at most 512",
    ),
    "admin-group-policy-not-an-arn": (
        {"baseline_admin_group_policies": ["AdministratorAccess"]},
        r"baseline_admin_group_policies: 'AdministratorAccess' is not a managed policy ARN",
    ),
    "admin-group-path-invalid-users-off": (
        {"baseline_iam_users_enabled": False, "baseline_admin_group_path": "admins"},
        r"baseline_admin_group_path must be / or start and end with /",
    ),
    "admin-group-guard-name-invalid": (
        {"baseline_admin_group_mfa_policy_name": "Require MFA"},
        r"baseline_admin_group_mfa_policy_name must be 1 to 128 characters",
    ),
}


def account_of(number: int) -> str:
    return f"{800000000000 + number:012d}"


def arrange(emulator, account_id: str) -> None:
    iam = emulator.client("iam", account_id=account_id)
    iam.update_account_password_policy(MinimumPasswordLength=8)
    emulator.create_users(account_id, [{"name": "legacy", "tags": {"team": "old"}, "console": True}])


@pytest.fixture(scope="module")
def hostile_run(emulator_server, tmp_path_factory):
    """All cases in one run; returns (result, {case: account id}, {case: state before}, writes per account)."""
    emulator = emulator_server
    emulator.reset()
    tmp_path = tmp_path_factory.mktemp("hostile")
    hosts, accounts, before = {}, {}, {}
    for number, (case, (overrides, _pattern)) in enumerate(CASES.items(), start=1):
        account_id = account_of(number)
        arrange(emulator, account_id)
        accounts[case] = account_id
        before[case] = iam_state(emulator, account_id)
        variables = {"aws_account_id": account_id, "baseline_role_arn": ROLE.format(account_id), **user()}
        variables.update({k: v.format(account=account_id) if isinstance(v, str) else v for k, v in overrides.items()})
        hosts[case] = variables
    path = write_inventory_file(
        tmp_path / "inventory.yml", hosts, baseline_credentials_dir=str(tmp_path / "credentials")
    )
    emulator.clear_requests()
    result = run_playbook(
        PLAYBOOK,
        inventory=path,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(tmp_path / "reports")},
        args=["--forks", "10"],
    )
    writes = {}
    for call in emulator.requests(writes_only=True):
        writes.setdefault(call["account_id"], []).append(call["action"])
    after = {case: iam_state(emulator, account_id) for case, account_id in accounts.items()}
    emulator.reset()
    return result, accounts, before, after, writes


def failure_messages(result, host: str) -> list[str]:
    return [str(r.get("msg", "")) for r in result.task_results(host) if r.get("failed")]


def test_enough_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", list(CASES))
def test_rejected_with_a_clear_error(hostile_run, case):
    result = hostile_run[0]
    pattern = CASES[case][1]
    assert case in result.stats(), result.stderr[-3000:]
    assert result.stats()[case]["failures"] == 1, f"{case} was accepted"
    messages = failure_messages(result, case)
    assert any(re.search(pattern, message) for message in messages), messages


@pytest.mark.parametrize("case", list(CASES))
def test_nothing_written_and_account_unchanged(hostile_run, case):
    _result, accounts, before, after, writes = hostile_run
    assert writes.get(accounts[case], []) == [], f"{case} wrote {writes.get(accounts[case])} before failing"
    assert after[case] == before[case]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_endpoint_that_does_not_answer(emulator, tmp_path):
    account_id = "811111111111"
    arrange(emulator, account_id)
    before = iam_state(emulator, account_id)
    hosts = {"silent": {"aws_account_id": account_id, "baseline_role_arn": ROLE.format(account_id)}}
    path = write_inventory_file(tmp_path / "inventory.yml", hosts)
    url = f"http://127.0.0.1:{closed_port()}"
    env = {**emulator.env(), "AWS_ENDPOINT_URL": url, "ACCOUNTGUARD_REPORT_DIR": str(tmp_path / "reports")}

    result = run_playbook(PLAYBOOK, inventory=path, env=env, timeout=300)

    assert result.rc != 0
    messages = failure_messages(result, "silent")
    assert len(messages) == 1, messages
    assert account_id in messages[0] and url in messages[0], messages
    assert emulator.requests() == []
    assert iam_state(emulator, account_id) == before
