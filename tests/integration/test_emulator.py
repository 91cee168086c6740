"""The emulator's own behaviour, proved with plain boto3 against a running server."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from emulator import DEFAULT_ACCOUNT_ID, EmulatorError

OTHER = "111111111111"


def report_rows(iam) -> list[dict]:
    iam.generate_credential_report()
    content = iam.get_credential_report()["Content"].decode()
    return list(csv.DictReader(io.StringIO(content)))


def summary(iam) -> dict:
    return iam.get_account_summary()["SummaryMap"]


def age_days(value: str | datetime) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (datetime.now(UTC) - value).total_seconds() / 86400


# ----- root state ------------------------------------------------------------------------------------------


def test_root_defaults_to_no_keys_and_no_mfa(emulator):
    iam = emulator.client("iam")
    assert summary(iam)["AccountMFAEnabled"] == 0
    assert summary(iam)["AccountAccessKeysPresent"] == 0
    root = report_rows(iam)[0]
    assert root["user"] == "<root_account>"
    assert root["arn"] == f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["mfa_active"] == "false"
    assert root["access_key_1_active"] == root["access_key_2_active"] == "false"
    assert root["access_key_1_last_rotated"] == "N/A"
    assert root["password_last_used"] == "no_information"
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


@pytest.mark.parametrize(
    ("keys", "present"),
    [
        ([], 0),
        ([{"active": True, "age_days": 10}], 1),
        # AWS counts an inactive root key as present.
        ([{"active": False, "age_days": 10}], 1),
        ([{"active": True, "age_days": 400}, {"active": False, "age_days": 5}], 1),
    ],
)
def test_root_keys_show_in_summary_and_report(emulator, keys, present):
    emulator.set_root(DEFAULT_ACCOUNT_ID, access_keys=keys)
    iam = emulator.client("iam")
    assert summary(iam)["AccountAccessKeysPresent"] == present
    root = report_rows(iam)[0]
    for index in (1, 2):
        key = keys[index - 1] if index <= len(keys) else None
        assert root[f"access_key_{index}_active"] == ("true" if key and key["active"] else "false")
        if key:
            assert age_days(root[f"access_key_{index}_last_rotated"]) == pytest.approx(key["age_days"], abs=0.01)
            assert root[f"access_key_{index}_last_used_date"] == "N/A"
        else:
            assert root[f"access_key_{index}_last_rotated"] == "N/A"


def test_root_key_last_use_and_password_last_used(emulator):
    emulator.set_root(
        DEFAULT_ACCOUNT_ID,
        access_keys=[{"active": True, "age_days": 300, "last_used_days_ago": 3, "last_used_service": "s3"}],
        password_last_used_days_ago=12,
    )
    root = report_rows(emulator.client("iam"))[0]
    assert age_days(root["access_key_1_last_used_date"]) == pytest.approx(3, abs=0.01)
    assert root["access_key_1_last_used_service"] == "s3"
    assert root["access_key_1_last_used_region"] == "us-east-1"
    assert age_days(root["password_last_used"]) == pytest.approx(12, abs=0.01)


@pytest.mark.parametrize(
    ("mfa", "enabled", "virtual"), [("none", 0, False), ("virtual", 1, True), ("hardware", 1, False)]
)
def test_root_mfa_kinds(emulator, mfa, enabled, virtual):
    emulator.set_root(DEFAULT_ACCOUNT_ID, mfa=mfa)
    iam = emulator.client("iam")
    assert summary(iam)["AccountMFAEnabled"] == enabled
    assert report_rows(iam)[0]["mfa_active"] == ("true" if enabled else "false")
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    root_devices = [d for d in assigned if d.get("User", {}).get("Arn", "").endswith(":root")]
    assert bool(root_devices) is virtual
    if virtual:
        assert root_devices[0]["User"]["UserId"] == DEFAULT_ACCOUNT_ID
        assert root_devices[0]["SerialNumber"].startswith(f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:mfa/")
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []


def test_root_row_comes_first_and_user_rows_follow(emulator):
    iam = emulator.client("iam")
    iam.create_user(UserName="alice")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")
    serial = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:mfa/alice"
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    emulator.set_root(DEFAULT_ACCOUNT_ID, mfa="virtual")
    rows = report_rows(iam)
    assert [r["user"] for r in rows] == ["<root_account>", "alice"]
    assert rows[1]["mfa_active"] == "true"
    devices = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert sorted(d["User"]["Arn"] for d in devices) == [
        f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root",
        f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/alice",
    ]


def test_credential_report_generated_time_is_recent(emulator):
    iam = emulator.client("iam")
    iam.generate_credential_report()
    generated = iam.get_credential_report()["GeneratedTime"]
    assert age_days(generated) < 1 / 24


def test_frozen_credential_report_is_stale_until_unfrozen(emulator):
    iam = emulator.client("iam")
    emulator.set_root(DEFAULT_ACCOUNT_ID, access_keys=[{"active": True, "age_days": 100}])
    emulator.freeze_credential_report(DEFAULT_ACCOUNT_ID, hours_ago=3)
    emulator.set_root(DEFAULT_ACCOUNT_ID)
    iam.create_user(UserName="late")
    assert summary(iam)["AccountAccessKeysPresent"] == 0
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    answer = iam.get_credential_report()
    assert age_days(answer["GeneratedTime"]) * 24 == pytest.approx(3, abs=0.05)
    rows = list(csv.DictReader(io.StringIO(answer["Content"].decode())))
    assert [r["user"] for r in rows] == ["<root_account>"]
    assert rows[0]["access_key_1_active"] == "true"
    emulator.unfreeze_credential_report(DEFAULT_ACCOUNT_ID)
    rows = report_rows(iam)
    assert [r["user"] for r in rows] == ["<root_account>", "late"]
    assert rows[0]["access_key_1_active"] == "false"


@pytest.mark.parametrize(
    "bad",
    [
        {"mfa": "yubikey"},
        {"access_keys": [{"active": True}, {"active": True}, {"active": True}]},
        {"access_keys": [{"active": True, "age": 3}]},
    ],
)
def test_set_root_rejects_bad_input(emulator, bad):
    with pytest.raises(EmulatorError):
        emulator.set_root(DEFAULT_ACCOUNT_ID, **bad)


# ----- users -----------------------------------------------------------------------------------------------


def test_backdated_access_key_shows_everywhere(emulator):
    iam = emulator.client("iam")
    iam.create_user(UserName="bob")
    key_id = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    emulator.backdate_access_key(
        DEFAULT_ACCOUNT_ID, "bob", key_id, created_days_ago=200, last_used_days_ago=50, last_used_service="ec2"
    )
    meta = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"][0]
    assert age_days(meta["CreateDate"]) == pytest.approx(200, abs=0.01)
    last = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert age_days(last["LastUsedDate"]) == pytest.approx(50, abs=0.01)
    assert last["ServiceName"] == "ec2"
    row = report_rows(iam)[1]
    assert row["user"] == "bob"
    assert age_days(row["access_key_1_last_rotated"]) == pytest.approx(200, abs=0.01)
    assert age_days(row["access_key_1_last_used_date"]) == pytest.approx(50, abs=0.01)
    assert row["access_key_1_last_used_service"] == "ec2"
    assert row["access_key_2_last_used_service"] == "N/A"


def test_backdated_password_last_used(emulator):
    iam = emulator.client("iam")
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password="S3cure-Passw0rd!")
    emulator.backdate_password_last_used(DEFAULT_ACCOUNT_ID, "carol", 30)
    assert age_days(iam.get_user(UserName="carol")["User"]["PasswordLastUsed"]) == pytest.approx(30, abs=0.01)
    assert age_days(report_rows(iam)[1]["password_last_used"]) == pytest.approx(30, abs=0.01)


def test_password_last_changed_follows_the_login_profile_and_back_dates(emulator):
    """The report's password_last_changed is when the console password was set (N/A without one, as AWS), and
    a password never used is N/A, not moto's no_information; back-dating moves the report and GetLoginProfile."""
    iam = emulator.client("iam")
    iam.create_user(UserName="erin")
    iam.create_user(UserName="no-console")
    row = {r["user"]: r for r in report_rows(iam)}
    assert (row["erin"]["password_last_used"], row["erin"]["password_last_changed"]) == ("N/A", "N/A")

    iam.create_login_profile(UserName="erin", Password="S3cure-Passw0rd!")
    row = {r["user"]: r for r in report_rows(iam)}
    assert row["erin"]["password_enabled"] == "true"
    assert row["erin"]["password_last_used"] == "N/A"
    assert age_days(row["erin"]["password_last_changed"]) == pytest.approx(0, abs=0.01)
    assert row["no-console"]["password_last_changed"] == "N/A"

    emulator.backdate_password_last_changed(DEFAULT_ACCOUNT_ID, "erin", 60)
    emulator.backdate_password_last_used(DEFAULT_ACCOUNT_ID, "erin", 50)
    row = {r["user"]: r for r in report_rows(iam)}
    assert age_days(row["erin"]["password_last_changed"]) == pytest.approx(60, abs=0.01)
    assert age_days(row["erin"]["password_last_used"]) == pytest.approx(50, abs=0.01)
    assert age_days(iam.get_login_profile(UserName="erin")["LoginProfile"]["CreateDate"]) == pytest.approx(60, abs=0.01)

    # A new password (UpdateLoginProfile) is a change; the profile keeps its creation date.
    iam.update_login_profile(UserName="erin", Password="An0ther-Passw0rd!")
    row = {r["user"]: r for r in report_rows(iam)}
    assert age_days(row["erin"]["password_last_changed"]) == pytest.approx(0, abs=0.01)
    assert age_days(iam.get_login_profile(UserName="erin")["LoginProfile"]["CreateDate"]) == pytest.approx(60, abs=0.01)

    # Without a password again, both columns are N/A; GetUser keeps the last sign-in, as AWS does.
    iam.delete_login_profile(UserName="erin")
    row = {r["user"]: r for r in report_rows(iam)}
    assert (row["erin"]["password_enabled"], row["erin"]["password_last_changed"]) == ("false", "N/A")
    assert row["erin"]["password_last_used"] == "N/A"
    assert age_days(iam.get_user(UserName="erin")["User"]["PasswordLastUsed"]) == pytest.approx(50, abs=0.01)
    with pytest.raises(EmulatorError, match="no console password"):
        emulator.backdate_password_last_changed(DEFAULT_ACCOUNT_ID, "erin", 10)


