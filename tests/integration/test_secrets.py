"""No secret in anything a run leaves behind; secrets files are private and never overwritten (issue 7).

One apply at -vvvv with the default (human) output, the Ansible log file, the compliance reports and a
retry file (one account refuses the role, so its host fails). The secrets are the real ones: the initial
passwords and secret access keys read from the credentials files the run wrote, the session credentials the
emulator handed out to the run, and the seed of a virtual MFA device in the account (which IAM list calls
could carry). A second run, after console access was removed behind the tool's back, must refuse to
overwrite the password file rather than mint a new password.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from helpers.ansible_run import ROOT, run_playbook
from helpers.ansible_run import write_inventory as write_inventory_file

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
PROD, DENIED = "111111111111", "222222222222"
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
USERS = [
    {"name": "alice", "console_access": True, "groups": ["Cloudadmin"], "tags": {"team": "platform"}},
    {"name": "bob", "console_access": True, "programmatic_access": True},
    {"name": "ci-deploy", "path": "/automation/", "programmatic_access": True},
]
# Shorter strings (account ids, "testing") are not secrets and would match by accident.
MIN_SECRET_LENGTH = 16


def write_inventory(tmp_path: Path) -> Path:
    hosts = {
        name: {"aws_account_id": acct, "baseline_role_arn": ROLE.format(acct)}
        for name, acct in {"prod": PROD, "denied": DENIED}.items()
    }
    return write_inventory_file(
        tmp_path / "inventory.yml", hosts, baseline_credentials_dir=str(tmp_path / "credentials"), baseline_users=USERS
    )


def run_verbose(emulator, tmp_path: Path, name: str, args=()):
    """An apply as a person runs it: default output at -vvvv, a log file, reports, retry files."""
    out = tmp_path / name
    out.mkdir()
    env = {
        **emulator.env(),
        "ANSIBLE_LOG_PATH": str(out / "ansible.log"),
        "ACCOUNTGUARD_REPORT_DIR": str(out / "reports"),
        "ANSIBLE_RETRY_FILES_ENABLED": "1",
        "ANSIBLE_RETRY_FILES_SAVE_PATH": str(out / "retry"),
    }
    result = run_playbook(
        PLAYBOOK, inventory=write_inventory(tmp_path), env=env, args=["-vvvv", *args], json_output=False
    )
    (out / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    (out / "stderr.txt").write_text(result.stderr, encoding="utf-8")
    return result, out


def left_behind(out: Path) -> dict[str, str]:
    """path -> text of every file the run left in its output directory."""
    files = {str(p): p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file()}
    for kind in ("ansible.log", "stdout.txt", "stderr.txt"):
        assert any(path.endswith(kind) for path in files), f"no {kind}"
    assert any("/reports/" in path for path in files), "no report"
    assert any("/retry/" in path for path in files), "no retry file"
    return files


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP of the default output: host -> {ok, changed, failed, ...}."""
    hosts = {}
    for line in stdout.split("PLAY RECAP", 1)[-1].splitlines()[1:]:
        host, _sep, counters = line.partition(" : ")
        if counters:
            hosts[host.strip()] = {k: int(v) for k, v in (c.split("=") for c in counters.split())}
    return hosts


def secrets_files(credentials: Path) -> dict[Path, dict]:
    return {path: json.loads(path.read_text(encoding="utf-8")) for path in credentials.rglob("*.json")}


def file_secrets(files: dict[Path, dict]) -> dict[str, str]:
    found = {}
    for path, data in files.items():
        for key in ("password", "secret_access_key"):
            if key in data:
                found[f"{key} in {path.name}"] = data[key]
    return found


def leaks(texts: dict[str, str], secrets: dict[str, str]) -> list[str]:
    assert all(len(value) >= MIN_SECRET_LENGTH for value in secrets.values()), "not a real secret"
    return [f"{what} in {path}" for what, value in secrets.items() for path, text in texts.items() if value in text]


def session_secrets(emulator) -> dict[str, str]:
    """The secret halves of the credentials the runs' AssumeRole calls received."""
    sessions = [s for s in emulator.issued_sessions() if s["session_name"] == "accountguard"]
    assert sessions, "the run assumed its role"
    secrets = {}
    for number, session in enumerate(sessions):
        secrets[f"session {number} secret key ({session['role_arn']})"] = session["secret_access_key"]
        secrets[f"session {number} token ({session['role_arn']})"] = session["session_token"]
    return secrets


def file_identities(credentials: Path) -> dict:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in credentials.rglob("*.json")}


def test_no_secret_left_behind_and_secrets_files_are_private_and_kept(emulator, tmp_path):
    iam = emulator.client("iam", account_id=PROD)
    emulator.create_users(PROD, [{"name": "mallory", "console": True}])
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="mallory")["VirtualMFADevice"]
    iam.enable_mfa_device(
        UserName="mallory",
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    emulator.deny_assume_role(DENIED)

    result, out = run_verbose(emulator, tmp_path, "first")

    assert result.rc != 0, "the denied account fails its host"
    assert recap(result.stdout)["prod"]["failed"] == 0, result.stdout[-3000:]
    assert recap(result.stdout)["denied"]["failed"] == 1
    credentials = tmp_path / "credentials"
    files = secrets_files(credentials)
    secrets = file_secrets(files)
    # Two initial passwords (alice, bob) and two secret access keys (bob, ci-deploy): the run made them.
    assert sorted(name.split(" in ")[0] for name in secrets) == ["password"] * 2 + ["secret_access_key"] * 2
    secrets |= session_secrets(emulator)
    secrets["MFA seed of mallory"] = device["Base32StringSeed"].decode()

    assert leaks(left_behind(out), secrets) == []

    # The files: 0600 in a 0700 directory of the account, and they hold the keys IAM has.
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert path.parent == credentials / PROD
    assert stat.S_IMODE((credentials / PROD).stat().st_mode) == 0o700
    listed = [iam.list_access_keys(UserName=u)["AccessKeyMetadata"] for u in ("bob", "ci-deploy")]
    assert {data["access_key_id"] for data in files.values() if "access_key_id" in data} == {
        key["AccessKeyId"] for keys in listed for key in keys
    }

    # Console access removed behind the tool's back: a new login profile would need a new password, and the
    # file holding the first one must not be overwritten. The run refuses, before any write.
    first = file_identities(credentials)
    iam.delete_login_profile(UserName="bob")
    emulator.clear_requests()

    # Only what the refusal needs: the account's session and the users (the first run covered the rest).
    result, out = run_verbose(emulator, tmp_path, "second", args=["--limit", "prod", "--tags", "iam_users"])

    assert recap(result.stdout)["prod"]["failed"] == 1
    assert "bob.password.json already exists" in result.stdout
    assert "secrets files are never overwritten" in result.stdout
    assert emulator.requests(account_id=PROD, writes_only=True) == []
    assert file_identities(credentials) == first
    assert leaks(left_behind(out), secrets | session_secrets(emulator)) == []
