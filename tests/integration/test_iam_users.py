"""accountguard.aws.iam_users against the local AWS emulator.

Ground truth is what the emulator holds afterwards (read with boto3), and check mode is proved by the
request log, never by what the module says about itself.
"""

from __future__ import annotations

import json
import stat
import sys
from datetime import UTC, datetime

import pytest
import yaml
from helpers.ansible_run import run_module, run_playbook

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


def run_verbose(emulator, tmp_path, users):
    """Apply with -vvv and the default callback: the output a person would paste into a ticket."""
    play = [
        {
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [{"name": "users", MODULE: {"users": users, "credentials_dir": str(tmp_path / "credentials")}}],
        }
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
    return run_playbook(playbook, env=emulator.env() | LOCAL_PYTHON, args=["-vvv"], json_output=False)


def test_create_from_scratch_secrets_then_idempotent(emulator, iam, tmp_path):
    iam.update_account_password_policy(
        MinimumPasswordLength=128,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
    )
    for i in range(30):
        iam.create_user(UserName=f"unmanaged-{i}")

    first = run_verbose(emulator, tmp_path, USERS)
    assert first.rc == 0, first.stdout[-3000:]

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

    # Secrets: one 0600 file per secret in 0700 directories, and nowhere in the -vvv output.
    credentials = tmp_path / "credentials"
    account_dir = credentials / ACCOUNT
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o700
    assert stat.S_IMODE(account_dir.stat().st_mode) == 0o700
    files = sorted(account_dir.iterdir())
    assert [f.name for f in files if f.name.endswith(".password.json")] == [
        "alice.password.json",
        "carol.password.json",
    ]
    output = first.stdout + first.stderr
    key_ids = set()
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        data = json.loads(path.read_text(encoding="utf-8"))
        secret = data.get("password") or data.get("secret_access_key")
        assert secret and len(secret) >= 20
        assert secret not in output
        assert str(path) in output  # the operator is told where to look
        if "password" in data:
            assert len(data["password"]) == 128  # the account policy's minimum, not the generator's default
        else:
            key_ids.add(data["access_key_id"])
    live = {
        k["AccessKeyId"] for u in ("deploy-bot", "carol") for k in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]
    }
    assert key_ids == live

    emulator.clear_requests()
    second = run(emulator, tmp_path, USERS)
    assert second["_rc"] == 0, second.get("msg")
    assert second["changed"] is False
    assert all(u["actions"] == [] for u in second["users"])
    assert second["secrets_files"] == []
    assert writes(emulator) == []
    assert len(second["undeclared_users"]) == 30
    # One key per programmatic user, however often the module runs (amazon.aws.iam_access_key's bug).
    assert len(iam.list_access_keys(UserName="deploy-bot")["AccessKeyMetadata"]) == 1
    # One account-wide read, then GetLoginProfile + ListAccessKeys per declared user; nothing per undeclared user.
    actions = [r["action"] for r in emulator.requests() if r["service"] == "iam"]
    assert actions.count("GetAccountAuthorizationDetails") == 1
    assert actions.count("GetLoginProfile") == len(USERS)
    assert actions.count("ListAccessKeys") == len(USERS)
    assert len(actions) == 1 + 2 * len(USERS)


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
    assert by_name["alice"]["actions"] == ["create_user", "add_to_group:Cloudadmin", "create_login_profile"]
    assert by_name["alice"]["created"] is True and by_name["alice"]["arn"] is None
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