def test_bulk_users_take_a_password_date(emulator):
    emulator.create_users(
        DEFAULT_ACCOUNT_ID,
        [{"name": "old", "console": True, "password_last_changed_days_ago": 80}, {"name": "new", "console": True}],
    )
    row = {r["user"]: r for r in report_rows(emulator.client("iam"))}
    assert age_days(row["old"]["password_last_changed"]) == pytest.approx(80, abs=0.01)
    assert age_days(row["new"]["password_last_changed"]) == pytest.approx(0, abs=0.01)
    assert row["old"]["password_last_used"] == row["new"]["password_last_used"] == "N/A"


def test_backdating_a_missing_key_is_an_error(emulator):
    emulator.client("iam").create_user(UserName="dave")
    with pytest.raises(EmulatorError, match="cannot be found"):
        emulator.backdate_access_key(DEFAULT_ACCOUNT_ID, "dave", "AKIANOSUCHKEY0000000", created_days_ago=3)


@pytest.mark.parametrize("reset_required", [True, False])
def test_create_login_profile_honours_password_reset_required(emulator, reset_required):
    iam = emulator.client("iam")
    iam.create_user(UserName="erin")
    created = iam.create_login_profile(
        UserName="erin", Password="S3cure-Passw0rd!", PasswordResetRequired=reset_required
    )["LoginProfile"]
    assert created["PasswordResetRequired"] is reset_required
    assert iam.get_login_profile(UserName="erin")["LoginProfile"]["PasswordResetRequired"] is reset_required


