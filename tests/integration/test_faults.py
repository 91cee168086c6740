"""The baseline under injected AWS faults (issue 7, reliability).

- With a fifth of all calls failing (throttling, 500, 503, dropped connections; seeded, so a failure
  reproduces), an apply over three accounts ends in exactly the IAM state of a fault-free apply, with no
  failed host. The comparison is a normalised dump of every account read with boto3 (iam_state), not what
  the modules say.
- Under --check, faults never turn into writes.
- With every call throttled the run stops with a clear error, naming the account and the call, within the
  bound documented in docs/reliability.md.

iam_state and the three-account apply are shared with test_interrupted.py and test_secrets.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers.ansible_run import BIN, ROOT, PlaybookResult, ansible_env, run_playbook
from helpers.ansible_run import write_inventory as write_inventory_file

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
ACCOUNTS = {"prod": "111111111111", "dev": "222222222222", "sandbox": "333333333333"}
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
USERS = [
    {"name": "alice", "console_access": True, "groups": ["Cloudadmin"], "tags": {"team": "platform"}},
    {"name": "bob", "console_access": True, "programmatic_access": True, "tags": {"team": "payments"}},
    {"name": "ci-deploy", "path": "/automation/", "programmatic_access": True, "tags": {"purpose": "ci"}},
]
FAULT_KINDS = ["throttling", "500", "503", "drop"]
FAULT_SEED = 7
# docs/reliability.md: a run whose every call is throttled stops within this time (Ansible start included).
GIVE_UP_BOUND_SECONDS = 120


# --- ground truth ---------------------------------------------------------------------------------------------


def _paginate(client, method, key, **kwargs):
    return [item for page in client.get_paginator(method).paginate(**kwargs) for item in page[key]]


def iam_state(emulator, account_id: str) -> dict:
    """Everything the baseline manages in one account, without ids and dates that differ between runs."""
    iam = emulator.client("iam", account_id=account_id)
    try:
        password_policy = iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        password_policy = None
    users = {}
    for user in _paginate(iam, "list_users", "Users"):
        name = user["UserName"]
        try:
            profile = iam.get_login_profile(UserName=name)["LoginProfile"]
            console = {"password_reset_required": profile.get("PasswordResetRequired", False)}
        except iam.exceptions.NoSuchEntityException:
            console = None
        users[name] = {
            "path": user["Path"],
            "tags": {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]},
            "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]),
            "console": console,
            "access_keys": sorted(k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]),
            "mfa_devices": len(iam.list_mfa_devices(UserName=name)["MFADevices"]),
            "attached_policies": sorted(
                p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
            ),
            "inline_policies": sorted(iam.list_user_policies(UserName=name)["PolicyNames"]),
        }
    groups = {}
    for group in _paginate(iam, "list_groups", "Groups"):
        name = group["GroupName"]
        inline = {}
        for policy_name in iam.list_group_policies(GroupName=name)["PolicyNames"]:
            document = iam.get_group_policy(GroupName=name, PolicyName=policy_name)["PolicyDocument"]
            inline[policy_name] = json.loads(document) if isinstance(document, str) else document
        groups[name] = {
            "path": group["Path"],
            "members": sorted(u["UserName"] for u in iam.get_group(GroupName=name)["Users"]),
            "attached_policies": sorted(
                p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]
            ),
            "inline_policies": inline,
        }
    return {"password_policy": password_policy, "users": users, "groups": groups}


def all_states(emulator, accounts=None) -> dict:
    accounts = accounts or ACCOUNTS
    return {host: iam_state(emulator, account_id) for host, account_id in accounts.items()}


# --- the run ------------------------------------------------------------------------------------------------


def write_inventory(tmp_path: Path, accounts=None, **extra_vars) -> Path:
    accounts = accounts or ACCOUNTS
    hosts = {host: {"aws_account_id": acct, "baseline_role_arn": ROLE.format(acct)} for host, acct in accounts.items()}
    group_vars = {"baseline_credentials_dir": str(tmp_path / "credentials"), "baseline_users": USERS}
    return write_inventory_file(tmp_path / "inventory.yml", hosts, **(group_vars | extra_vars))


def run_env(emulator, tmp_path: Path) -> dict:
    return {**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(tmp_path / "reports")}


def apply(emulator, tmp_path: Path, check: bool = False, **kwargs):
    return run_playbook(
        PLAYBOOK, inventory=write_inventory(tmp_path), check=check, env=run_env(emulator, tmp_path), **kwargs
    )


def failures(result) -> dict:
    """host -> messages of its failed tasks."""
    out = {}
    for host in result.stats():
        messages = [f"{r['_task']}: {r.get('msg')}" for r in result.task_results(host) if r.get("failed")]
        if messages:
            out[host] = messages
    return out


_REFERENCE: dict = {}


def reference_states(emulator_server, tmp_path_factory) -> dict:
    """IAM state of the demo accounts after a fault-free apply (computed once per pytest process)."""
    if "states" not in _REFERENCE:
        emulator_server.seed_demo()
        tmp_path = tmp_path_factory.mktemp("reference_apply")
        result = apply(emulator_server, tmp_path)
        assert result.rc == 0, failures(result) or result.stderr[-2000:]
        _REFERENCE["states"] = all_states(emulator_server)
    return _REFERENCE["states"]


@pytest.fixture
def reference(emulator_server, tmp_path_factory):
    return reference_states(emulator_server, tmp_path_factory)


# --- tests -----------------------------------------------------------------------------------------------------


# The collection's retry policy (botocore standard mode, 6 retries, plus a short AWSRetry on throttling) rides
# out 20 % mixed faults on its own, with no AWS_MAX_ATTEMPTS in the environment.
def test_apply_under_faults_converges_to_the_fault_free_state(reference, emulator, tmp_path):
    emulator.seed_demo()
    emulator.set_faults(rate=0.2, kinds=FAULT_KINDS, seed=FAULT_SEED)

    result = run_playbook(PLAYBOOK, inventory=write_inventory(tmp_path), env=run_env(emulator, tmp_path))
    calls = emulator.requests()
    emulator.set_faults(rate=0)

    faulted = [c for c in calls if c.get("fault")]
    assert {c["fault"] for c in faulted} == set(FAULT_KINDS), "every fault kind was injected"
    assert any(c["write"] for c in faulted), "some writes failed and had to be retried"
    assert failures(result) == {}
    assert result.rc == 0
    assert all_states(emulator) == reference


def test_check_mode_under_faults_writes_nothing(emulator, tmp_path):
    emulator.seed_demo()
    before = all_states(emulator)
    emulator.set_faults(rate=0.3, kinds=FAULT_KINDS, seed=FAULT_SEED + 1)

    result = apply(emulator, tmp_path, check=True)
    calls = emulator.requests()
    emulator.set_faults(rate=0)

    assert any(c.get("fault") for c in calls)
    assert set(result.stats()) == set(ACCOUNTS)
    assert [c for c in calls if c["write"]] == []
    assert all_states(emulator) == before


def start_playbook(inventory: Path, env: dict, out: Path, args: list[str] | None = None) -> subprocess.Popen:
    """ansible-playbook in its own process group (so a test can kill every fork), JSON output to ``out``."""
    cmd = [str(BIN / "ansible-playbook"), str(PLAYBOOK), "-i", str(inventory), *(args or [])]
    with out.open("w", encoding="utf-8") as stdout:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=ansible_env(env), stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True
        )


def _process_tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def _signal(pids, sig) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the run and every process it started, as a cancelled CI job or a powered-off laptop does.

    Killing the process group is not enough: Ansible's workers call setsid(), so a module would run on to
    the end. The tree is frozen first (SIGSTOP) so that nothing forks or finishes while it is collected.
    """
    stopped: set[int] = set()
    while True:
        tree = set(_process_tree(proc.pid)) - stopped
        if not tree:
            break
        _signal(tree, signal.SIGSTOP)
        stopped |= tree
    _signal(stopped, signal.SIGKILL)
    proc.wait()


