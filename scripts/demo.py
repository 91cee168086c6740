"""`make demo`: the baseline against a local, emulated AWS Organization, start to finish.

1. start the local AWS emulator (tests/emulator, moto on 127.0.0.1) and seed the demo Organization:
   three member accounts, each insecure in its own way, and centralized root access on;
2. `ansible-playbook playbooks/baseline.yml --check --diff`: changes nothing, shows the drift; then the
   drift report's Markdown summary and the path of its HTML page (.build/demo/reports, docs/report.md);
3. `ansible-playbook playbooks/baseline.yml`: applies the baseline, and removes the member accounts' root
   credentials through sts:AssumeRoot (baseline_root_remove_credentials in the demo inventory);
4. `ansible-playbook playbooks/baseline.yml --check`: no drift left that a playbook can fix; only the
   management account's root (out of sts:AssumeRoot's reach) still needs a person; what changed since the
   first check (resolved, still failing, new), from that run's report;
5. a short summary per account (the management account included), read back from the emulator; the emulator
   is always stopped.

Nothing here reaches real AWS. The secrets of the demo users land in .build/demo/credentials (0600).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from emulator import Emulator  # the emulator lives with the tests
from emulator.environ import scrub_os_environ, scrubbed_environ

INVENTORY = ROOT / "inventories" / "demo"
PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
CREDENTIALS_DIR = ROOT / ".build" / "demo" / "credentials"
REPORTS_DIR = ROOT / ".build" / "demo" / "reports"  # written by the accountguard.aws.report callback
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def banner(text: str) -> None:
    print(f"\n{'=' * 100}\n== {text}\n{'=' * 100}", flush=True)


def run_baseline(title: str, inventory: Path, env: dict, *args: str) -> dict:
    """Run the playbook with its ordinary output on the terminal; return the recap per host."""
    banner(f"{title}: ansible-playbook -i {shown(inventory)} playbooks/baseline.yml {' '.join(args)}".rstrip())
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), *args]
    recap = {}
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            match = RECAP.match(line)
            if match:
                host, _ok, changed, unreachable, failed = match.groups()
                recap[host] = {"changed": int(changed), "failed": int(failed) + int(unreachable)}
    recap["_rc"] = proc.returncode
    return recap


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def inventory_accounts(inventory: Path, env: dict) -> dict:
    """host -> aws_account_id of the demo inventory; {} when it yields none or fails to parse."""
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # An inventory source that fails to parse is only a warning to Ansible: show it, the caller stops.
    if proc.stderr.strip():
        print(proc.stderr, file=sys.stderr, end="")
    if proc.returncode != 0:
        return {}
    hostvars = json.loads(proc.stdout).get("_meta", {}).get("hostvars", {})
    return {host: str(_plain(hv["aws_account_id"])) for host, hv in hostvars.items() if "aws_account_id" in hv}


def _plain(value):
    # Values from an inventory plugin are untrusted (never templated); ansible-inventory --list wraps them.
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def account_facts(emu: Emulator, account_id: str) -> dict:
    """What the account holds now, read with boto3 and the emulator's root state (ground truth, not what the
    playbook said)."""
    iam = emu.client("iam", account_id)
    try:
        policy = iam.get_account_password_policy()["PasswordPolicy"]
        min_length = policy.get("MinimumPasswordLength")
    except iam.exceptions.NoSuchEntityException:
        min_length = None
    users = sorted(u["UserName"] for u in iam.list_users()["Users"])
    try:
        admins = sorted(u["UserName"] for u in iam.get_group(GroupName="Cloudadmin")["Users"])
    except iam.exceptions.NoSuchEntityException:
        admins = None
    summary = iam.get_account_summary()["SummaryMap"]
    root = emu.root_state(account_id)
    return {
        "min_length": min_length,
        "users": users,
        "admins": admins,
        "root_mfa": bool(summary.get("AccountMFAEnabled")),
        "root_keys": bool(summary.get("AccountAccessKeysPresent")),
        # A root user without password, access keys or signing certificates cannot sign in: no MFA needed.
        "root_credentials": bool(root["password"] or root["access_keys"] or root["signing_certificates"]),
    }


def print_summary(accounts: dict, names: dict, runs: list[tuple[str, dict]], emu: Emulator, management: str) -> None:
    banner("Summary per account")
    head = f"{'host':<10} {'account':<13} {'name':<16}" + "".join(f" {title:>14}" for title, _recap in runs)
    print(head + "  password  Cloudadmin        root (only a person can fix)")
    for host, account_id in sorted(accounts.items(), key=lambda item: item[1]):
        cells = []
        for _title, recap in runs:
            r = recap.get(host, {})
            cells.append("FAILED" if r.get("failed") else f"changed={r.get('changed', '?')}")
        facts = account_facts(emu, account_id)
        root = []
        if facts["root_keys"]:
            root.append("delete root keys")
        if facts["root_credentials"] and not facts["root_mfa"]:
            root.append("enrol root MFA")
        text = ", ".join(root)
        if not facts["root_credentials"]:
            text = "ok (no root credentials: sts:AssumeRoot removed them)"
        elif root and account_id == management:
            text += " (management account: sts:AssumeRoot cannot target it)"
        print(
            f"{host:<10} {account_id:<13} {names.get(account_id, ''):<16}"
            + "".join(f" {c:>14}" for c in cells)
            + f"  min {facts['min_length'] or '-':<4}  {','.join(facts['admins'] or []) or '-':<16}  "
            + (text or "ok")
        )
    print(f"\nSecrets of the new users (initial passwords, access keys): {CREDENTIALS_DIR.relative_to(ROOT)}/ (0600)")


def print_drift_report() -> None:
    """The report callback's Markdown summary of the run that just finished, and where its HTML page is."""
    markdown = REPORTS_DIR / "accountguard-report-latest.md"
    pages = sorted(REPORTS_DIR.glob("accountguard-report-2*.html"), key=lambda p: p.stat().st_mtime)
    if not markdown.exists() or not pages:
        print(f"no drift report in {REPORTS_DIR.relative_to(ROOT)}: is accountguard.aws.report enabled in ansible.cfg?")
        return
    banner("Drift report of the check run (docs/report.md)")
    print(markdown.read_text())
    print(f"HTML report: {pages[-1]}")