def test_aws_managed_policies_are_loaded(emulator):
    policy = emulator.client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    assert policy["PolicyName"] == "AdministratorAccess"


def test_server_certificates_carry_their_own_expiration_and_id(emulator):
    iam = emulator.client("iam")
    expired = emulator.upload_server_certificate(DEFAULT_ACCOUNT_ID, "old-site", not_after_days=-10)
    valid = emulator.upload_server_certificate(DEFAULT_ACCOUNT_ID, "new-site", not_after_days=200, path="/cloudfront/")
    assert "PRIVATE KEY" not in json.dumps([expired, valid])
    listed = {c["ServerCertificateName"]: c for c in iam.list_server_certificates()["ServerCertificateMetadataList"]}
    assert set(listed) == {"old-site", "new-site"}
    # moto answered a fixed 2012 expiration and one shared id for every certificate.
    assert age_days(listed["old-site"]["Expiration"]) == pytest.approx(10, abs=0.01)
    assert age_days(listed["new-site"]["Expiration"]) == pytest.approx(-200, abs=0.01)
    assert age_days(listed["old-site"]["UploadDate"]) == pytest.approx(0, abs=0.01)
    assert listed["old-site"]["ServerCertificateId"] != listed["new-site"]["ServerCertificateId"]
    assert listed["old-site"]["ServerCertificateId"].startswith("ASCA")
    assert listed["new-site"]["Arn"] == f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:server-certificate/cloudfront/new-site"
    assert [
        c["ServerCertificateName"]
        for c in iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    ] == ["new-site"]

    # Through the wire: the expiration comes from the uploaded body, and the same name twice is refused.
    body = iam.get_server_certificate(ServerCertificateName="old-site")["ServerCertificate"]["CertificateBody"]
    copy = iam.upload_server_certificate(ServerCertificateName="copy", CertificateBody=body, PrivateKey="unused")
    assert copy["ServerCertificateMetadata"]["Expiration"] == listed["old-site"]["Expiration"]
    with pytest.raises(ClientError) as duplicate:
        iam.upload_server_certificate(ServerCertificateName="copy", CertificateBody=body, PrivateKey="unused")
    assert duplicate.value.response["Error"]["Code"] == "EntityAlreadyExists"
    with pytest.raises(ClientError) as malformed:
        iam.upload_server_certificate(ServerCertificateName="bad", CertificateBody="not a pem", PrivateKey="unused")
    assert malformed.value.response["Error"]["Code"] == "MalformedCertificate"