# The bound of docs/reliability.md ("Giving up"). The run is capped so a regression costs at most the bound
# plus a margin.
def test_every_call_throttled_stops_with_a_clear_error_in_bounded_time(emulator, tmp_path):
    emulator.seed_demo()
    accounts = {"prod": ACCOUNTS["prod"]}
    inventory = write_inventory(tmp_path, accounts)
    before = iam_state(emulator, accounts["prod"])
    emulator.set_faults(rate=1.0, kinds=["throttling"])

    started = time.monotonic()
    proc = start_playbook(inventory, run_env(emulator, tmp_path), tmp_path / "out.json")
    try:
        proc.wait(timeout=GIVE_UP_BOUND_SECONDS + 15)
    except subprocess.TimeoutExpired:
        pass
    finally:
        kill(proc)
    elapsed = time.monotonic() - started
    calls = emulator.requests()
    emulator.set_faults(rate=0)

    assert elapsed < GIVE_UP_BOUND_SECONDS, f"still retrying after {elapsed:.0f} s"
    output = (tmp_path / "out.json").read_text(encoding="utf-8")
    # the JSON callback's document, then the report callback's line naming the files it wrote
    data, _end = json.JSONDecoder().raw_decode(output[output.index("{") :])
    result = PlaybookResult(proc.returncode, output, "", data)
    assert result.rc != 0
    messages = failures(result)["prod"]
    assert len(messages) == 1, messages
    # The account, the call and the reason, in one message.
    assert accounts["prod"] in messages[0], messages
    assert "AssumeRole" in messages[0] and "Throttling" in messages[0], messages
    assert len(calls) > 3, "the call was retried"
    # The run's best-effort read of the Organization gives up after 2 botocore attempts, each retried twice more
    # (_connection.RETRY_DECORATOR): its budget is not the run's, so the host's session keeps the bound above.
    organization_reads = [c for c in calls if c["action"] == "DescribeOrganization"]
    assert 1 <= len(organization_reads) <= 2 * 3, organization_reads
    assert iam_state(emulator, accounts["prod"]) == before