def test_tags_and_groups_changed_and_removed_only_with_purge(emulator, iam, tmp_path):
    iam.create_group(GroupName="Old")
    iam.create_user(UserName="frank", Tags=[{"Key": "team", "Value": "old"}, {"Key": "legacy", "Value": "x"}])
    iam.add_user_to_group(UserName="frank", GroupName="Old")
    # Declared as Frank: IAM names ignore case, so this is the existing user frank, not a new one.
    declared = {"name": "Frank", "tags": {"team": "new", "env": "prod"}, "groups": ["cloudadmin"]}

    result = run(emulator, tmp_path, [declared], diff=True)
    assert result["changed"] is True
    assert result["users"][0]["actions"] == ["tag_user:env,team", "add_to_group:Cloudadmin"]
    assert result["users"][0]["user_name"] == "frank" and result["undeclared_users"] == []
    assert tags_of(iam, "frank") == {"team": "new", "env": "prod", "legacy": "x"}
    assert groups_of(iam, "frank") == ["Cloudadmin", "Old"]
    assert any("undeclared groups" in line for line in result["users"][0]["reported"])
    assert result["diff"]["before"]["frank"]["tags"] == {"legacy": "x", "team": "old"}
    assert result["diff"]["after"]["frank"]["groups"] == ["Cloudadmin", "Old"]

    emulator.clear_requests()
    again = run(emulator, tmp_path, [declared])
    assert again["changed"] is False
    assert writes(emulator) == []

    purged = run(emulator, tmp_path, [{**declared, "tags": {"team": "new"}, "purge_tags": True, "purge_groups": True}])
    assert purged["changed"] is True
    assert purged["users"][0]["actions"] == ["untag_user:env,legacy", "remove_from_group:Old"]
    assert tags_of(iam, "frank") == {"team": "new"}
    assert groups_of(iam, "frank") == ["Cloudadmin"]


def test_undeclared_reported_and_removed_only_with_explicit_purges(emulator, iam, tmp_path):
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

    # Without purge options undeclared users and access are reported, never deleted.
    emulator.clear_requests()
    reported = run(emulator, tmp_path, [{"name": "ivan"}])
    assert reported["_rc"] == 0, reported.get("msg")
    assert reported["changed"] is False
    assert reported["undeclared_users"] == ["legacy"]
    assert reported["deleted_users"] == []
    lines = " ".join(reported["users"][0]["reported"])
    assert "console access that is not declared" in lines and "access key(s)" in lines
    assert writes(emulator) == []
    iam.get_user(UserName="legacy")
    iam.get_login_profile(UserName="ivan")

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


def test_password_file_of_a_run_killed_before_create_login_profile_is_used(emulator, iam, tmp_path):
    # What a run leaves when it dies between writing the password file and CreateLoginProfile.
    target = tmp_path / "credentials" / ACCOUNT
    target.mkdir(parents=True, mode=0o700)
    (tmp_path / "credentials").chmod(0o700)
    password = "Initial-Passw0rd-never-handed-out!"
    saved = target / "kate.password.json"
    saved.write_text(json.dumps({"user_name": "kate", "password": password}), encoding="utf-8")
    (target / "kate.login-profile-pending.json").write_text("{}", encoding="utf-8")
    iam.create_user(UserName="kate")
    before = (saved.read_bytes(), saved.stat().st_ino)
    emulator.clear_requests()

    check = run(emulator, tmp_path, [{"name": "kate", "console_access": True}], check=True)
    assert check["_rc"] == 0, check.get("msg")
    assert check["users"][0]["actions"] == ["create_login_profile"]
    assert writes(emulator) == []

    result = run(emulator, tmp_path, [{"name": "kate", "console_access": True}])
    assert result["_rc"] == 0, result.get("msg")
    assert iam.get_login_profile(UserName="kate")["LoginProfile"]["PasswordResetRequired"] is True
    assert [w["action"] for w in writes(emulator)] == ["CreateLoginProfile"]
    assert (saved.read_bytes(), saved.stat().st_ino) == before, "the operator's copy is kept as it is"
    assert result["secrets_files"] == [str(saved)]
    assert password not in result["_stdout"] + result["_stderr"]
    assert sorted(p.name for p in target.iterdir()) == ["kate.password.json"]


def test_shared_credentials_dir_is_refused(emulator, iam, tmp_path):
    shared = tmp_path / "credentials"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    # Under check mode too: a run that could not store its secrets is shown before anyone applies it.
    result = run(emulator, tmp_path, [{"name": "leo", "programmatic_access": True}], check=True)
    assert result["_rc"] != 0
    assert "accessible to other users" in result["msg"]
    assert writes(emulator) == []