def test_support_access_policy_lists_the_roles_it_is_attached_to(emulator):
    iam = emulator.client("iam")
    arn = "arn:aws:iam::aws:policy/AWSSupportAccess"
    assert iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")["PolicyRoles"] == []
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="support", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="support", PolicyArn=arn)
    assert [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")["PolicyRoles"]] == [
        "support"
    ]


# ----- request log -----------------------------------------------------------------------------------------


def test_request_log_counts_calls_and_splits_reads_from_writes(emulator):
    iam = emulator.client("iam", logged=True)
    iam.create_user(UserName="frank")
    iam.get_user(UserName="frank")
    iam.list_users()
    iam.generate_credential_report()
    iam.get_credential_report()
    iam.tag_user(UserName="frank", Tags=[{"Key": "team", "Value": "x"}])
    emulator.client("sts", logged=True).get_caller_identity()
    log = emulator.requests()
    assert [(e["service"], e["action"], e["write"]) for e in log] == [
        ("iam", "CreateUser", True),
        ("iam", "GetUser", False),
        ("iam", "ListUsers", False),
        ("iam", "GenerateCredentialReport", False),
        ("iam", "GetCredentialReport", False),
        ("iam", "TagUser", True),
        ("sts", "GetCallerIdentity", False),
    ]
    assert {e["account_id"] for e in log} == {DEFAULT_ACCOUNT_ID}
    assert [e["action"] for e in emulator.requests(writes_only=True)] == ["CreateUser", "TagUser"]


