"""accountguard.aws.iam_users against the local AWS emulator.

Ground truth is what the emulator holds afterwards (read with boto3), and check mode is proved by the
request log, never by what the module says about itself.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from helpers.ansible_run import run_module

MODULE = "accountguard.aws.iam_users"
ACCOUNT = "123456789012"
# The modules must run with the virtual environment's Python (boto3), not whatever interpreter discovery finds.
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}


def run(emulator, tmp_path, users, check=False, diff=False, **options):
    args = {"users": users, "credentials_dir": str(tmp_path / "credentials"), **options}
    return run_module(MODULE, args, check=check, diff=diff, env=emulator.env() | LOCAL_PYTHON)


def writes(emulator):
    return [r for r in emulator.requests(writes_only=True) if r["service"] == "iam"]


def tags_of(iam, name):
    return {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}


def groups_of(iam, name):
    return sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"])


USERS = [
    {"name": "alice", "console_access": True, "groups": ["Cloudadmin"], "tags": {"team": "platform"}},
    {"name": "deploy-bot", "path": "/service/", "programmatic_access": True, "tags": {"purpose": "ci"}},
    {"name": "carol", "console_access": True, "programmatic_access": True, "password_reset_required": True},
]


@pytest.fixture
def iam(emulator):
    client = emulator.client("iam")
    client.create_group(GroupName="Cloudadmin")
    emulator.clear_requests()
    return client


def test_create_from_scratch_then_idempotent(emulator, iam, tmp_path):
    first = run(emulator, tmp_path, USERS)
    assert first["_rc"] == 0, first.get("msg")
    assert first["changed"] is True

    alice = iam.get_user(UserName="alice")["User"]
    assert alice["Path"] == "/"
    assert tags_of(iam, "alice") == {"team": "platform"}
    assert groups_of(iam, "alice") == ["Cloudadmin"]
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is True
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []

    assert iam.get_user(UserName="deploy-bot")["User"]["Path"] == "/service/"
    assert len(iam.list_access_keys(UserName="deploy-bot")["AccessKeyMetadata"]) == 1
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="deploy-bot")
    assert len(iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]) == 1
    assert iam.get_login_profile(UserName="carol")["LoginProfile"]["PasswordResetRequired"] is True

    by_name = {u["user_name"]: u for u in first["users"]}
    assert by_name["alice"]["actions"] == ["create_user", "add_to_group:Cloudadmin", "create_login_profile"]
    assert by_name["alice"]["created"] is True
    assert by_name["alice"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"

    emulator.clear_requests()
    second = run(emulator, tmp_path, USERS)
    assert second["_rc"] == 0, second.get("msg")
    assert second["changed"] is False
    assert all(u["actions"] == [] for u in second["users"])
    assert second["secrets_files"] == []
    assert writes(emulator) == []
    # One key per programmatic user, however often the module runs (amazon.aws.iam_access_key's bug).
    assert len(iam.list_access_keys(UserName="deploy-bot")["AccessKeyMetadata"]) == 1


def test_api_calls_proportional_to_declared_users(emulator, iam, tmp_path):
    for i in range(30):
        iam.create_user(UserName=f"unmanaged-{i}")
    assert run(emulator, tmp_path, USERS)["_rc"] == 0
    emulator.clear_requests()
    result = run(emulator, tmp_path, USERS, check=True)
    assert result["changed"] is False
    actions = [r["action"] for r in emulator.requests() if r["service"] == "iam"]
    # One account-wide read, then GetLoginProfile + ListAccessKeys per declared user; nothing per undeclared user.
    assert actions.count("GetAccountAuthorizationDetails") == 1
    assert actions.count("GetLoginProfile") == len(USERS)
    assert actions.count("ListAccessKeys") == len(USERS)
    assert len(actions) == 1 + 2 * len(USERS)
    assert len(result["undeclared_users"]) == 30


def test_secrets_files_are_private_and_secrets_never_in_output(emulator, iam, tmp_path):
    result = run(emulator, tmp_path, USERS, diff=True)
    assert result["_rc"] == 0, result.get("msg")
    files = result["secrets_files"]
    account_dir = tmp_path / "credentials" / ACCOUNT
    assert sorted(os.path.basename(f) for f in files if f.endswith(".password.json")) == [
        "alice.password.json",
        "carol.password.json",
    ]
    assert stat.S_IMODE(account_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "credentials").stat().st_mode) == 0o700
    output = result["_stdout"] + result["_stderr"]
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        secret = data.get("password") or data.get("secret_access_key")
        assert secret and len(secret) >= 20
        assert secret not in output
    keys = {json.loads(Path(p).read_text(encoding="utf-8")).get("access_key_id") for p in files} - {None}
    live = {
        k["AccessKeyId"] for u in ("deploy-bot", "carol") for k in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]
    }
    assert keys == live


def test_check_mode_makes_no_write_and_predicts(emulator, iam, tmp_path):
    result = run(emulator, tmp_path, USERS, check=True, diff=True)
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is True
    assert writes(emulator) == []
    assert iam.list_users()["Users"] == []
    assert not (tmp_path / "credentials").exists()
    assert result["secrets_files"] == []
    by_name = {u["user_name"]: u for u in result["users"]}
    assert by_name["deploy-bot"]["actions"] == ["create_user", "create_access_key"]
    assert result["diff"]["before"]["alice"] is None
    assert result["diff"]["after"]["alice"]["groups"] == ["Cloudadmin"]
    assert result["diff"]["after"]["alice"]["console_access"] is True


def test_check_mode_accepts_a_group_an_earlier_task_would_create(emulator, tmp_path):
    users = [{"name": "dave", "groups": ["Auditors"]}]
    predicted = run(emulator, tmp_path, users, check=True, pending_groups=["Auditors"])
    assert predicted["_rc"] == 0, predicted.get("msg")
    assert predicted["users"][0]["actions"] == ["create_user", "add_to_group:Auditors"]
    # Applying, the group must exist by now: a clear error, before any write.
    emulator.clear_requests()
    applied = run(emulator, tmp_path, users, pending_groups=["Auditors"])
    assert applied["_rc"] != 0
    assert "Auditors" in applied["msg"] and "do not exist" in applied["msg"]
    assert emulator.requests(writes_only=True) == []


def test_missing_group_fails_before_any_write(emulator, iam, tmp_path):
    result = run(emulator, tmp_path, [{"name": "erin", "groups": ["Cloudadmin", "NoSuchGroup"]}])
    assert result["_rc"] != 0
    assert "NoSuchGroup" in result["msg"]
    assert writes(emulator) == []


def test_tags_added_changed_and_removed_only_with_purge(emulator, iam, tmp_path):
    iam.create_user(UserName="frank", Tags=[{"Key": "team", "Value": "old"}, {"Key": "legacy", "Value": "x"}])
    result = run(emulator, tmp_path, [{"name": "frank", "tags": {"team": "new", "env": "prod"}}], diff=True)
    assert result["changed"] is True
    assert tags_of(iam, "frank") == {"team": "new", "env": "prod", "legacy": "x"}
    assert result["diff"]["before"]["frank"]["tags"] == {"legacy": "x", "team": "old"}

    again = run(emulator, tmp_path, [{"name": "frank", "tags": {"team": "new", "env": "prod"}}])
    assert again["changed"] is False

    purged = run(emulator, tmp_path, [{"name": "frank", "tags": {"team": "new"}, "purge_tags": True}])
    assert purged["changed"] is True
    assert purged["users"][0]["actions"] == ["untag_user:env,legacy"]
    assert tags_of(iam, "frank") == {"team": "new"}


def test_groups_added_and_removed_only_with_purge(emulator, iam, tmp_path):
    iam.create_group(GroupName="Old")
    iam.create_user(UserName="gina")
    iam.add_user_to_group(UserName="gina", GroupName="Old")
    kept = run(emulator, tmp_path, [{"name": "gina", "groups": ["Cloudadmin"]}])
    assert groups_of(iam, "gina") == ["Cloudadmin", "Old"]
    assert any("undeclared groups" in line for line in kept["users"][0]["reported"])
    purged = run(emulator, tmp_path, [{"name": "gina", "groups": ["Cloudadmin"], "purge_groups": True}])
    assert purged["users"][0]["actions"] == ["remove_from_group:Old"]
    assert groups_of(iam, "gina") == ["Cloudadmin"]


def test_undeclared_users_and_access_reported_not_deleted(emulator, iam, tmp_path):
    iam.create_user(UserName="legacy")
    iam.create_user(UserName="hank")
    iam.create_login_profile(UserName="hank", Password="Xy9!abcdefgh", PasswordResetRequired=False)
    iam.create_access_key(UserName="hank")
    emulator.clear_requests()
    result = run(emulator, tmp_path, [{"name": "hank"}])
    assert result["_rc"] == 0, result.get("msg")
    assert result["changed"] is False
    assert result["undeclared_users"] == ["legacy"]
    assert result["deleted_users"] == []
    reported = " ".join(result["users"][0]["reported"])
    assert "console access that is not declared" in reported and "access key(s)" in reported
    assert writes(emulator) == []
    iam.get_user(UserName="legacy")
    iam.get_login_profile(UserName="hank")


def test_explicit_purges_remove_access_and_users(emulator, iam, tmp_path):
    iam.create_user(UserName="legacy")
    iam.add_user_to_group(UserName="legacy", GroupName="Cloudadmin")
    iam.create_access_key(UserName="legacy")
    iam.create_login_profile(UserName="legacy", Password="Xy9!abcdefgh")
    iam.put_user_policy(
        UserName="legacy",
        PolicyName="inline",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
        ),
    )
    iam.create_user(UserName="ivan")
    iam.create_login_profile(UserName="ivan", Password="Xy9!abcdefgh")
    iam.create_access_key(UserName="ivan")
    options = {"purge_users": True, "purge_console_access": True, "purge_access_keys": True}

    emulator.clear_requests()
    predicted = run(emulator, tmp_path, [{"name": "ivan"}], check=True, **options)
    assert predicted["changed"] is True and predicted["deleted_users"] == ["legacy"]
    assert writes(emulator) == []

    result = run(emulator, tmp_path, [{"name": "ivan"}], **options)
    assert result["_rc"] == 0, result.get("msg")
    assert result["deleted_users"] == ["legacy"]
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["ivan"]
    assert iam.list_access_keys(UserName="ivan")["AccessKeyMetadata"] == []
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="ivan")


def test_password_follows_the_account_policy(emulator, iam, tmp_path):
    iam.update_account_password_policy(
        MinimumPasswordLength=128,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
    )
    result = run(emulator, tmp_path, [{"name": "judy", "console_access": True}])
    assert result["_rc"] == 0, result.get("msg")
    (path,) = result["secrets_files"]
    password = json.loads(Path(path).read_text(encoding="utf-8"))["password"]
    assert len(password) == 128


def test_existing_password_file_is_never_overwritten(emulator, iam, tmp_path):
    target = tmp_path / "credentials" / ACCOUNT
    target.mkdir(parents=True, mode=0o700)
    (tmp_path / "credentials").chmod(0o700)
    (target / "kate.password.json").write_text("{}")
    iam.create_user(UserName="someone")  # so the account id is known without STS
    emulator.clear_requests()
    result = run(emulator, tmp_path, [{"name": "kate", "console_access": True}])
    assert result["_rc"] != 0
    assert "never overwritten" in result["msg"]
    assert writes(emulator) == []
    assert (target / "kate.password.json").read_text() == "{}"


def test_shared_credentials_dir_is_refused(emulator, iam, tmp_path):
    shared = tmp_path / "credentials"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    result = run(emulator, tmp_path, [{"name": "leo", "programmatic_access": True}])
    assert result["_rc"] != 0
    assert "accessible to other users" in result["msg"]
    assert writes(emulator) == []


@pytest.mark.parametrize(
    ("users", "fragment"),
    [
        ([{"name": "bad name"}], "users[0] (bad name).name must be"),
        ([{"name": "a"}, {"name": "A"}], "duplicates users[0]"),
        ([{"name": "a", "path": "nopath"}], ".path must be"),
        ([{"name": "a", "tags": {"aws:x": "y"}}], "reserved prefix"),
        ([{"name": "a", "tags": {f"k{i}": "v" for i in range(51)}}], "at most 50"),
        ([{"name": "a", "tags": {"k": "v" * 257}}], "at most 256"),
        ([{"name": "a", "groups": ["x y"]}], "not a valid IAM group name"),
    ],
)
def test_bad_input_fails_before_any_request(emulator, tmp_path, users, fragment):
    emulator.clear_requests()
    result = run(emulator, tmp_path, users)
    assert result["_rc"] != 0
    assert fragment in result["msg"]
    assert emulator.requests() == []
