"""baseline_preflight's checks: the modules' own validation, messages in the user's variable names, no AWS."""

from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.action.baseline_preflight import problems, renamed

VARIABLES = {
    "users": "baseline_users",
    "credentials_dir": "baseline_credentials_dir",
    "admin_group.name": "baseline_admin_group_name",
    "admin_group.path": "baseline_admin_group_path",
    "admin_group.managed_policies": "baseline_admin_group_policies",
    "admin_group.mfa_guard.policy_name": "baseline_admin_group_mfa_policy_name",
    "password_policy": "baseline_password_policy",
    "access_keys.max_age_days": "baseline_access_key_max_age_days",
    "access_keys.max_unused_days": "baseline_access_key_max_unused_days",
    "access_keys.max_active_keys": "baseline_access_key_max_active",
    "access_keys.console_max_unused_days": "baseline_console_access_max_unused_days",
}
LIMITS = {"max_age_days": 90, "max_unused_days": 45, "max_active_keys": 1, "console_max_unused_days": 45}
GROUP = {
    "name": "Cloudadmin",
    "path": "/",
    "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
    "mfa_guard": {"policy_name": "RequireMFA", "policy_document": {"Version": "2012-10-17", "Statement": [{}]}},
}
POLICY = {"minimum_password_length": 14, "max_password_age": 90, "password_reuse_prevention": 24}


@pytest.mark.parametrize(
    ("params", "fragments"),
    [
        ({"users": [{"name": "alice"}], "admin_group": GROUP, "password_policy": POLICY}, []),
        ({}, []),
        ({"users": [{"name": "a b"}]}, ["baseline_users[0] (a b).name must be 1 to 64"]),
        ({"users": [{"name": "alice"}, {"name": "Alice"}]}, ["baseline_users[1] (Alice).name duplicates"]),
        ({"users": ["alice"]}, ["baseline_users[0] must be a dictionary"]),
        ({"admin_group": {**GROUP, "name": "bad name"}}, ["baseline_admin_group_name must be 1 to 128"]),
        ({"admin_group": {**GROUP, "path": "x"}}, ["baseline_admin_group_path must be /"]),
        ({"admin_group": {**GROUP, "managed_policies": ["nope"]}}, ["baseline_admin_group_policies: 'nope'"]),
        (
            {"admin_group": {**GROUP, "mfa_guard": {**GROUP["mfa_guard"], "policy_name": "a b"}}},
            ["baseline_admin_group_mfa_policy_name must be"],
        ),
        ({"password_policy": {"minimum_password_length": 5}}, ["baseline_password_policy.minimum_password_length"]),
        ({"password_policy": {"max_password_age": "often"}}, ["baseline_password_policy.max_password_age must be an"]),
        (
            {"users": [{"name": ""}], "password_policy": {"password_reuse_prevention": 25}},
            ["baseline_users[0].name", "password_reuse_prevention must be between 0 and 24"],
        ),
        # the day and key limits of access_keys.yml, as the role templates them (strings too)
        ({"access_keys": LIMITS}, []),
        ({"access_keys": {**LIMITS, "console_max_unused_days": "45"}}, []),
        (
            {"access_keys": {**LIMITS, "console_max_unused_days": 0}},
            ["baseline_console_access_max_unused_days must be between 1 and 3650 (inclusive), got 0"],
        ),
        (
            {"access_keys": {**LIMITS, "console_max_unused_days": "soon"}},
            ["baseline_console_access_max_unused_days must be an integer, got 'soon'"],
        ),
        ({"access_keys": {**LIMITS, "console_max_unused_days": 4.5}}, ["must be an integer, got 4.5"]),
        ({"access_keys": {**LIMITS, "max_active_keys": 3}}, ["baseline_access_key_max_active must be between 0 and 2"]),
        ({"access_keys": {**LIMITS, "max_age_days": True}}, ["baseline_access_key_max_age_days must be an integer"]),
    ],
)
def test_problems(params, fragments):
    found = problems({**params, "variables": VARIABLES})
    assert len(found) == len(fragments), found
    for problem, fragment in zip(found, fragments, strict=True):
        assert fragment in problem


def test_without_variables_the_options_are_named():
    assert problems({"admin_group": {**GROUP, "path": "x"}})[0].startswith("admin_group.path must be")


def test_credentials_dir_is_checked_only_when_secrets_are_due(tmp_path):
    open_dir = tmp_path / "creds"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    users = [{"name": "alice", "console_access": True}]
    found = problems({"users": users, "credentials_dir": str(open_dir), "variables": VARIABLES})
    assert len(found) == 1 and found[0].startswith("baseline_credentials_dir: ") and "0755" in found[0]
    assert problems({"users": [{"name": "alice"}], "credentials_dir": str(open_dir)}) == []


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("users[0].name bad", "baseline_users[0].name bad"),
        ("admin_group.mfa_guard.policy_name bad", "baseline_admin_group_mfa_policy_name bad"),
        ("admin_group.mfa_guard.policy_document bad", "admin_group.mfa_guard.policy_document bad"),
        ("usersx bad", "usersx bad"),
    ],
)
def test_renamed(problem, expected):
    assert renamed(problem, VARIABLES) == expected


EXCEPTIONS = """schema_version: 1
exceptions:
  - account: "111111111111"
    control: user_mfa
    reason: break-glass
    owner: security@example.com
    expires: 2027-03-31
"""


@pytest.mark.parametrize(
    ("text", "warn_days", "fragments"),
    [
        (EXCEPTIONS, 14, []),
        (EXCEPTIONS.replace("2027-03-31", "2000-01-01"), 0, []),  # expired: valid, reported as expired
        (EXCEPTIONS.replace("user_mfa", "mfa"), 14, ["exceptions[0].control: unknown control id 'mfa'"]),
        (EXCEPTIONS.replace("    owner: security@example.com\n", ""), 14, ["exceptions[0].owner: required"]),
        (EXCEPTIONS, -1, ["baseline_exceptions_warn_days: must be a whole number of days, 0 or more, got -1"]),
        (EXCEPTIONS, "soon", ["baseline_exceptions_warn_days: must be a whole number"]),
        (EXCEPTIONS, True, ["baseline_exceptions_warn_days: must be a whole number"]),
    ],
)
def test_the_exceptions_file_is_loaded_relative_to_its_base_dir(tmp_path, text, warn_days, fragments):
    (tmp_path / "exceptions.yml").write_text(text, encoding="utf-8")
    variables = {
        **VARIABLES,
        "exceptions_file": "baseline_exceptions_file",
        "exceptions_warn_days": "baseline_exceptions_warn_days",
    }
    found = problems(
        {
            "exceptions_file": "exceptions.yml",
            "exceptions_base_dir": str(tmp_path),
            "exceptions_warn_days": warn_days,
            "variables": variables,
        }
    )
    assert len(found) == len(fragments), found
    for problem, fragment in zip(found, fragments, strict=True):
        assert fragment in problem
        if "exceptions[" in fragment:
            assert problem.startswith(f"baseline_exceptions_file {tmp_path / 'exceptions.yml'}: ")


def test_a_missing_exceptions_file_is_named(tmp_path):
    found = problems({"exceptions_file": str(tmp_path / "nope.yml")})
    assert found == [f"exceptions_file {tmp_path / 'nope.yml'}: cannot be read: No such file or directory"]