def test_request_log_reads_json_protocol_actions(emulator):
    org = emulator.client("organizations", logged=True)
    org.create_organization(FeatureSet="ALL")
    org.list_accounts()
    assert [(e["service"], e["action"], e["write"]) for e in emulator.requests()] == [
        ("organizations", "CreateOrganization", True),
        ("organizations", "ListAccounts", False),
    ]


def test_request_log_leaves_out_the_emulators_own_calls_and_clears(emulator):
    emulator.client("iam").create_user(UserName="gina")
    emulator.set_root(DEFAULT_ACCOUNT_ID, mfa="virtual")
    assert emulator.requests() == []
    emulator.client("iam", logged=True).list_users()
    assert len(emulator.requests()) == 1
    emulator.clear_requests()
    assert emulator.requests() == []


def test_request_log_attributes_calls_to_the_account_the_credentials_act_in(emulator):
    emulator.client("iam", OTHER, logged=True).create_user(UserName="hank")
    emulator.client("iam", logged=True).list_users()
    assert [(e["account_id"], e["action"]) for e in emulator.requests()] == [
        (OTHER, "CreateUser"),
        (DEFAULT_ACCOUNT_ID, "ListUsers"),
    ]
    assert [e["action"] for e in emulator.requests(account_id=OTHER)] == ["CreateUser"]


def test_env_gives_a_subprocess_credentials_in_the_account(emulator):
    env = {**os.environ, **emulator.env(OTHER)}
    code = "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == OTHER
    assert emulator.requests() == [
        {"account_id": OTHER, "service": "sts", "action": "GetCallerIdentity", "write": False}
    ]


# ----- isolation and reset ---------------------------------------------------------------------------------


def test_accounts_are_isolated(emulator):
    emulator.client("iam", OTHER).create_user(UserName="ivan")
    emulator.set_root(OTHER, access_keys=[{"active": True, "age_days": 1}], mfa="hardware")
    main_iam = emulator.client("iam")
    assert [u["UserName"] for u in main_iam.list_users()["Users"]] == []
    assert summary(main_iam)["AccountAccessKeysPresent"] == 0
    assert summary(main_iam)["AccountMFAEnabled"] == 0
    other_iam = emulator.client("iam", OTHER)
    assert [u["UserName"] for u in other_iam.list_users()["Users"]] == ["ivan"]
    assert summary(other_iam)["AccountAccessKeysPresent"] == 1
    assert report_rows(other_iam)[0]["arn"] == f"arn:aws:iam::{OTHER}:root"


def test_reset_forgets_everything(emulator):
    emulator.client("iam").create_user(UserName="jane")
    emulator.set_root(DEFAULT_ACCOUNT_ID, mfa="virtual", access_keys=[{"active": True, "age_days": 1}])
    emulator.client("iam", logged=True).list_users()
    emulator.reset()
    iam = emulator.client("iam")
    assert iam.list_users()["Users"] == []
    assert summary(iam)["AccountMFAEnabled"] == 0
    assert summary(iam)["AccountAccessKeysPresent"] == 0
    assert emulator.requests() == []


# ----- command line ----------------------------------------------------------------------------------------