def print_changes_since() -> None:
    """What the last check changed since the first one (the report's changes_since, docs/report.md)."""
    latest = REPORTS_DIR / "accountguard-report-latest.json"
    changes = json.loads(latest.read_text()).get("changes_since") if latest.exists() else None
    if not changes:
        return
    banner(f"Changes since the first check (run {changes['previous']['id']})")
    counts = changes["counts"]
    kinds = ("new", "resolved", "still_failing", "newly_accepted")
    print(", ".join(f"{counts[kind]} {kind.replace('_', ' ')}" for kind in kinds))
    for pair in changes["pairs"]:
        if pair["change"] != "still_failing":
            where = f"{pair['host']:<10} {pair['control']:<22}"
            print(f"  {pair['change']:<15} {where} {pair['before']} -> {pair['after']}")
    trend = " -> ".join(str(p["drifted_pairs"]) for p in changes["trend"])
    print(f"drifted pairs: {trend} (the HTML page draws it)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The baseline against a local, emulated AWS Organization.")
    parser.add_argument("--inventory", type=Path, default=INVENTORY, help="default: %(default)s")
    inventory = parser.parse_args(argv).inventory.resolve()
    # This process reads the emulator with boto3 too: a user's AWS_PROFILE would break those clients.
    scrub_os_environ()
    banner("Starting the local AWS emulator and seeding the demo Organization")
    with Emulator() as emu:
        demo = emu.seed_demo()
        management = str(demo["management_account_id"])
        names = {management: "management", **{str(a["id"]): a.get("name", "") for a in demo["accounts"]}}
        print(f"  {management}  {'management':<16} Root (the Organization's management account)")
        for account in demo["accounts"]:
            print(f"  {account['id']}  {account.get('name', ''):<16} {account.get('ou_path', '')}")
        # Nothing of the user's AWS set-up (a profile, keys, a region, an endpoint) reaches the playbooks:
        # the management account's credentials of the emulator, from which every host assumes its own role.
        env = scrubbed_environ(
            {
                **emu.env(),
                "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
                "ANSIBLE_NOCOLOR": "1",
                "ACCOUNTGUARD_REPORT_DIR": str(REPORTS_DIR),
                # An inventory that fails to parse is an error with its reason, not a warning and no hosts.
                "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )

        accounts = inventory_accounts(inventory, env)
        problem = inventory_problem(inventory, accounts, names)
        if problem:
            print(f"\ndemo failed: {problem}", file=sys.stderr)
            return 1
        # A fresh emulator means fresh users: secrets of an earlier demo belong to accounts that no longer
        # exist. Removed only now, so a demo that stops above leaves an earlier one's files alone.
        shutil.rmtree(CREDENTIALS_DIR, ignore_errors=True)
        shutil.rmtree(REPORTS_DIR, ignore_errors=True)

        runs = [("drift check", run_baseline("1/3 Drift check (changes nothing)", inventory, env, "--check", "--diff"))]
        print_drift_report()
        runs += [
            ("apply", run_baseline("2/3 Apply the baseline", inventory, env)),
            ("check again", run_baseline("3/3 Check again (expect no drift)", inventory, env, "--check")),
        ]
        print_changes_since()
        print_summary(accounts, names, runs, emu, management)

    problems = run_problems(accounts, runs)
    if problems:
        print("\ndemo failed:\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return 1
    print(f"\ndemo finished: all {len(accounts)} accounts checked and converged; the emulator is stopped.")
    return 0


def inventory_problem(inventory: Path, accounts: dict, seeded: dict) -> str | None:
    """Why the demo inventory cannot stand for the seeded Organization, or None."""
    if not accounts:
        return (
            f"the inventory {shown(inventory)} yields no hosts, so nothing would be checked "
            "(see the inventory warnings above)"
        )
    missing = sorted(set(seeded) - set(accounts.values()))
    unknown = sorted(set(accounts.values()) - set(seeded))
    if missing or unknown:
        return (
            f"the inventory {shown(inventory)} does not match the seeded Organization: "
            f"not in the inventory {', '.join(missing) or '-'}; not seeded {', '.join(unknown) or '-'}"
        )
    return None


def run_problems(accounts: dict, runs: list[tuple[str, dict]]) -> list[str]:
    """Every way the three runs fell short: a failed run, a run that did not check every account (an empty
    play recap exits 0), drift left after the apply."""
    problems = []
    for title, recap in runs:
        if recap["_rc"] != 0:
            problems.append(f"{title}: ansible-playbook exited {recap['_rc']}")
        checked = sorted(h for h in recap if h != "_rc")
        if set(checked) != set(accounts):
            problems.append(
                f"{title}: checked {len(checked)} of the {len(accounts)} seeded accounts "
                f"(missing: {', '.join(sorted(set(accounts) - set(checked))) or '-'})"
            )
    drift_left = sorted(h for h, r in runs[-1][1].items() if h != "_rc" and r["changed"])
    if drift_left:
        problems.append(f"{runs[-1][0]}: drift left in {', '.join(drift_left)}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
