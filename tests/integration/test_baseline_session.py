"""The baseline role's data flow on the new engine, against the emulator.

- one sts:AssumeRole per account per run, whatever the number of tasks, and no session secret in -vvv output;
- the Organization workflow with AWS_PROFILE or AWS_DEFAULT_PROFILE exported (no collision of a profile and keys);
- a dead endpoint fails its accounts in bounded time, naming the endpoint, while a healthy account converges.

Only the controls whose modules take the engine's connection options run (ENGINE_CONTROLS): what is under test
is the session and the connection settings every task shares, not the controls.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter

import pytest
from helpers.ansible_run import ROOT, run_playbook, write_inventory
from test_inventory_organizations import create_organization, example_copy

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
MANAGEMENT = "123456789012"
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
ACCOUNTS = {"prod": "111111111111", "dev": "222222222222", "sandbox": "333333333333"}
ENGINE_CONTROLS = {
    "baseline_root_account_enabled": False,
    "baseline_user_mfa_enabled": False,
    "baseline_access_keys_enabled": False,
    "baseline_console_access_enabled": False,
    "baseline_initial_access_keys_enabled": False,
    "baseline_admin_group_enabled": False,
    "baseline_iam_users_enabled": False,
}
THREE = [
    ("Root/Workloads", "Prod", {}, False),
    ("Root/Workloads", "Dev", {}, False),
    ("Root/Sandbox", "Sandbox", {}, False),
]


def base_env(emulator, tmp_path) -> dict:
    return {**emulator.env(), "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": str(tmp_path / "sts-cache")}


def assume_roles(emulator) -> Counter:
    return Counter(
        s["role_arn"].split(":")[4] for s in emulator.issued_sessions() if s["session_name"] == "accountguard"
    )


def converged(emulator, account_id) -> bool:
    policy = emulator.client("iam", account_id).get_account_password_policy()["PasswordPolicy"]
    return policy["MinimumPasswordLength"] == 14 and policy["PasswordReusePrevention"] == 24


def test_one_assume_role_per_account_per_run(emulator, tmp_path):
    hosts = {h: {"aws_account_id": a, "baseline_role_arn": ROLE.format(a)} for h, a in ACCOUNTS.items()}
    inventory = write_inventory(
        tmp_path / "inventory.yml", hosts, baseline_credentials_dir=str(tmp_path / "creds"), **ENGINE_CONTROLS
    )
    env = base_env(emulator, tmp_path)

    check = run_playbook(PLAYBOOK, inventory=inventory, env=env, check=True, diff=True, args=["-vvv"])
    assert check.rc == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    assert assume_roles(emulator) == Counter(ACCOUNTS.values())
    # the password policy was read once per account, by the session, and handed to its control
    reads = Counter(r["account_id"] for r in emulator.requests() if r["action"] == "GetAccountPasswordPolicy")
    assert reads == Counter(ACCOUNTS.values())

    emulator.clear_requests()
    apply = run_playbook(PLAYBOOK, inventory=inventory, env=env, args=["-vvv"])
    assert apply.rc == 0, apply.stdout[-3000:] + apply.stderr[-3000:]
    # the check run's cached sessions still serve: the apply run assumes no role at all
    assert [r for r in emulator.requests() if r["action"] == "AssumeRole"] == []
    # every call in a host's own account, but the run's one DescribeOrganization (the controller's credentials);
    # this emulator holds no Organization, so each account asks its own for root_credentials_management
    assert {r["account_id"] for r in emulator.requests() if r["action"] != "DescribeOrganization"} == set(
        ACCOUNTS.values()
    )
    describe = Counter(r["account_id"] for r in emulator.requests() if r["action"] == "DescribeOrganization")
    assert describe == Counter({MANAGEMENT: 1, **dict.fromkeys(ACCOUNTS.values(), 1)})
    for account_id in ACCOUNTS.values():
        assert converged(emulator, account_id), account_id
    for session in emulator.issued_sessions():
        for secret in (session["secret_access_key"], session["session_token"]):
            for output in (check.stdout, check.stderr, apply.stdout, apply.stderr):
                assert secret not in output

    # a fresh cache (a new controller): one AssumeRole per account for the whole run again
    emulator.clear_requests()
    again = run_playbook(
        PLAYBOOK, inventory=inventory, env={**env, "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": str(tmp_path / "fresh")}
    )
    assert again.rc == 0, again.stdout[-3000:]
    assert {h: again.stats()[h]["changed"] for h in ACCOUNTS} == dict.fromkeys(ACCOUNTS, 0)
    calls = Counter(r["account_id"] for r in emulator.requests() if r["action"] == "AssumeRole")
    assert calls == Counter({MANAGEMENT: len(ACCOUNTS)})


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
def test_organization_with_an_exported_profile(emulator, tmp_path, variable):
    ids = create_organization(emulator, THREE)
    creds = emulator.credentials(MANAGEMENT)
    (tmp_path / "credentials").write_text(
        "[org-management]\n"
        f"aws_access_key_id = {creds['aws_access_key_id']}\n"
        f"aws_secret_access_key = {creds['aws_secret_access_key']}\n"
    )
    (tmp_path / "config").write_text("[profile org-management]\nregion = us-east-1\n")
    env = {
        key: value
        for key, value in base_env(emulator, tmp_path).items()
        if key not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    }
    env.update(
        {
            variable: "org-management",
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "AWS_CONFIG_FILE": str(tmp_path / "config"),
        }
    )
    inventory = example_copy(tmp_path)
    extra_vars = {"baseline_credentials_dir": str(tmp_path / "creds"), **ENGINE_CONTROLS}
    hosts = {name.lower() for name in ids}

    check = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra_vars, env=env, check=True)
    assert check.rc == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert set(check.stats()) == hosts
    assert emulator.requests(writes_only=True) == []

    apply = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra_vars, env=env)
    assert apply.rc == 0, apply.stdout[-3000:] + apply.stderr[-3000:]
    for account_id in ids.values():
        assert converged(emulator, account_id), account_id
    assert {r["account_id"] for r in emulator.requests(writes_only=True)} == set(ids.values())


class SilentEndpoint:
    """A TCP server that accepts every connection and never answers."""

    def __init__(self):
        self._server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._held = []
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                self._held.append(self._server.accept()[0])
            except TimeoutError:
                continue

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self._server.close()
        return False

    @property
    def connections(self) -> int:
        return len(self._held)


def test_a_dead_endpoint_fails_its_accounts_in_bounded_time(emulator, tmp_path):
    with SilentEndpoint() as dead:
        hosts = {
            h: {"aws_account_id": a, "baseline_role_arn": ROLE.format(a), "aws_endpoint_url": dead.url}
            for h, a in ACCOUNTS.items()
        }
        hosts["healthy"] = {"aws_account_id": "444444444444", "baseline_role_arn": ROLE.format("444444444444")}
        inventory = write_inventory(
            tmp_path / "inventory.yml",
            hosts,
            baseline_credentials_dir=str(tmp_path / "creds"),
            baseline_aws_connect_timeout=2,
            baseline_aws_read_timeout=2,
            **ENGINE_CONTROLS,
        )
        started = time.monotonic()
        result = run_playbook(PLAYBOOK, inventory=inventory, env=base_env(emulator, tmp_path), args=["--forks", "4"])
        elapsed = time.monotonic() - started
        assert dead.connections >= len(ACCOUNTS)

    assert result.rc != 0
    # 6 attempts of 2 s plus at most 1+2+4+8+16 s of backoff per account, the accounts side by side
    assert elapsed < 120, elapsed
    stats = result.stats()
    for host in ACCOUNTS:
        assert stats[host]["failures"] == 1, host
        failed = [r for r in result.task_results(host) if r.get("failed")]
        assert dead.url in failed[0]["msg"] and ACCOUNTS[host] in failed[0]["msg"], failed[0]["msg"]
    assert stats["healthy"]["failures"] == 0 and stats["healthy"]["changed"] > 0
    assert converged(emulator, "444444444444")
    assert not [r for r in emulator.requests() if r["account_id"] in ACCOUNTS.values()]