def test_cli_start_status_stop(tmp_path):
    state_file = tmp_path / "emulator.json"
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(__file__))}

    def cli(*args, check=True):
        cmd = [sys.executable, "-m", "emulator", *args, "--state-file", str(state_file)]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, check=check, timeout=120)

    try:
        assert "running at http://127.0.0.1:" in cli("start").stdout
        status = json.loads(cli("status").stdout)
        assert status["url"] == json.loads(state_file.read_text())["url"]
        assert "already running" in cli("start").stdout
        demo = json.loads(cli("seed", "demo").stdout)
        assert [a["id"] for a in demo["accounts"]] == ["111111111111", "222222222222", "333333333333"]
        cli("faults", "--rate", "1", "--kinds", "500")
        aws_env = {**env, "AWS_ENDPOINT_URL": status["url"], "AWS_ACCESS_KEY_ID": "testing"}
        aws_env.update(AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
        code = "import boto3; boto3.client('iam').list_users()"
        failed = subprocess.run([sys.executable, "-c", code], env=aws_env, capture_output=True, text=True, check=False)
        assert "ServiceFailure" in failed.stderr
        assert json.loads(cli("requests", "--summary").stdout) == {
            DEFAULT_ACCOUNT_ID: {"calls": 1, "writes": 0, "faults": 1}
        }
    finally:
        assert "stopped" in cli("stop").stdout
    assert not state_file.exists()
    assert cli("status", check=False).returncode == 1


def test_recent_dates_are_not_in_the_future(emulator):
    iam = emulator.client("iam")
    iam.create_user(UserName="kim")
    key_id = iam.create_access_key(UserName="kim")["AccessKey"]["AccessKeyId"]
    emulator.backdate_access_key(DEFAULT_ACCOUNT_ID, "kim", key_id, last_used_days_ago=0)
    last = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]["LastUsedDate"]
    assert last <= datetime.now(UTC) + timedelta(seconds=1)


def test_moto_errors_pass_through_the_middleware(emulator):
    with pytest.raises(ClientError) as err:
        emulator.client("iam").get_user(UserName="nobody")
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"


# ----- bulk users ------------------------------------------------------------------------------------------


def test_create_users_builds_what_the_api_would(emulator):
    specs = [
        {"name": f"user{i:04d}", "console": i % 2 == 0, "mfa": ("none", "virtual", "hardware")[i % 3]}
        for i in range(1000)
    ]
    specs[0].update(
        tags={"team": "ops"},
        groups=["Cloudadmin"],
        password_reset_required=True,
        password_last_used_days_ago=5,
        access_keys=[{"created_days_ago": 200, "last_used_days_ago": 10}, {"active": False, "created_days_ago": 3}],
    )
    created = emulator.create_users(OTHER, specs)
    assert len(created) == 1000 and len(created[0]["access_key_ids"]) == 2
    assert emulator.requests() == []
    iam = emulator.client("iam", OTHER)
    rows = {r["user"]: r for r in report_rows(iam)}
    assert len(rows) == 1001
    first = rows["user0000"]
    assert (first["password_enabled"], first["mfa_active"]) == ("true", "false")
    assert age_days(first["password_last_used"]) == pytest.approx(5, abs=0.01)
    assert age_days(first["access_key_1_last_rotated"]) == pytest.approx(200, abs=0.01)
    assert (first["access_key_1_active"], first["access_key_2_active"]) == ("true", "false")
    assert (rows["user0001"]["password_enabled"], rows["user0001"]["mfa_active"]) == ("false", "true")
    assert iam.get_login_profile(UserName="user0000")["LoginProfile"]["PasswordResetRequired"] is True
    assert iam.list_user_tags(UserName="user0000")["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert [u["UserName"] for u in iam.get_group(GroupName="Cloudadmin")["Users"]] == ["user0000"]
    virtual = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned", MaxItems=1000)["VirtualMFADevices"]
    assert len(virtual) == 333
    hardware = iam.list_mfa_devices(UserName="user0002")["MFADevices"][0]["SerialNumber"]
    assert not hardware.startswith("arn:")


@pytest.mark.parametrize(
    "bad",
    [
        [{"name": "a"}, {"name": "a"}],
        [{"nom": "a"}],
        [{"name": "a", "mfa": "sms"}],
        [{"name": "a", "access_keys": [{"age": 1}]}],
    ],
)
def test_create_users_rejects_bad_specs_before_creating_anything(emulator, bad):
    with pytest.raises(EmulatorError):
        emulator.create_users(DEFAULT_ACCOUNT_ID, bad)
    assert emulator.client("iam").list_users()["Users"] == []