BAD_INPUT = [
    ({"users": [{"name": "bad name"}]}, "users[0] (bad name).name must be"),
    ({"users": [{"name": "a", "path": "nopath", "tags": {"aws:x": "y"}}, {"name": "A"}]}, "duplicates users[0]"),
    ({"users": [], "purge_users": True}, "would delete every IAM user"),
    ({"users": [{"name": "a"}], "max_concurrency": 0}, "max_concurrency must be between 1 and 32"),
]


def test_bad_input_fails_before_any_request(emulator, tmp_path):
    # One playbook, one task per case (ignore_errors so every case runs): one ansible start instead of four.
    tasks = [{"name": f"case {i}", MODULE: case[0], "ignore_errors": True} for i, case in enumerate(BAD_INPUT)]
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]
    playbook = tmp_path / "bad.yml"
    playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
    emulator.clear_requests()
    results = run_playbook(playbook, env=emulator.env() | LOCAL_PYTHON).task_results()
    assert len(results) == len(BAD_INPUT)
    for result, (_args, fragment) in zip(results, BAD_INPUT, strict=True):
        assert result.get("failed") is True, result
        assert fragment in result["msg"]
    assert emulator.requests() == []


def test_throttling_is_retried_and_still_one_key(emulator, iam, tmp_path):
    # A third of IAM calls throttled: jittered backoff must converge, and a retried run must not mint a second key.
    emulator.set_faults(rate=0.3, kinds=["throttling"], seed=7)
    result = run(emulator, tmp_path, USERS)
    emulator.set_faults(rate=0)
    assert result["_rc"] == 0, result.get("msg")
    assert any(r.get("fault") for r in emulator.requests()), "the fault injection did not trigger"
    assert groups_of(iam, "alice") == ["Cloudadmin"]
    for user in ("deploy-bot", "carol"):
        assert len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]) == 1
    assert len(result["secrets_files"]) == 4


def test_validate_only_refuses_before_anything_is_written(emulator, iam, tmp_path):
    creds = str(tmp_path / "credentials")
    ok_users = [{"name": "mia", "groups": ["Cloudadmin", "Auditors"], "console_access": True}]
    cases = [
        ({"users": ok_users, "pending_groups": ["Auditors"]}, None),
        ({"users": [{"name": "mia", "groups": ["Nope"]}]}, "Nope do not exist"),
        ({"users": [{"name": "bad name"}]}, ".name must be"),
    ]
    tasks = [
        {"name": f"case {i}", MODULE: {**args, "validate_only": True, "credentials_dir": creds}, "ignore_errors": True}
        for i, (args, _fragment) in enumerate(cases)
    ]
    playbook = tmp_path / "validate.yml"
    playbook.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]),
        encoding="utf-8",
    )
    results = run_playbook(playbook, env=emulator.env() | LOCAL_PYTHON).task_results()
    assert results[0].get("failed") is not True, results[0]
    assert results[0]["validated"] is True and results[0]["changed"] is False
    for result, (_args, fragment) in zip(results[1:], cases[1:], strict=True):
        assert result.get("failed") is True and fragment in result["msg"]
    # One ListGroups per case that declares groups; no user read, no write, no secrets directory yet.
    assert [r["action"] for r in emulator.requests()] == ["ListGroups", "ListGroups"]
    assert iam.list_users()["Users"] == []
    assert not (tmp_path / "credentials").exists()


def interrupted_key(iam, credentials, user, saved=False):
    """The traces of a run killed after CreateAccessKey: its pending marker, the key, and (if saved) its file."""
    directory = credentials / ACCOUNT
    directory.mkdir(parents=True, exist_ok=True)
    credentials.chmod(0o700)
    directory.chmod(0o700)
    marker = {"account_id": ACCOUNT, "user_name": user, "started": datetime.now(UTC).isoformat()}
    (directory / f"{user}.access-key-pending.json").write_text(json.dumps(marker), encoding="utf-8")
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    if saved:
        (directory / f"{user}.{key_id}.json").write_text(json.dumps({"access_key_id": key_id}), encoding="utf-8")
    return key_id


