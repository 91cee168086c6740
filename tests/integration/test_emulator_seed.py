"""The demo seed: a deterministic Organization of three insecure member accounts."""

from __future__ import annotations

import csv
import io

import pytest

EXPECTED_ACCOUNTS = [
    ("111111111111", "prod", "Root/Workloads/Prod"),
    ("222222222222", "dev", "Root/Workloads/Dev"),
    ("333333333333", "sandbox", "Root/Sandbox"),
]


@pytest.fixture
def demo(emulator):
    return emulator.seed_demo()


def ou_path(org, account_id: str) -> str:
    names = []
    child = account_id
    while True:
        parent = org.list_parents(ChildId=child)["Parents"][0]
        if parent["Type"] == "ROOT":
            return "/".join(["Root", *reversed(names)])
        names.append(org.describe_organizational_unit(OrganizationalUnitId=parent["Id"])["OrganizationalUnit"]["Name"])
        child = parent["Id"]


def report(iam) -> dict[str, dict]:
    iam.generate_credential_report()
    rows = csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode()))
    return {row["user"]: row for row in rows}


def test_demo_description_is_deterministic(demo):
    assert demo["management_account_id"] == "123456789012"
    assert [(a["id"], a["name"], a["ou_path"]) for a in demo["accounts"]] == EXPECTED_ACCOUNTS
    assert all(isinstance(a["id"], str) and a["email"].endswith("@example.com") for a in demo["accounts"])


def test_demo_organization_matches_description(emulator, demo):
    org = emulator.client("organizations")
    listed = {a["Id"]: a for a in org.list_accounts()["Accounts"]}
    assert set(listed) == {"123456789012", *(a["id"] for a in demo["accounts"])}
    for account in demo["accounts"]:
        assert listed[account["id"]]["Name"] == account["name"]
        assert listed[account["id"]]["Email"] == account["email"]
        assert ou_path(org, account["id"]) == account["ou_path"]
        tags = {t["Key"]: t["Value"] for t in org.list_tags_for_resource(ResourceId=account["id"])["Tags"]}
        assert tags == account["tags"]


def test_every_member_account_is_insecure_in_its_own_way(emulator, demo):
    states = []
    for account in demo["accounts"]:
        iam = emulator.client("iam", account["id"])
        rows = report(iam)
        root = rows.pop("<root_account>")
        summary = iam.get_account_summary()["SummaryMap"]
        assert summary["AccountAccessKeysPresent"] == 1, "every member account has a root key"
        assert sorted(rows) == sorted(account["users"])
        console_without_mfa = [
            u for u, r in rows.items() if r["password_enabled"] == "true" and r["mfa_active"] == "false"
        ]
        assert console_without_mfa, "every member account has a console user without MFA"
        try:
            policy = iam.get_account_password_policy()["PasswordPolicy"]
            assert policy["MinimumPasswordLength"] < 14
        except iam.exceptions.NoSuchEntityException:
            policy = None
        states.append((root["mfa_active"], root["access_key_1_active"], root["access_key_2_active"], str(policy)[:40]))
    assert len(set(states)) == len(states)


def test_demo_keys_are_old_unused_or_doubled(emulator, demo):
    prod, dev, sandbox = (emulator.client("iam", a["id"]) for a in demo["accounts"])
    rows = report(prod)
    assert rows["legacy-etl"]["access_key_1_last_used_date"] == "N/A"
    assert rows["deploy-bot"]["access_key_1_last_rotated"] < rows["legacy-etl"]["access_key_1_last_rotated"]
    ci = report(dev)["ci-runner"]
    assert ci["access_key_1_active"] == ci["access_key_2_active"] == "true"
    assert report(sandbox)["experiments"]["access_key_1_last_used_date"] == "N/A"
    devices = dev.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert {d["User"]["Arn"].rsplit(":", 1)[-1] for d in devices} == {"root", "user/dave"}


def test_member_accounts_are_reachable_through_the_organization_role(emulator, demo):
    for account in demo["accounts"]:
        assert emulator.client("sts", account["id"]).get_caller_identity()["Account"] == account["id"]
        role = emulator.client("iam", account["id"]).get_role(RoleName=demo["role_name"])["Role"]
        assert role["Arn"] == f"arn:aws:iam::{account['id']}:role/{demo['role_name']}"


def test_seeding_leaves_the_request_log_empty_and_can_repeat(emulator, demo):
    assert emulator.requests() == []
    again = emulator.seed_demo()
    assert [a["id"] for a in again["accounts"]] == [a["id"] for a in demo["accounts"]]
