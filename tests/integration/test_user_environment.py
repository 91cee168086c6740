"""What a new user's shell does to the demo, the tests and the demo inventory.

A developer's shell holds AWS settings for real work (a profile, keys, a region). None of them may break a run
against the emulator or leak into it, and the checkout's demo inventory must never list a real Organization.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from emulator import Emulator
from emulator.environ import NO_AWS_FILES, scrubbed_environ
from helpers.ansible_run import BIN, ROOT, ansible_env

DEMO_INVENTORY = ROOT / "inventories" / "demo"
# Unrelated values a developer may well have exported: a profile that does not exist here, keys of some real
# account, another region. Had any of them reached a run, it would fail or go elsewhere.
USER_AWS = {
    "AWS_PROFILE": "accountguard-test-nonexistent",
    "AWS_DEFAULT_PROFILE": "accountguard-test-nonexistent-default",
    "AWS_ACCESS_KEY_ID": "AKIAUSERSHELLVALUE00",
    "AWS_SECRET_ACCESS_KEY": "not-a-real-secret-from-the-users-shell",
    "AWS_REGION": "ap-southeast-4",
    "AWS_DEFAULT_REGION": "sa-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws/credentials",
}


def user_shell(**extra: str) -> dict:
    """The environment of a developer's shell: the AWS settings above (with PYTHONPATH for tests/)."""
    return {**os.environ, **USER_AWS, "PYTHONPATH": str(ROOT / "tests"), **extra}


def demo(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), *args],
        cwd=ROOT,
        env=user_shell(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_demo_with_the_users_aws_settings_checks_every_seeded_account():
    proc = demo()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "demo finished: all 4 accounts checked and converged" in out
    # The three runs each recap the management account and the three seeded member accounts.
    for host in ("master", "prod", "dev", "sandbox"):
        recaps = [line for line in proc.stdout.splitlines() if line.startswith(f"{host} ") and "ok=" in line]
        assert len(recaps) == 3, (host, recaps)
        assert all("failed=0" in line and "unreachable=0" in line for line in recaps), recaps


def filtered_copy(tmp_path: Path, **options) -> Path:
    """inventories/demo with extra plugin options (its group_vars come along)."""
    copy = tmp_path / "demo-inventory"
    shutil.copytree(DEMO_INVENTORY, copy)
    config = copy / "organizations.yml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(yaml.safe_dump({**data, **options}), encoding="utf-8")
    return copy


def test_demo_fails_when_its_inventory_yields_no_hosts(tmp_path):
    proc = demo("--inventory", str(filtered_copy(tmp_path, include_account_ids=["999999999999"])))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "yields no hosts, so nothing would be checked" in proc.stderr
    assert "ansible-playbook" not in proc.stdout  # it stopped before the first run


def test_demo_fails_when_its_inventory_misses_a_seeded_account(tmp_path):
    proc = demo("--inventory", str(filtered_copy(tmp_path, include_account_ids=["111111111111"])))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (
        "does not match the seeded Organization: not in the inventory 123456789012, 222222222222, 333333333333"
    ) in proc.stderr


def inventory_list(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(DEMO_INVENTORY), "--list"],
        cwd=ROOT,
        env=ansible_env(env, json_output=False),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def hosts(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["_meta"]["hostvars"]


def test_demo_inventory_targets_nothing_without_a_loopback_endpoint(emulator):
    emulator.seed_demo()
    creds = emulator.env()
    assert sorted(hosts(inventory_list(creds))) == ["dev", "master", "prod", "sandbox"]

    emulator.clear_requests()
    # Credentials that work, and botocore would still reach the emulator through the per-service endpoint
    # variable: only the missing AWS_ENDPOINT_URL tells the inventory it is not pointed at the emulator.
    no_endpoint = {k: v for k, v in creds.items() if k != "AWS_ENDPOINT_URL"}
    no_endpoint["AWS_ENDPOINT_URL_ORGANIZATIONS"] = creds["AWS_ENDPOINT_URL"]
    refused = inventory_list(no_endpoint)
    assert hosts(refused) == {}
    assert "targets nothing unless AWS_ENDPOINT_URL is a loopback URL" in refused.stderr

    # A non-loopback endpoint is refused the same way, and strict parsing makes it an error.
    # (a reserved .invalid name: were the refusal ever missing, the request could reach no real AWS endpoint)
    remote = inventory_list({**creds, "AWS_ENDPOINT_URL": "https://organizations.example.invalid"})
    assert hosts(remote) == {}
    strict = inventory_list({**no_endpoint, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert strict.returncode != 0 and "targets nothing unless AWS_ENDPOINT_URL" in strict.stderr
    # Refused before the plugin's first AWS client: not one request reached the emulator.
    assert emulator.requests() == []


def test_a_playbook_test_passes_with_the_users_aws_settings_in_the_parent_environment():
    """One ordinary playbook test, run by a pytest whose parent shell carries unrelated AWS settings."""
    test = "tests/integration/test_iam_password_policy.py::test_check_mode_present_predicts_without_writing"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=user_shell(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout


def proc_environ(pid: int) -> dict:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode("utf-8", "replace").split("\0") if "=" in item)


def test_subprocesses_get_no_aws_setting_of_the_parent(monkeypatch, tmp_path):
    for name, value in USER_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", "https://iam.example.invalid")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999999999999")
    # The emulator process itself, read from /proc: what it really got.
    with Emulator(log_file=tmp_path / "emulator.log") as emu:
        server_env = proc_environ(emu._proc.pid)
    assert {k: v for k, v in server_env.items() if k.startswith("AWS_") or k == "MOTO_ACCOUNT_ID"} == NO_AWS_FILES
    assert server_env["MOTO_IAM_LOAD_MANAGED_POLICIES"] == "true"
    # ansible-playbook's environment: only what the emulator says, none of the parent's.
    env = ansible_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_REGION": "us-east-1"})
    assert {k: v for k, v in env.items() if k.startswith("AWS_")} == {
        **NO_AWS_FILES,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_REGION": "us-east-1",
    }
    assert scrubbed_environ(base={"AWS_X": "1", "aws_lower": "1", "HOME": "/h"}) == {"HOME": "/h", **NO_AWS_FILES}


def test_the_checkouts_ansible_cfg_has_no_default_inventory(emulator):
    """A run from the checkout that forgets -i targets nothing, even with working credentials at hand."""
    emulator.seed_demo()
    env = ansible_env(emulator.env(), json_output=False)
    env.pop("ANSIBLE_INVENTORY", None)
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "--list"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert json.loads(proc.stdout)["_meta"]["hostvars"] == {}
    assert emulator.requests() == []


def test_the_emulators_own_clients_ignore_the_processs_aws_settings(emulator, monkeypatch):
    """Even in a process nobody scrubbed (a bench script, a notebook), the emulator's boto3 clients work."""
    for name, value in USER_AWS.items():
        monkeypatch.setenv(name, value)
    attached = Emulator(url=emulator.url)
    attached.client("iam").create_user(UserName="ivy")
    assert [u["UserName"] for u in emulator.client("iam").list_users()["Users"]] == ["ivy"]