def test_lost_access_key_reported_and_replaced_only_when_asked(emulator, iam, tmp_path):
    users = [{"name": name, "programmatic_access": True} for name in ("deploy-bot", "carol", "dave")]
    for user in users:
        iam.create_user(UserName=user["name"])
    credentials = tmp_path / "credentials"
    lost = interrupted_key(iam, credentials, "deploy-bot")
    # Killed after the secret was saved, before the marker was removed: nothing is lost.
    interrupted_key(iam, credentials, "carol", saved=True)
    # Used since: someone holds its secret, so it is never replaced.
    used = interrupted_key(iam, credentials, "dave")
    emulator.backdate_access_key(ACCOUNT, "dave", used, last_used_days_ago=0, last_used_service="s3")

    def markers():
        return sorted(p.name for p in (credentials / ACCOUNT).glob("*.access-key-pending.json"))

    emulator.clear_requests()

    for check in (True, False):
        result = run(emulator, tmp_path, users, check=check)
        assert result["_rc"] == 0, result.get("msg")
        assert writes(emulator) == []
        assert [(k["user_name"], k["access_key_id"], k["replaced"]) for k in result["lost_access_keys"]] == [
            ("deploy-bot", lost, False),
            ("dave", used, False),
        ]
        assert [(f["id"], f["status"], f["resource"].rsplit("/", 1)[-1]) for f in result["findings"]] == [
            ("iam_users", "fail", "deploy-bot"),
            ("iam_users", "fail", "dave"),
        ]
        assert any(lost in w and "never saved" in w for w in result.get("warnings", [])), result.get("warnings")
        assert any("never saved" in line for line in result["users"][0]["reported"])
    # The apply kept the key (nothing is deleted unless asked) and the markers that still have something to say.
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="deploy-bot")["AccessKeyMetadata"]] == [lost]
    assert markers() == ["dave.access-key-pending.json", "deploy-bot.access-key-pending.json"]

    replace = run(emulator, tmp_path, users, check=True, replace_lost_access_keys=True)
    assert writes(emulator) == []
    assert replace["_rc"] == 0, replace.get("msg")
    assert [k["replaced"] for k in replace["lost_access_keys"]] == [True, False]
    assert replace["users"][0]["actions"] == [f"delete_lost_access_key:{lost}", "create_access_key"]
    assert len(replace["findings"]) == 1, "the used key is still a finding"

    replace = run(emulator, tmp_path, users, replace_lost_access_keys=True)
    assert replace["_rc"] == 0, replace.get("msg")
    keys = iam.list_access_keys(UserName="deploy-bot")["AccessKeyMetadata"]
    assert [k["Status"] for k in keys] == ["Active"] and keys[0]["AccessKeyId"] != lost
    saved = json.loads((credentials / ACCOUNT / f"deploy-bot.{keys[0]['AccessKeyId']}.json").read_text("utf-8"))
    assert saved["secret_access_key"] not in replace["_stdout"] + replace["_stderr"]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="dave")["AccessKeyMetadata"]] == [used]
    assert len(iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]) == 1
    assert markers() == ["dave.access-key-pending.json"]
    assert [f["resource"].rsplit("/", 1)[-1] for f in replace["findings"]] == ["dave"]


def self_signed_certificate() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legacy")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now.replace(year=now.year + 1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


SSH_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDM0u1oNVpVZqyP2tfDpjcWDXy1jPJgk7H8ndTzJxu1lW0bIiYZeCIUzCRLRGzUXjJV2w"
    "9hO8Vl3tN5y2vXH0h8ybd4sGWh6Xy7vR9rBqHfXc8MU1lQnoNMSk1v1O4s4zk3x9OqqJf1kzJFe9cMcRBV1YwG2iiuQq3W9vbm0mUq"
    "sJ3B5o6a8hX7wVhlIS9C9M2o6cH3N1J2bQe7m6vN0c5y9Hj0bXr1zN3p8bG1+Q8lq5WnXl3TnWJv0P9Kp6N8dZ6cW3YvU0yHk4Jm2"
    "C6b7G8lPqFhRZ2m9uE0h5n1fD3Kq1j4oX8v2sYtLrZ9wQe7aB1c legacy@example"
)


