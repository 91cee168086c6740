"""A whole emulated Organization in one ansible-playbook run: inventory plugin + baseline playbook.

Ground truth is what each account holds afterwards (boto3 acting in that account) and the emulator's
request log; the playbook's own word (stats) is only used for changed/failed counts.
"""

from __future__ import annotations

import json
from collections import Counter

from helpers.ansible_run import ROOT, run_playbook
from test_inventory_organizations import EXPECTED_HOSTS, LAYOUT, create_organization, example_copy

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
MANAGEMENT = "123456789012"
DENIED = "sandbox-bob"


def _host_accounts(ids):
    by_host = {name.lower().replace(" ", "-"): acct for name, acct in ids.items()}
    return {host: by_host[host] for host in EXPECTED_HOSTS}


def _password_length(emulator, account_id):
    iam = emulator.client("iam", account_id=account_id)
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"]
    except iam.exceptions.NoSuchEntityException:
        return None


def test_baseline_across_an_organization(emulator, tmp_path):
    ids = create_organization(emulator, LAYOUT)
    accounts = _host_accounts(ids)
    emulator.deny_assume_role(accounts[DENIED])
    inventory = example_copy(tmp_path)
    extra_vars = {
        "baseline_credentials_dir": str(tmp_path / "credentials"),
        # What is under test here is the rollout (sessions, isolation, per-OU settings), not the read-only
        # checkers that test_baseline.py covers; leaving them out saves a quarter of the tasks on a busy box.
        "baseline_root_account_enabled": False,
        "baseline_user_mfa_enabled": False,
        "baseline_access_keys_enabled": False,
        "baseline_console_access_enabled": False,
        "baseline_initial_access_keys_enabled": False,
    }
    # A private cache of the assumed-role sessions: the emulator forgets them at every reset.
    env = {**emulator.env(), "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": str(tmp_path / "sts-cache")}
    forks = ["--forks", str(len(EXPECTED_HOSTS))]  # every account in one wave, as a real rollout would
    converging = {host: acct for host, acct in accounts.items() if host != DENIED}

    # --check --diff: every host is worked on, nothing is written in any account.
    emulator.clear_requests()
    check = run_playbook(
        PLAYBOOK, inventory=inventory, extra_vars=extra_vars, check=True, diff=True, env=env, args=forks
    )
    assert set(check.stats()) == set(EXPECTED_HOSTS), check.stderr[-2000:]
    assert emulator.requests(writes_only=True) == []
    assert {c["account_id"] for c in emulator.requests() if c["service"] == "iam"} == set(converging.values())
    # one AssumeRole per account for the whole run, whatever the number of tasks
    assume = Counter(c["account_id"] for c in emulator.requests() if c["action"] == "AssumeRole")
    assert assume == Counter({MANAGEMENT: len(EXPECTED_HOSTS)})

    # Apply: the account whose role refuses fails alone, with a message naming it; the others converge.
    emulator.clear_requests()
    reports = tmp_path / "reports"
    report_env = {**env, "ACCOUNTGUARD_REPORT_DIR": str(reports), "ACCOUNTGUARD_REPORT_FORMATS": "json"}
    apply = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra_vars, env=report_env, args=forks)
    stats = apply.stats()
    assert apply.rc != 0
    assert stats[DENIED]["failures"] == 1
    failed = [r for r in apply.task_results(DENIED) if r.get("failed")]
    assert accounts[DENIED] in failed[0]["msg"]
    assert "AccessDenied" in failed[0]["msg"] or "assume" in failed[0]["msg"].lower()
    for host in converging:
        assert stats[host]["failures"] == 0 and stats[host]["unreachable"] == 0, host
        assert stats[host]["changed"] > 0, host

    # The run's report names the failed account with the plugin's account metadata.
    report = json.loads((reports / "accountguard-report-latest.json").read_text())
    by_host = {a["host"]: a for a in report["accounts"]}
    assert set(by_host) == set(EXPECTED_HOSTS)
    denied = by_host[DENIED]
    assert denied["status"] == "failed"
    assert (denied["account_id"], denied["name"], denied["ou_path"]) == (
        accounts[DENIED],
        "Sandbox Bob",
        "Root/Sandbox",
    )
    assert denied["errors"]
    assert not [h for h, a in by_host.items() if a["status"] == "failed" and h != DENIED]

    # Every AWS call of a host lands in that host's account: the management account sees only the inventory
    # listing and the AssumeRole calls, the denied account nothing, and each converging account exactly one
    # copy of each write (a call sent to the wrong account would show up twice in another one).
    calls = emulator.requests()
    assert {c["service"] for c in calls if c["account_id"] == MANAGEMENT} <= {"organizations", "sts"}
    assert not [c for c in calls if c["account_id"] == accounts[DENIED]]
    writes = {
        acct: Counter(c["action"] for c in calls if c["account_id"] == acct and c["write"]) for acct in ids.values()
    }
    assert {acct for acct, counter in writes.items() if counter} == set(converging.values())
    reference = writes[converging["dev"]]
    assert reference["UpdateAccountPasswordPolicy"] == 1 and reference["CreateUser"] == 1
    for host, acct in converging.items():
        assert writes[acct] == reference, host

    # Per-OU group_vars reached the right accounts: Prod is stricter than the rest; nothing in the denied one.
    for host, acct in converging.items():
        expected = 20 if EXPECTED_HOSTS[host] == "Root/Workloads/Prod" else 14
        assert _password_length(emulator, acct) == expected, host
    assert _password_length(emulator, accounts[DENIED]) is None
    assert _password_length(emulator, MANAGEMENT) is None

    # Second run: nothing left to change anywhere.
    again = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra_vars, env=env, args=forks)
    assert {host: again.stats()[host]["changed"] for host in converging} == dict.fromkeys(converging, 0)
    assert again.stats()[DENIED]["failures"] == 1


def test_documented_staged_rollout_puts_the_canary_first(emulator, tmp_path):
    """The rollout playbook of docs/multi-account.md, with the example inventory: canary play, then the rest."""
    doc = (ROOT / "docs" / "multi-account.md").read_text()
    block = doc.split("# playbooks/rollout.yml (in your project)\n", 1)[1].split("```", 1)[0]
    playbook = tmp_path / "rollout.yml"
    playbook.write_text(block)
    create_organization(emulator, LAYOUT)

    result = run_playbook(
        playbook, inventory=example_copy(tmp_path), env=emulator.env(), args=["--list-hosts"], json_output=False
    )

    assert result.rc == 0, result.stderr
    plays = result.stdout.split("play #")[1:]
    assert len(plays) == 2
    listed = [{line.strip() for line in play.split("hosts (", 1)[1].splitlines()[1:] if line.strip()} for play in plays]
    assert listed[0] == {"prod-payments"}
    assert listed[1] == set(EXPECTED_HOSTS) - {"prod-payments"}
