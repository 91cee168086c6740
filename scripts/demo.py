"""`make demo`: the baseline against a local, emulated AWS Organization, start to finish.

1. start the local AWS emulator (tests/emulator, moto on 127.0.0.1) and seed the demo Organization:
   three member accounts, each insecure in its own way;
2. `ansible-playbook playbooks/baseline.yml --check --diff`: changes nothing, shows the drift; then the
   drift report's Markdown summary and the path of its HTML page (.build/demo/reports, docs/report.md);
3. `ansible-playbook playbooks/baseline.yml`: applies the baseline;
4. `ansible-playbook playbooks/baseline.yml --check`: no drift left that a playbook can fix;
5. a short summary per account, read back from the emulator; the emulator is always stopped.

Nothing here reaches real AWS. The secrets of the demo users land in .build/demo/credentials (0600).
"""

from __future__ import annotations

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

INVENTORY = ROOT / "inventories" / "demo"
PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
CREDENTIALS_DIR = ROOT / ".build" / "demo" / "credentials"
REPORTS_DIR = ROOT / ".build" / "demo" / "reports"  # written by the accountguard.aws.report callback
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def banner(text: str) -> None:
    print(f"\n{'=' * 100}\n== {text}\n{'=' * 100}", flush=True)


def run_baseline(title: str, env: dict, *args: str) -> dict:
    """Run the playbook with its ordinary output on the terminal; return the recap per host."""
    banner(f"{title}: ansible-playbook -i inventories/demo playbooks/baseline.yml {' '.join(args)}".rstrip())
    cmd = [str(BIN / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK), *args]
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


def inventory_accounts(env: dict) -> dict:
    """host -> aws_account_id of the demo inventory."""
    out = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(INVENTORY), "--list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    hostvars = json.loads(out).get("_meta", {}).get("hostvars", {})
    return {host: str(_plain(hv["aws_account_id"])) for host, hv in hostvars.items() if "aws_account_id" in hv}


def _plain(value):
    # Values from an inventory plugin are untrusted (never templated); ansible-inventory --list wraps them.
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def account_facts(emu: Emulator, account_id: str) -> dict:
    """What the account holds now, read with boto3 (ground truth, not what the playbook said)."""
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
    return {
        "min_length": min_length,
        "users": users,
        "admins": admins,
        "root_mfa": bool(summary.get("AccountMFAEnabled")),
        "root_keys": bool(summary.get("AccountAccessKeysPresent")),
    }


def print_summary(accounts: dict, names: dict, runs: list[tuple[str, dict]], emu: Emulator) -> None:
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
        if not facts["root_mfa"]:
            root.append("enrol root MFA")
        print(
            f"{host:<10} {account_id:<13} {names.get(account_id, ''):<16}"
            + "".join(f" {c:>14}" for c in cells)
            + f"  min {facts['min_length'] or '-':<4}  {','.join(facts['admins'] or []) or '-':<16}  "
            + (", ".join(root) or "ok")
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


def main() -> int:
    # A fresh emulator means fresh users: secrets of an earlier demo belong to accounts that no longer exist.
    shutil.rmtree(CREDENTIALS_DIR, ignore_errors=True)
    shutil.rmtree(REPORTS_DIR, ignore_errors=True)
    banner("Starting the local AWS emulator and seeding the demo Organization")
    with Emulator() as emu:
        demo = emu.seed_demo()
        names = {str(a["id"]): a.get("name", "") for a in demo["accounts"]}
        for account in demo["accounts"]:
            print(f"  {account['id']}  {account.get('name', ''):<16} {account.get('ou_path', '')}")
        env = dict(os.environ)
        env.update(emu.env())  # the management account's credentials; every host assumes its own role
        env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        env["ACCOUNTGUARD_REPORT_DIR"] = str(REPORTS_DIR)
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"

        accounts = inventory_accounts(env)
        missing = sorted(set(accounts.values()) - set(names))
        if missing:
            print(f"the demo inventory names accounts the emulator did not seed: {', '.join(missing)}", file=sys.stderr)
            return 1

        runs = [("drift check", run_baseline("1/3 Drift check (changes nothing)", env, "--check", "--diff"))]
        print_drift_report()
        runs += [
            ("apply", run_baseline("2/3 Apply the baseline", env)),
            ("check again", run_baseline("3/3 Check again (expect no drift)", env, "--check")),
        ]
        print_summary(accounts, names, runs, emu)

    failed = [title for title, recap in runs if recap["_rc"] != 0]
    drift_left = [h for h, r in runs[-1][1].items() if h != "_rc" and r["changed"]]
    if failed or drift_left:
        print(f"\ndemo failed: runs {failed or '-'}, drift left in {drift_left or '-'}", file=sys.stderr)
        return 1
    print("\ndemo finished: every account converged; the emulator is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