def legacy_user_with_everything(emulator, iam) -> None:
    """An undeclared user holding every kind of thing DeleteUser refuses to delete a user with."""
    emulator.create_users(ACCOUNT, [{"name": "legacy", "console": True, "mfa": "virtual", "access_keys": [{}, {}]}])
    iam.add_user_to_group(UserName="legacy", GroupName="Cloudadmin")
    iam.upload_ssh_public_key(UserName="legacy", SSHPublicKeyBody=SSH_KEY)
    iam.upload_signing_certificate(UserName="legacy", CertificateBody=self_signed_certificate())
    iam.put_user_policy(
        UserName="legacy",
        PolicyName="inline",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
        ),
    )
    iam.attach_user_policy(UserName="legacy", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    # Arranged as intended: each of these would make DeleteUser answer DeleteConflict.
    assert iam.list_mfa_devices(UserName="legacy")["MFADevices"]
    assert iam.list_ssh_public_keys(UserName="legacy")["SSHPublicKeys"]
    assert iam.list_signing_certificates(UserName="legacy")["Certificates"]


def test_purge_removes_everything_of_a_user_and_getuser_confirms_it(emulator, iam, tmp_path):
    legacy_user_with_everything(emulator, iam)
    serial = iam.list_mfa_devices(UserName="legacy")["MFADevices"][0]["SerialNumber"]
    result = run(emulator, tmp_path, [{"name": "ivan"}], purge_users=True)
    assert result["_rc"] == 0, result.get("msg")
    assert result["deleted_users"] == ["legacy"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="legacy")
    # The virtual MFA device went with its user, not left behind unassigned.
    assert serial not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert iam.get_group(GroupName="Cloudadmin")["Users"] == []


def test_purge_that_fails_inside_keeps_the_user_out_of_deleted_users(emulator, iam, tmp_path):
    legacy_user_with_everything(emulator, iam)
    # The module runs as an IAM user allowed everything but deleting SSH keys.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:DeleteSSHPublicKey", "Resource": "*"},
        ],
    }
    iam.create_user(UserName="runner")
    iam.put_user_policy(UserName="runner", PolicyName="all-but", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="runner")["AccessKey"]
    env = emulator.env() | LOCAL_PYTHON
    env.pop("AWS_SESSION_TOKEN", None)
    env |= {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    args = {"users": [{"name": "runner"}], "credentials_dir": str(tmp_path / "credentials"), "purge_users": True}
    emulator.enforce_iam_authorization()
    try:
        result = run_module(MODULE, args, env=env)
    finally:
        emulator.enforce_iam_authorization(False)
    assert result["_rc"] != 0
    assert result.get("failed") is True
    assert "delete an SSH public key" in result["msg"] and "AccessDenied" in result["msg"], result["msg"]
    assert result["deleted_users"] == []
    assert iam.get_user(UserName="legacy")["User"]["UserName"] == "legacy"
    assert iam.list_ssh_public_keys(UserName="legacy")["SSHPublicKeys"]


def test_check_mode_reports_a_leftover_password_file_instead_of_failing(emulator, iam, tmp_path):
    # A password file an earlier run today handed out, and no login profile: apply refuses, check reports.
    target = tmp_path / "credentials" / ACCOUNT
    target.mkdir(parents=True, mode=0o700)
    (tmp_path / "credentials").chmod(0o700)
    leftover = target / "kate.password.json"
    leftover.write_text("{}")
    iam.create_user(UserName="kate")
    emulator.clear_requests()
    check = run(emulator, tmp_path, [{"name": "kate", "console_access": True}], check=True)
    assert check["_rc"] == 0, check.get("msg")
    assert check["changed"] is True
    assert check["users"][0]["actions"] == ["create_login_profile"]
    note = " ".join(check["users"][0]["reported"])
    assert str(leftover) in note and "an apply would fail" in note
    assert any(str(leftover) in w for w in check.get("warnings", [])), check.get("warnings")
    assert writes(emulator) == []
    assert leftover.read_text() == "{}"

    applied = run(emulator, tmp_path, [{"name": "kate", "console_access": True}])
    assert applied["_rc"] != 0 and "never overwritten" in applied["msg"]
    assert writes(emulator) == []
