"""An apply killed in the middle, then run again, ends where an uninterrupted apply ends (issue 7).

The run is killed (SIGKILL to it and every process it started, modules included, as when a CI job is
cancelled or the machine loses power) at a point read from the emulator's request log, then the same
apply runs to the end. The account must then hold exactly the IAM state of the uninterrupted reference
apply, with no duplicated access key or login profile. A key whose secret
died with the killed run is reported by the rerun and kept, and replaced when the operator asks
(baseline_users_replace_lost_access_keys); then every secret is in its file, as after an uninterrupted run.
"""

from __future__ import annotations

import subprocess
import time

import pytest
import test_faults
from test_faults import apply, failures, iam_state, kill, run_env, start_playbook, write_inventory

HOST, ACCOUNT = "dev", "222222222222"
KILL_TIMEOUT = 600


_REFERENCE: dict = {}


@pytest.fixture
def reference(emulator_server, tmp_path_factory) -> dict:
    """The account's IAM state after an uninterrupted apply, computed once per pytest process.

    test_faults' three-account reference when this process already has it; otherwise an apply of this host
    alone, which costs a third of the Ansible work (the accounts are independent of each other).
    """
    shared = test_faults._REFERENCE.get("states")
    if shared:
        return shared[HOST]
    if HOST not in _REFERENCE:
        emulator_server.seed_demo()
        result = apply(emulator_server, tmp_path_factory.mktemp("reference_apply"), args=["--limit", HOST])
        assert result.rc == 0, failures(result) or result.stderr[-2000:]
        _REFERENCE[HOST] = iam_state(emulator_server, ACCOUNT)
    return _REFERENCE[HOST]


def start_apply(emulator, tmp_path) -> subprocess.Popen:
    inventory = write_inventory(tmp_path)
    return start_playbook(inventory, run_env(emulator, tmp_path), tmp_path / "killed.json", ["--limit", HOST])


def kill_when(emulator, proc: subprocess.Popen, seen) -> list[dict]:
    """SIGKILL the run's process group as soon as ``seen(request log)`` is true; return the log at that time."""
    deadline = time.monotonic() + KILL_TIMEOUT
    try:
        while time.monotonic() < deadline:
            calls = emulator.requests(account_id=ACCOUNT)
            if seen(calls):
                return calls
            assert proc.poll() is None, "the run ended before the kill point"
            time.sleep(0.05)
        raise AssertionError("kill point never reached")
    finally:
        kill(proc)


def first_write(calls):
    return any(c["write"] for c in calls)


def creating_login_profile_and_access_key(calls):
    actions = {c["action"] for c in calls}
    return {"CreateLoginProfile", "CreateAccessKey"} <= actions


def key_files(iam, users) -> set[str]:
    return {
        f"{user}.{key['AccessKeyId']}.json"
        for user in users
        for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    }


def credentials_files(tmp_path) -> set[str]:
    return {p.name for p in (tmp_path / "credentials" / ACCOUNT).iterdir()}


def assert_converged(emulator, reference, tmp_path):
    state = iam_state(emulator, ACCOUNT)
    assert state == reference
    # Spelled out although the comparison covers it: one key for each programmatic user, one login profile.
    assert state["users"]["bob"]["access_keys"] == ["Active"]
    assert state["users"]["ci-deploy"]["access_keys"] == ["Active"]
    # And the operator holds every secret: each key and each login profile has its secrets file, and no
    # pending-key marker is left.
    iam = emulator.client("iam", account_id=ACCOUNT)
    expected = {f"{user}.password.json" for user in ("alice", "bob")} | key_files(iam, ("bob", "ci-deploy"))
    assert credentials_files(tmp_path) == expected


def test_rerun_after_kill_after_the_first_write_converges(reference, emulator, tmp_path):
    emulator.seed_demo()
    proc = start_apply(emulator, tmp_path)
    at_kill = kill_when(emulator, proc, first_write)
    assert [c for c in at_kill if c["write"]], "killed in the middle of the apply, after a write"
    assert iam_state(emulator, ACCOUNT) != reference, "killed before the apply was done"

    result = apply(emulator, tmp_path, args=["--limit", HOST])

    assert failures(result) == {}
    assert_converged(emulator, reference, tmp_path)


def iam_users_result(result) -> dict:
    (found,) = [r for r in result.task_results(HOST) if r["_task"].endswith("Ensure the declared IAM users")]
    return found


def gate_message(result) -> str:
    (found,) = [r for r in result.task_results(HOST) if "Report what only a person can do" in r["_task"]]
    return "\n".join(found["msg"]) if isinstance(found["msg"], list) else str(found["msg"])


# Both calls in flight when the run dies (users converge in parallel inside iam_users): the server completes
# them, the client never hears back. The password files were written before CreateLoginProfile, so the
# login profiles are fine; the new key's secret died with the module, and only the pending-key marker tells.
def test_rerun_after_kill_during_create_login_profile_and_access_key(reference, emulator, tmp_path):
    emulator.seed_demo()
    emulator.set_faults(
        rate=1.0, kinds=["slow"], actions=["iam:CreateLoginProfile", "iam:CreateAccessKey"], slow_seconds=3
    )
    proc = start_apply(emulator, tmp_path)
    kill_when(emulator, proc, creating_login_profile_and_access_key)
    time.sleep(4)  # let the in-flight calls land, as AWS would
    emulator.set_faults(rate=0)
    iam = emulator.client("iam", account_id=ACCOUNT)
    lost = key_files(iam, ("bob", "ci-deploy")) - credentials_files(tmp_path)
    assert lost, "a key was created whose secret was never saved"

    # The rerun converges without a second key or login profile, and says which keys nobody holds.
    result = apply(emulator, tmp_path, args=["--limit", HOST])

    assert failures(result) == {}
    assert iam_state(emulator, ACCOUNT) == reference
    users = iam_users_result(result)
    reported = {f"{k['user_name']}.{k['access_key_id']}.json" for k in users["lost_access_keys"]}
    assert reported == lost
    assert not any(k["replaced"] for k in users["lost_access_keys"])
    assert len(users["findings"]) == len(lost) and {f["status"] for f in users["findings"]} == {"fail"}
    assert all(any(k["access_key_id"] in w for w in users["warnings"]) for k in users["lost_access_keys"])
    assert all(k["access_key_id"] in gate_message(result) for k in users["lost_access_keys"])
    # Kept (nothing is deleted unless asked), still without a file, still marked for the next run.
    assert key_files(iam, ("bob", "ci-deploy")) - credentials_files(tmp_path) == lost
    markers = {name.split(".")[0] + ".access-key-pending.json" for name in lost}
    assert markers <= credentials_files(tmp_path)

    # Asked to, the next run replaces them: the uninterrupted state, a file for every secret, no marker.
    # Only the users' task: the rest of the account converged in the rerun above, and the state compared is
    # still the whole account's.
    replace = ["--limit", HOST, "--tags", "iam_users", "-e", "baseline_users_replace_lost_access_keys=true"]
    result = apply(emulator, tmp_path, args=replace)

    assert failures(result) == {}
    assert all(k["replaced"] for k in iam_users_result(result)["lost_access_keys"])
    assert_converged(emulator, reference, tmp_path)
    assert not lost & key_files(iam, ("bob", "ci-deploy")), "the keys nobody held are gone"
