"""The drift/compliance report (accountguard.aws.report) in real ansible-playbook runs.

1. A synthetic playbook (no AWS): the callback's attribution rules as Ansible really delivers the events
   (tags through import_tasks/blocks, no_log censoring, a failing account guard, --tags), beside the
   ansible.posix.json stdout callback.
2. The demo cycle against the emulated Organization (seed_demo): the JSON of the --check run lists exactly the
   seeded deviations, derived below from the seed and the role's defaults; the JUnit failure count equals the
   drifted pairs; after the apply run and what only a person can do (root keys, root MFA, users' MFA), a new
   check run reports every account compliant; no secret is in any report file.
3. The HTML page in headless Chromium (Debian package `chromium`), without console messages; and its layout
   measured in a 1,400 px wide window: a realistic matrix of 18 controls fits it, a narrower window scrolls the
   matrix inside its box (account column and header sticky), never the page.

`python tests/integration/test_report.py --screenshot` refreshes docs/images/report.png from the demo check run.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.ansible_run import run_playbook, write_inventory

CONTROL_IDS = [
    "password_policy",
    "root_access_keys",
    "root_mfa",
    "root_usage",
    "user_mfa",
    "access_key_rotation",
    "console_access_unused",
    "initial_access_keys",
    "admin_group",
    "iam_users",
    "support_role",
    "server_certificates",
    "group_permissions",
    "admin_policies",
    "cloudshell_access",
    "root_credentials_management",
    "security_contact",
    "access_analyzer",
]
FINDING_CONTROLS = {
    "root_access_keys",
    "root_mfa",
    "root_usage",
    "user_mfa",
    "access_key_rotation",
    "group_permissions",
    "admin_policies",
    "cloudshell_access",
    "console_access_unused",
    "initial_access_keys",
    "access_analyzer",
}
ROOT_USAGE_DAYS = 1  # root_key_check's default root_usage_days; the role does not set it
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The demo cycle is a module-scoped fixture: keep the module on one worker under `pytest -n --dist loadgroup`.
pytestmark = pytest.mark.xdist_group("report_demo_cycle")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install -y chromium)"
)


def load_json(directory: Path) -> dict:
    return json.loads((directory / "accountguard-report-latest.json").read_text())


def report_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith("accountguard-report-"))


def cells(report: dict):
    for account in report["accounts"]:
        for cid, cell in account["controls"].items():
            yield account, cid, cell


# -- 1. synthetic playbook ----------------------------------------------------------------------------------------
SYNTHETIC_TASKS = """
- name: Account guard
  ansible.builtin.assert:
    that: guard_ok | bool
    fail_msg: "caller is not in account {{ aws_account_id }}"
  tags: [always]
- name: Controls
  block:
    - name: Enforce the password policy
      ansible.builtin.debug:
        msg: would set the policy
      changed_when: true
      tags: [password_policy]
    - name: Check root and users
      ansible.builtin.debug:
        var: findings
      vars:
        findings:
          - {id: root_mfa, status: fail, resource: "arn:aws:iam::{{ aws_account_id }}:root", message: no MFA, cis: []}
          - {id: user_mfa, status: pass, resource: "arn:aws:iam::{{ aws_account_id }}:user/a", message: ok, cis: []}
      tags: [root_mfa, user_mfa]
    - name: Create users (secrets inside)
      ansible.builtin.debug:
        msg: "initial password {{ secret_password }}"
      changed_when: true
      no_log: true
      tags: [iam_users]
    - name: Switched-off control
      ansible.builtin.debug:
        msg: never
      when: false
      tags: [admin_group]
"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    base = tmp_path_factory.mktemp("synthetic")
    (base / "tasks.yml").write_text(SYNTHETIC_TASKS)
    play = [
        {
            "name": "synthetic baseline",
            "hosts": "all",
            "connection": "local",
            "gather_facts": False,
            "tasks": [{"name": "Controls", "ansible.builtin.import_tasks": str(base / "tasks.yml")}],
        }
    ]
    (base / "play.yml").write_text(yaml.safe_dump(play))
    inventory = {
        "all": {
            "vars": {"secret_password": "Zq8#synthetic-Secret!"},
            "hosts": {
                "good": {"aws_account_id": "111111111111", "aws_account_name": "Good", "guard_ok": True},
                "bad": {"aws_account_id": "222222222222", "guard_ok": False},
            },
        }
    }
    (base / "inventory.yml").write_text(yaml.safe_dump(inventory))
    return base


def run_synthetic(base: Path, name: str, *args: str):
    out = base / name
    result = run_playbook(
        base / "play.yml",
        inventory=base / "inventory.yml",
        check=True,
        env={"ACCOUNTGUARD_REPORT_DIR": str(out)},
        args=list(args),
    )
    return result, out


def test_real_run_attribution_beside_a_json_stdout_callback(synthetic):
    result, out = run_synthetic(synthetic, "all")
    assert result.rc == 2, result.stderr  # the bad account's guard failed
    assert result.data.get("stats"), "the report callback must not disturb the stdout callback's JSON"
    assert f"accountguard.aws.report: {out}" in result.stderr

    report = load_json(out)
    assert report["run"]["mode"] == "check"
    good = next(a for a in report["accounts"] if a["host"] == "good")
    bad = next(a for a in report["accounts"] if a["host"] == "bad")
    assert (good["account_id"], good["name"]) == ("111111111111", "Good")
    statuses = {cid: c["status"] for cid, c in good["controls"].items()}
    assert statuses == {
        "password_policy": "drift",
        "root_access_keys": "skipped",
        "root_mfa": "drift",
        "root_usage": "skipped",
        "user_mfa": "compliant",
        "access_key_rotation": "skipped",
        "console_access_unused": "skipped",
        "initial_access_keys": "skipped",
        "admin_group": "skipped",
        "iam_users": "drift",
        "support_role": "skipped",
        "server_certificates": "skipped",
        "group_permissions": "skipped",
        "admin_policies": "skipped",
        "cloudshell_access": "skipped",
        "root_credentials_management": "skipped",
        "security_contact": "skipped",
        "access_analyzer": "skipped",
    }
    assert good["controls"]["iam_users"]["changes"][0]["censored"] is True
    assert {c["status"] for c in bad["controls"].values()} == {"failed"}
    assert bad["controls"]["root_mfa"]["errors"][0]["message"] == "caller is not in account 222222222222"
    for path in report_files(out):
        assert "Zq8#synthetic-Secret!" not in path.read_text(), path


def test_real_run_with_tags_reports_only_the_selected_control(synthetic):
    result, out = run_synthetic(synthetic, "tags", "--tags", "user_mfa", "--limit", "good")
    assert result.rc == 0, result.stderr
    controls = load_json(out)["accounts"][0]["controls"]
    assert controls["user_mfa"]["status"] == "compliant"
    # the task covering root_mfa ran too, but root_mfa was not asked for
    assert controls["root_mfa"]["status"] == "skipped"
    assert controls["password_policy"]["status"] == "skipped"


HOSTILE_NAME = "[x](http://evil.example) <b>*bold*</b> | ![i](http://evil.example/i.png)"


def test_a_hostile_account_name_stays_text_in_the_markdown(synthetic, tmp_path):
    inventory = yaml.safe_load((synthetic / "inventory.yml").read_text())
    inventory["all"]["hosts"]["good"]["aws_account_name"] = HOSTILE_NAME
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    out = tmp_path / "reports"
    result = run_playbook(
        synthetic / "play.yml",
        inventory=tmp_path / "inventory.yml",
        check=True,
        env={"ACCOUNTGUARD_REPORT_DIR": str(out)},
        args=["--limit", "good"],
    )
    assert result.rc == 0, result.stderr[-3000:]
    assert load_json(out)["accounts"][0]["name"] == HOSTILE_NAME
    md = (out / "accountguard-report-latest.md").read_text()
    # the reader sees exactly the name (escapes undone), in the matrix and in the details' heading
    assert re.sub(r"\\(.)", r"\1", md).count(HOSTILE_NAME) >= 2
    assert "](http" not in md and "<b>" not in md and "http://" not in md
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<a " not in rendered and "<img" not in rendered and "<b>" not in rendered and "<em>" not in rendered
    row = next(line for line in md.splitlines() if line.startswith("| ") and "111111111111" in line)
    assert row.count(" | ") == len(CONTROL_IDS)


# -- 2. runs that stop before any control ------------------------------------------------------------------------
def test_a_run_where_every_host_fails_before_any_control_writes_the_latest_report(emulator, tmp_path):
    out = tmp_path / "reports"
    # what an earlier run left: its latest files, one of a format this run will not write
    earlier = run_synthetic_into(out)
    assert (out / "accountguard-report-latest.html").exists()
    emulator.deny_assume_role("222222222222")
    hosts = {
        # no role: the controller's credentials act in the emulator's own account, not this one
        "wrong": {"aws_account_id": "111111111111", "aws_account_name": "Wrong"},
        "denied": {
            "aws_account_id": "222222222222",
            "baseline_role_arn": "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
        },
    }
    inventory = write_inventory(tmp_path / "inventory.yml", hosts, baseline_credentials_dir=str(tmp_path / "creds"))
    result = run_playbook(
        ROOT / "playbooks" / "baseline.yml",
        inventory=inventory,
        check=True,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(out), "ACCOUNTGUARD_REPORT_FORMATS": "json,markdown"},
    )
    assert result.rc == 2, result.stderr[-3000:]
    assert {host: result.stats()[host]["failures"] for host in hosts} == {"wrong": 1, "denied": 1}
    assert emulator.requests(writes_only=True) == []

    report = load_json(out)
    assert report["run"]["id"] != earlier["run"]["id"]
    assert f"accountguard-report-{report['run']['id']}.json" in {p.name for p in report_files(out)}
    # latest is this run's, whole: the earlier run's HTML and JUnit no longer pass for the last run
    assert sorted(p.name for p in out.glob("accountguard-report-latest.*")) == [
        "accountguard-report-latest.json",
        "accountguard-report-latest.md",
    ]
    accounts = {a["host"]: a for a in report["accounts"]}
    assert set(accounts) == set(hosts)
    for host, account in accounts.items():
        assert {c["status"] for c in account["controls"].values()} == {"failed"}, host
        assert account["drift"] is None  # the drift gate never ran
    wrong = accounts["wrong"]["controls"]["password_policy"]["errors"][0]["message"]
    assert "account guard" in wrong and "123456789012" in wrong and "111111111111" in wrong
    # a failed session names the AWS error in the cell
    denied = accounts["denied"]["controls"]["root_mfa"]["errors"][0]["message"]
    assert "AccessDenied" in denied and "AssumeRole" in denied and "assume the role" in denied
    md = (out / "accountguard-report-latest.md").read_text()
    assert "AccessDenied" in md and "failed" in md
    secret = emulator.env().get("AWS_SECRET_ACCESS_KEY")
    for path in out.iterdir():
        assert not secret or secret not in path.read_text(), path


def run_synthetic_into(out: Path) -> dict:
    """A finished run of the synthetic playbook into `out` (all four formats), for a later run to replace."""
    base = Path(tempfile.mkdtemp(prefix="synthetic-"))
    (base / "tasks.yml").write_text(SYNTHETIC_TASKS)
    play = [
        {
            "hosts": "all",
            "connection": "local",
            "gather_facts": False,
            "tasks": [{"name": "Controls", "ansible.builtin.import_tasks": str(base / "tasks.yml")}],
        }
    ]
    (base / "play.yml").write_text(yaml.safe_dump(play))
    inventory = {
        "all": {
            "vars": {"secret_password": "x"},
            "hosts": {"good": {"aws_account_id": "111111111111", "guard_ok": True}},
        }
    }
    (base / "inventory.yml").write_text(yaml.safe_dump(inventory))
    result = run_playbook(
        base / "play.yml", inventory=base / "inventory.yml", check=True, env={"ACCOUNTGUARD_REPORT_DIR": str(out)}
    )
    assert result.rc == 0, result.stderr[-3000:]
    shutil.rmtree(base)
    return load_json(out)


# -- 3. the demo cycle against the emulator ---------------------------------------------------------------------
def _defaults() -> dict:
    return yaml.safe_load((ROOT / "roles" / "baseline" / "defaults" / "main.yml").read_text())


def _declared_users() -> list[dict]:
    group_vars = yaml.safe_load((ROOT / "inventories" / "demo" / "group_vars" / "aws_accounts.yml").read_text())
    return group_vars["baseline_users"]


_API_NAMES = {
    "minimum_password_length": "MinimumPasswordLength",
    "require_symbols": "RequireSymbols",
    "require_numbers": "RequireNumbers",
    "require_uppercase": "RequireUppercaseCharacters",
    "require_lowercase": "RequireLowercaseCharacters",
    "allow_users_to_change_password": "AllowUsersToChangePassword",
    "max_password_age": "MaxPasswordAge",
    "password_reuse_prevention": "PasswordReusePrevention",
    "hard_expiry": "HardExpiry",
}


def _demo_group_vars() -> dict:
    path = Path(__file__).resolve().parents[2] / "inventories" / "demo" / "group_vars" / "aws_accounts.yml"
    return yaml.safe_load(path.read_text())


def _declared_users() -> list[dict]:
    """baseline_users of the demo inventory."""
    return _demo_group_vars()["baseline_users"]


def expected_deviations(spec: dict, account_id: str, *, management: bool = False) -> dict:
    """control -> the resources of its failing findings (empty set for enforcing controls), from the seed alone.
    A member account's root credentials that the demo inventory removes (baseline_root_remove_credentials) make
    their control drift under --check even where its findings pass: the apply would change them."""
    defaults = _defaults()
    root_arn = f"arn:aws:iam::{account_id}:root"
    user_arn = f"arn:aws:iam::{account_id}:user/{{}}".format
    out = {}

    policy = spec.get("password_policy")
    wanted = defaults["baseline_password_policy"]
    if policy is None or any(policy.get(api) != wanted[opt] for opt, api in _API_NAMES.items()):
        out["password_policy"] = set()

    root = spec["root"]
    if root["access_keys"] and not defaults["baseline_root_allow_inactive_keys"]:
        out["root_access_keys"] = {root_arn}
    if root["mfa"] == "none" or (root["mfa"] == "virtual" and defaults["baseline_root_require_hardware_mfa"]):
        out["root_mfa"] = {root_arn}
    used = [root.get("password_last_used_days_ago")] + [k.get("last_used_days_ago") for k in root["access_keys"]]
    if any(days is not None and days < ROOT_USAGE_DAYS for days in used):
        out["root_usage"] = {root_arn}
    if not management:
        remove = _demo_group_vars().get("baseline_root_remove_credentials") or []
        has_password = root.get("password", root.get("password_last_used_days_ago") is not None)
        if ("access_keys" in remove and root["access_keys"]) or (
            "signing_certificates" in remove and root.get("signing_certificates")
        ):
            out.setdefault("root_access_keys", set())
        if ("login_profile" in remove and has_password) or ("mfa_devices" in remove and root["mfa"] != "none"):
            out.setdefault("root_mfa", set())

    no_mfa = {user_arn(u["name"]) for u in spec["users"] if u.get("console") and not u.get("mfa")}
    # declared console users the seed lacks: the apply would create them without MFA, and the check says so
    seeded = {u["name"] for u in spec["users"]}
    no_mfa |= {user_arn(u["name"]) for u in _declared_users() if u.get("console_access") and u["name"] not in seeded}
    if no_mfa:
        out["user_mfa"] = no_mfa

    stale = set()
    for user in spec["users"]:
        active = [k for k in user.get("access_keys", []) if k.get("active", True)]
        for key in active:
            unused = key["last_used_days_ago"] if key.get("last_used_days_ago") is not None else key["created_days_ago"]
            if (
                key["created_days_ago"] > defaults["baseline_access_key_max_age_days"]
                or unused >= defaults["baseline_access_key_max_unused_days"]
                or len(active) > defaults["baseline_access_key_max_active"]
            ):
                stale.add(user_arn(user["name"]))
    if stale:
        out["access_key_rotation"] = stale

    # No seeded account has a role with AWSSupportAccess (the demo inventory's baseline_support_role creates it).
    out["support_role"] = {root_arn}
    expired = {
        f"arn:aws:iam::{account_id}:server-certificate/{cert['name']}"
        for cert in spec.get("server_certificates", [])
        if cert["not_after_days"] <= 0
    }
    if expired:
        out["server_certificates"] = expired
    own = {user_arn(u["name"]) for u in spec["users"] if u.get("managed_policies")}
    if own:
        out["group_permissions"] = own
    role_arn = f"arn:aws:iam::{account_id}:role/{{}}".format
    roles = spec.get("roles", [])
    # the seed's customer policies are all full administrator policies; no AWS managed one is AdministratorAccess
    admins = {role_arn(r["name"]) for r in roles if r.get("customer_policies")}
    if admins:
        out["admin_policies"] = admins
    shell = {
        role_arn(r["name"]) for r in roles if any("AWSCloudShellFullAccess" in a for a in r.get("managed_policies", []))
    }
    if shell:
        out["cloudshell_access"] = shell
    # console passwords: the seed sets them now, so only a sign-in long ago makes one unused
    unused = {
        user_arn(u["name"])
        for u in spec["users"]
        if u.get("console")
        and (u.get("password_last_used_days_ago") or 0) >= defaults["baseline_console_access_max_unused_days"]
    }
    if unused:
        out["console_access_unused"] = unused
    setup_keys = {
        user_arn(u["name"])
        for u in spec["users"]
        if u.get("console")
        and any(k.get("active", True) and k.get("last_used_days_ago") is None for k in u.get("access_keys", []))
    }
    if setup_keys:
        out["initial_access_keys"] = setup_keys

    # The demo inventory declares a security contact: a missing one fails, a different one would be replaced.
    declared = _demo_group_vars()["baseline_security_contact"]
    contact = spec.get("security_contact")
    if contact is None:
        out["security_contact"] = {root_arn}
    elif (contact["Name"], contact["Title"], contact["EmailAddress"], contact["PhoneNumber"]) != (
        declared["name"],
        declared["title"],
        declared["email"],
        declared["phone"],
    ):
        out["security_contact"] = set()
    # The check's region (us-east-1) needs an active external access analyzer (type ACCOUNT or ORGANIZATION).
    if not any(
        a["region"] == "us-east-1" and a["type"] in ("ACCOUNT", "ORGANIZATION") for a in spec.get("analyzers", [])
    ):
        out["access_analyzer"] = {f"arn:aws:access-analyzer:us-east-1:{account_id}:analyzer"}

    # Nothing in the seed creates the administrators group or the declared users' tags and memberships.
    out["admin_group"] = set()
    seeded = {u["name"] for u in spec["users"]}
    if any(u["name"] not in seeded or u.get("tags") or u.get("groups") for u in _declared_users()):
        out["iam_users"] = set()
    return out


def demo_accepted(accounts: dict) -> set:
    """(account id, control) pairs the demo's exceptions file accepts: its entries name an OU and a control,
    with an ARN pattern of any account, and expire long after any run of this test."""
    data = yaml.safe_load((ROOT / "inventories" / "demo-exceptions.yml").read_text())
    pairs = set()
    for entry in data["exceptions"]:
        assert entry["account"].startswith("ou:") and entry["resource"].startswith("arn:aws:iam::*:"), entry
        assert str(entry["expires"]) > "2090", entry
        ou_path = entry["account"][3:]
        pairs |= {(acct, entry["control"]) for acct, spec in accounts.items() if spec.get("ou_path") == ou_path}
    return pairs


def act_as_the_person(emulator, account_id: str, management: bool) -> None:
    """What no API call of the baseline can do: on the management account (sts:AssumeRoot cannot target it) root
    keys deleted and root MFA enrolled by someone signed in as root, root left alone (the member accounts' root
    credentials are the apply's, through sts:AssumeRoot); every console user enrolling an MFA device at first
    sign-in and using the access key they were given (initial_access_keys only reports), and the report-only
    policy findings settled by a person: users' own policies and full administrator role policies detached."""
    if management:
        emulator.set_root(account_id, access_keys=[], mfa="hardware", password_last_used_days_ago=None)
    iam = emulator.client("iam", account_id)
    for user in iam.list_users()["Users"]:
        for policy in iam.list_attached_user_policies(UserName=user["UserName"])["AttachedPolicies"]:
            iam.detach_user_policy(UserName=user["UserName"], PolicyArn=policy["PolicyArn"])
    for policy in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]:
        for role in iam.list_entities_for_policy(PolicyArn=policy["Arn"])["PolicyRoles"]:
            iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=policy["Arn"])
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        try:
            iam.get_login_profile(UserName=name)
        except iam.exceptions.NoSuchEntityException:
            continue
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
            if key["Status"] == "Active" and not used.get("LastUsedDate"):
                emulator.backdate_access_key(account_id, name, key["AccessKeyId"], last_used_days_ago=0)
        if iam.list_mfa_devices(UserName=name)["MFADevices"]:
            continue
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-phone")["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )


def run_demo_baseline(emulator, out: Path, creds: Path, check: bool, fail_on_drift: bool = False):
    return run_playbook(
        ROOT / "playbooks" / "baseline.yml",
        inventory=ROOT / "inventories" / "demo",
        check=check,
        diff=True,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(out)},
        # Stale keys and unused console passwords are something a playbook may fix (deactivate keys, never
        # delete them; remove console passwords of undeclared users) when asked to.
        extra_vars={
            "baseline_credentials_dir": str(creds),
            "baseline_access_keys_deactivate_stale": True,
            "baseline_cloudshell_access_detach": True,
            "baseline_console_access_remove_unused": True,
            "baseline_fail_on_drift": fail_on_drift,
        },
    )


@pytest.fixture(scope="module")
def demo_cycle(emulator_server, tmp_path_factory):
    """check -> apply -> the person's part -> check, each run with its own report directory."""
    from emulator.seed import DEMO

    base = tmp_path_factory.mktemp("demo")
    emulator = emulator_server
    emulator.reset()
    demo = emulator.seed_demo()
    specs = {spec["name"]: spec for spec in DEMO["accounts"]}
    management = demo["management_account_id"]
    # the demo inventory lists the management account too (its host is named after moto's account name)
    accounts = {management: {**DEMO["management"], "name": "master", "ou_path": "Root"}}
    accounts |= {a["id"]: specs[a["name"]] for a in demo["accounts"]}
    creds = base / "credentials"
    # The check runs are what a scheduled CI job runs: with baseline_fail_on_drift, red on drift.
    runs = {
        "check": run_demo_baseline(emulator, base / "check", creds, check=True, fail_on_drift=True),
        "apply": run_demo_baseline(emulator, base / "apply", creds, check=False),
    }
    # ground truth of the apply's root removals, before the person acts
    roots = {account_id: emulator.root_state(account_id) for account_id in accounts}
    for account_id in accounts:
        act_as_the_person(emulator, account_id, management=account_id == management)
    runs["recheck"] = run_demo_baseline(emulator, base / "recheck", creds, check=True, fail_on_drift=True)
    yield {
        "base": base,
        "runs": runs,
        "accounts": accounts,
        "management": management,
        "roots_after_apply": roots,
        "creds": creds,
        "env": emulator.env(),
    }
    emulator.reset()


def test_check_run_lists_exactly_the_seeded_deviations(demo_cycle):
    run = demo_cycle["runs"]["check"]
    # baseline_fail_on_drift turned the run red; the failing gate runs after the controls and changes no cell
    assert run.rc == 2, run.stderr[-3000:]
    report = load_json(demo_cycle["base"] / "check")
    for account in report["accounts"]:
        message = account["errors"][0]["message"] if account["errors"] else ""
        assert len(account["errors"]) == 1 and "baseline_fail_on_drift" in message, account["errors"]
        assert f"account {account['account_id']}: " in message and "drift item(s)" in message, message
    assert report["run"]["mode"] == "check"
    assert {a["account_id"] for a in report["accounts"]} == set(demo_cycle["accounts"])

    expected, actual, accepted = {}, {}, {}
    for account_id, spec in demo_cycle["accounts"].items():
        management = account_id == demo_cycle["management"]
        for cid, resources in expected_deviations(spec, account_id, management=management).items():
            expected[(account_id, cid)] = resources
    # the demo's exceptions file accepts one deviation: its cell is accepted, not drift, and names the exception
    expected_accepted = {pair: expected.pop(pair) for pair in demo_accepted(demo_cycle["accounts"])}
    assert len(expected_accepted) == 1 and all(expected_accepted.values())
    for account, cid, cell in cells(report):
        if cid == "root_credentials_management" and account["account_id"] != demo_cycle["management"]:
            # checked once, on the management account's host; the inventory says the others are members
            assert cell["status"] == "skipped" and "aws_management_account" in cell["reason"], cell
            continue
        assert cell["status"] in ("compliant", "drift", "accepted"), (account["host"], cid, cell)
        if cell["status"] == "accepted":
            accepted[(account["account_id"], cid)] = {f["resource"] for f in cell["findings"] if f["status"] != "pass"}
            assert cell["exception"]["owner"] and cell["exception"]["reason"] and cell["exception"]["ticket"]
            assert all(f["status"] == "accepted" for f in cell["findings"] if f["status"] != "pass")
        elif cell["status"] == "drift":
            actual[(account["account_id"], cid)] = {f["resource"] for f in cell["findings"] if f["status"] == "fail"}
            if cid not in FINDING_CONTROLS:
                # an enforcing control drifts because a task would change something: the report says which task
                assert cell["changes"], (account["host"], cid)
            if cid in ("password_policy", "admin_group", "iam_users"):
                # our enforcing modules return a diff, so the report shows field by field what would change
                assert all(c["fields"] for c in cell["changes"]), (account["host"], cid, cell["changes"])
            for found in cell["findings"]:
                assert found["id"] == cid and found["message"] and found["cis"]
        else:
            assert all(f["status"] == "pass" for f in cell["findings"]), (account["host"], cid)
    assert actual == expected
    assert accepted == expected_accepted
    assert report["summary"]["drifted_pairs"] == len(expected)
    assert report["summary"]["accepted_pairs"] == 1
    assert report["run"]["exceptions"]["files"] == [str(ROOT / "inventories" / "demo-exceptions.yml")]
    assert report["run"]["exceptions"]["unused"] == report["run"]["exceptions"]["expired"] == []

    # the password policy drift names the fields, e.g. the length the seed weakened
    prod_id = next(i for i, spec in demo_cycle["accounts"].items() if spec["name"] == "prod")
    prod = next(a for a in report["accounts"] if a["account_id"] == prod_id)
    fields = {f["field"] for c in prod["controls"]["password_policy"]["changes"] for f in c["fields"]}
    assert "minimum_password_length" in fields


def test_junit_failures_equal_drifted_pairs(demo_cycle):
    out = demo_cycle["base"] / "check"
    report = load_json(out)
    root = ET.parse(out / "accountguard-report-latest.xml").getroot()
    failures = root.findall("./testsuite/testcase/failure")
    assert len(failures) == int(root.get("failures")) == report["summary"]["drifted_pairs"] > 0
    assert len(root.findall("./testsuite/testcase")) == len(demo_cycle["accounts"]) * len(CONTROL_IDS)
    drifted = {(a["account_id"], cid) for a, cid, c in cells(report) if c["status"] == "drift"}
    failing = {
        (case.get("classname").split(".", 1)[1], case.get("name").split(":", 1)[0])
        for case in root.findall("./testsuite/testcase")
        if case.find("failure") is not None
    }
    assert failing == drifted


def test_apply_run_reports_changes(demo_cycle):
    run = demo_cycle["runs"]["apply"]
    assert run.rc == 0, run.stderr[-3000:]
    report = load_json(demo_cycle["base"] / "apply")
    assert report["run"]["mode"] == "apply"
    management = demo_cycle["management"]
    for account in report["accounts"]:
        expected = expected_deviations(
            demo_cycle["accounts"][account["account_id"]],
            account["account_id"],
            management=account["account_id"] == demo_cycle["management"],
        )
        for cid in ("password_policy", "admin_group", "iam_users"):
            status = account["controls"][cid]["status"]
            assert status == ("changed" if cid in expected else "compliant"), (account["host"], cid)
        keys = account["controls"]["root_access_keys"]
        if account["account_id"] == management:
            # sts:AssumeRoot cannot target the management account: its root key is still a person's, and drift
            assert keys["status"] == "drift" and keys["findings"][0]["status"] == "fail"
            assert demo_cycle["roots_after_apply"][management]["access_keys"]
        else:
            # the member accounts' root credentials went through sts:AssumeRoot (baseline_root_remove_credentials)
            assert keys["status"] == "changed" and [f["status"] for f in keys["findings"]] == ["pass"]
            root = demo_cycle["roots_after_apply"][account["account_id"]]
            assert (root["access_keys"], root["password"], root["signing_certificates"]) == ([], False, [])
            assert account["controls"]["root_mfa"]["findings"][0]["status"] == "pass"


def test_after_apply_and_the_persons_part_every_account_is_compliant(demo_cycle):
    run = demo_cycle["runs"]["recheck"]
    assert run.rc == 0, run.stderr[-3000:]
    out = demo_cycle["base"] / "recheck"
    report = load_json(out)
    members = [a for a in report["accounts"] if a["account_id"] != demo_cycle["management"]]
    not_compliant = [(a["host"], cid, c["status"]) for a, cid, c in cells(report) if c["status"] != "compliant"]
    # Every account is compliant, the Organization checked once on its management account's host
    assert not_compliant == [(a["host"], "root_credentials_management", "skipped") for a in members]
    assert report["summary"]["compliant"] and report["summary"]["complete"]
    assert int(ET.parse(out / "accountguard-report-latest.xml").getroot().get("failures")) == 0
    assert "every account is compliant" in (out / "accountguard-report-latest.md").read_text()
    # the person detached the dev role's administrator policy: the demo's exception matched nothing, so unused
    assert [(e["index"], e["control"]) for e in report["run"]["exceptions"]["unused"]] == [(0, "admin_policies")]


def test_the_files_say_what_the_console_says(demo_cycle):
    """Per account, the JSON and the Markdown carry the drift gate's drift items (with what fixes them), its
    "only a person can" list and its "reported, not changed" notes, line for line as on the console."""
    run = demo_cycle["runs"]["check"]
    out = demo_cycle["base"] / "check"
    report = load_json(out)
    markdown = re.sub(r"\\(.)", r"\1", (out / "accountguard-report-latest.md").read_text())
    declared = {u["name"] for u in _declared_users()}
    for account in report["accounts"]:
        console = run.task_results(account["host"])[-1]["msg"]
        assert console[0] == f"account {account['account_id']}: {len(account['drift'])} drift item(s)"
        reported = console.index("reported, not changed:")
        management = account["account_id"] == demo_cycle["management"]
        # centralized root access is on: only the management account's root needs a person
        person = console.index("only a person can:") if management else reported
        assert ("only a person can:" in console) is management
        drift_lines = [f"{d['control']}: {d['message']}" for d in account["drift"]]
        end = next((i for i, line in enumerate(console) if line.startswith("accepted by an exception")), person)
        assert console[1:end] == drift_lines[:20] + (
            [f"... and {len(drift_lines) - 20} more"] if len(drift_lines) > 20 else []
        )
        accepted_lines = [
            f"{a['control']}: {a['message']} (exception #{a['exception']['index']}, {a['exception']['owner']}, "
            f"until {a['exception']['expires']})"
            for a in account["accepted"]
        ]
        assert console[end + 1 : person] == accepted_lines
        assert account["manual"] == console[person + 1 : reported] and bool(account["manual"]) is management
        notes = [f"{n['control']}: {n['message']}" for n in account["reported"]]
        assert notes == [line for line in console[reported + 1 :] if not line.startswith("(failed because")]
        undeclared = {u["name"] for u in demo_cycle["accounts"][account["account_id"]]["users"]} - declared
        assert any(n["fix_variable"] == "baseline_users_purge" for n in account["reported"]) is bool(undeclared)
        # the same drift, per cell: every drifted control of the account has a drift item, and back
        drifted = {cid for cid, c in account["controls"].items() if c["status"] == "drift"}
        assert {d["control"] for d in account["drift"]} == drifted
        for d in account["drift"]:
            if d["control"] in ("root_access_keys", "root_mfa", "root_usage") and management:
                assert d["manual"] and d["fix_variable"] is None
            elif d["control"] in ("root_access_keys", "root_mfa", "root_usage"):
                # a member account's root: the demo inventory's removal through sts:AssumeRoot, no person
                assert not d["manual"] and d["fix_variable"] == "baseline_root_remove_credentials", d
            if d["control"] == "access_key_rotation" and "days" in d["message"]:
                assert d["fix_variable"] == "baseline_access_keys_deactivate_stale", d
        shown = account["manual"] + [f"`{n['control']}`: {n['message']}" for n in account["reported"]]
        shown += [f"`{d['control']}`: {d['message']}" for d in account["drift"]]
        shown += [f"`{a['control']}`: {a['message']}" for a in account["accepted"]]
        for line in shown:
            assert line in markdown, line
    assert "Only a person can:" in markdown and "Reported, not changed:" in markdown
    assert "Accepted by an exception (1 item(s)):" in markdown
    assert "baseline_access_keys_deactivate_stale" in markdown and "baseline_users_purge" in markdown
    # the administrators group the seed does not have is created, not a list of nulls
    assert "would create" in markdown and "group_name: null" not in markdown


def _secrets_from(creds: Path) -> set:
    secrets = set()
    for path in creds.rglob("*.json"):
        data = json.loads(path.read_text())
        for key, value in data.items():
            if isinstance(value, str) and re.search(r"password|secret", key, re.IGNORECASE):
                secrets.add(value)
    return secrets


def test_no_secret_in_any_report_file(demo_cycle):
    secrets = _secrets_from(demo_cycle["creds"])
    assert len(secrets) >= 2, "the apply run should have written initial passwords and secret access keys"
    env = demo_cycle["env"]
    secrets |= {env[k] for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if env.get(k)}
    files = [p for run in ("check", "apply", "recheck") for p in report_files(demo_cycle["base"] / run)]
    assert len(files) == 3 * 8
    for path in files:
        text = path.read_text()
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path.name} holds a secret"
        # session credentials of the assumed roles are never known to the test: look for their shape
        assert not re.search(r"FQoGZXIvYXdz|IQoJb3JpZ2lu", text), path.name


# -- 4. the HTML page in headless Chromium -----------------------------------------------------------------------
def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    # Chromium logs every console message (errors, uncaught exceptions, CSP violations) as INFO:CONSOLE.
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@needs_chromium
def test_console_detection_works(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><script>undefined_function();</script><img src="http://x.invalid/a.png"></body></html>'
    )
    proc = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert any("undefined_function" in line for line in console_messages(proc.stderr)), proc.stderr[-2000:]


@needs_chromium
def test_html_report_opens_in_chromium_without_console_messages(demo_cycle, tmp_path):
    page = demo_cycle["base"] / "check" / "accountguard-report-latest.html"
    report = load_json(demo_cycle["base"] / "check")
    account, cid, _cell = next((a, c, cell) for a, c, cell in cells(report) if cell["status"] == "drift")
    anchor = f"#d-{account['host']}-{cid}"
    proc = chromium(tmp_path, "--dump-dom", page.as_uri() + anchor)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    dom = proc.stdout
    assert dom.count('class="cell s-') == len(report["accounts"]) * len(CONTROL_IDS)
    assert f'id="{anchor[1:]}"' in dom
    shot = tmp_path / "shot.png"
    proc = chromium(
        tmp_path, "--hide-scrollbars", "--window-size=1400,900", f"--screenshot={shot}", page.as_uri() + anchor
    )
    assert console_messages(proc.stderr) == []
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The demo's own matrix fits a 1,400 px window as the realistic one of 18 controls does (below).
    layout = matrix_layout(tmp_path, page, MATRIX_WIDTH)
    assert len(layout["labels"]) == len(CONTROL_IDS), layout
    assert layout["page"] <= layout["viewport"] and layout["box_scroll"] <= layout["box_client"], layout


# -- the matrix's layout, measured --------------------------------------------------------------------------------
# The page runs no script (its CSP forbids one), so a harness page of the test's own frames it at the window width
# and measures it from outside: Chromium lets a file:// page read a file:// frame's DOM with
# --allow-file-access-from-files. The frame is the report's viewport, vertical scrollbar included.
MATRIX_WIDTH = 1400
# The controls to come (issues 14 and 15) with their family and label, so the layout is proven at 18 columns
# before they land; one that CONTROLS and FAMILIES already have is taken from there instead.
UPCOMING = {
    "root_credentials_management": ("Root user", "Central root", "Centralized root access", ["cis-aws-7.0:2.1.1"]),
    "security_contact": ("Account", "Security contact", "Security alternate contact", ["cis-aws-7.0:2.3"]),
    "access_analyzer": ("Account", "Access Analyzer", "IAM Access Analyzer in every region", ["cis-aws-7.0:2.18"]),
}
# Realistic Organization account names (AWS allows 50 characters) and OU paths.
ACCOUNTS = [
    ("organization-management-and-consolidated-billing", "Root"),
    ("payments-production-eu-central-1", "Root/Workloads/Production/Payments"),
    ("Shared Services Network Hub", "Root/Infrastructure/Shared Services"),
    ("data-platform-analytics-prod", "Root/Workloads/Production/Data"),
    ("security-tooling", "Root/Security"),
    ("log-archive", "Root/Security"),
    ("sandbox-jane.doe-experiments", "Root/Sandbox/Individuals"),
    ("identity-center-delegated-admin", "Root/Security"),
    ("ml-training-gpu-us-east-1", "Root/Workloads/Research"),
    ("legacy-erp-migration-2019", "Root/Suspended/Migration"),
]
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="report" src="%(src)s" style="border:0;width:%(width)dpx;height:%(height)dpx"></iframe>
<script>
window.addEventListener("load", () => {
  const doc = document.getElementById("report").contentDocument, root = doc.documentElement;
  const wrap = doc.querySelector(".matrix-wrap"), table = doc.querySelector("table.matrix");
  const box = (el) => el.getBoundingClientRect();
  const labels = [...table.querySelectorAll("thead tr.ctl th")];
  const m = {
    viewport: root.clientWidth, page: root.scrollWidth,
    table_right: box(table).right, box_client: wrap.clientWidth, box_scroll: wrap.scrollWidth,
    families: [...table.querySelectorAll("thead tr.fam th[colspan]")].map((th) => th.textContent),
    labels: labels.map((th) => th.textContent),
    clipped: labels.filter((th) => th.scrollWidth > th.clientWidth).map((th) => th.textContent),
  };
  // Scroll the matrix's own box to its far corner: the account column and the header must stay in view.
  wrap.scrollLeft = wrap.scrollWidth; wrap.scrollTop = wrap.scrollHeight;
  const acct = table.querySelector("tbody th.acct"), label = labels[labels.length - 1];
  m.scrolled = {left: wrap.scrollLeft, top: wrap.scrollTop,
    account_left: box(acct).left - box(wrap).left, header_top: box(label).top - box(wrap).top,
    page_x: doc.defaultView.scrollX};
  document.body.setAttribute("data-layout", JSON.stringify(m));
});
</script></body></html>
"""


def realistic_report(target: Path) -> dict:
    """A check report of ACCOUNTS by 18 controls (compliant, drift, failed, skipped, one account unreachable),
    rendered into `target`."""
    from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, FAMILIES, cis_ids
    from ansible_collections.accountguard.aws.plugins.plugin_utils import _report

    controls = {cid: {"title": c["title"], "cis": cis_ids(cid)} for cid, c in CONTROLS.items()}
    families = {family: dict(labels) for family, labels in FAMILIES.items()}
    for cid, (family, label, title, cis) in UPCOMING.items():
        if cid not in controls:
            controls[cid] = {"title": title, "cis": cis}
            families.setdefault(family, {})[cid] = label
    builder = _report.ReportBuilder(controls)
    outcomes = ["ok", "changed", "failed", "skipped", "ok"]
    for i, (name, ou_path) in enumerate(ACCOUNTS):
        host = re.sub(r"[^a-z0-9-]", "-", name.lower())
        builder.add_host(host, account_id=f"{123456789012 + i * 1111:012d}", name=name, ou_path=ou_path)
        for j, cid in enumerate(controls):
            builder.add_event(host, f"check {cid}", outcomes[(i + 2 * j) % 5], {}, tags=(cid,), check_mode=True)
    builder.add_event(host, "connect", "unreachable", {"msg": "timed out"})
    report = builder.build(run_id="r", started="s", finished="f", mode="check", diff=True, playbooks=["baseline.yml"])
    target.write_text(_report.render_html(report, families))
    return report


def matrix_layout(tmp_path: Path, page: Path, width: int, height: int = 900) -> dict:
    harness = tmp_path / f"layout-{width}.html"
    harness.write_text(HARNESS % {"src": page.as_uri(), "width": width, "height": height})
    proc = chromium(
        tmp_path,
        "--allow-file-access-from-files",
        f"--window-size={width + 100},{height + 100}",
        "--dump-dom",
        harness.as_uri(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'data-layout="([^"]*)"', proc.stdout)
    assert found, f"the harness measured nothing: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@needs_chromium
def test_a_matrix_of_18_controls_fits_a_1400px_window(tmp_path):
    page = tmp_path / "report.html"
    report = realistic_report(page)
    layout = matrix_layout(tmp_path, page, MATRIX_WIDTH)
    assert len(report["controls"]) == len(layout["labels"]) == 18
    assert layout["families"] == ["Root user", "Users", "Credentials", "Policies", "Account"]
    # Neither the page nor the matrix's box scrolls sideways, and no column label spills out of its cell.
    assert layout["page"] <= layout["viewport"], layout
    assert layout["box_scroll"] <= layout["box_client"], layout
    assert layout["table_right"] <= layout["viewport"], layout
    assert layout["clipped"] == [], layout
    assert layout["scrolled"]["left"] == 0, layout


@needs_chromium
def test_a_narrow_window_scrolls_the_matrix_in_its_box_with_the_account_column_and_header_sticky(tmp_path):
    page = tmp_path / "report.html"
    realistic_report(page)
    layout = matrix_layout(tmp_path, page, 900, height=500)
    # The matrix is wider than the window: its box scrolls (the measurement sees an overflow), the page does not.
    assert layout["box_scroll"] > layout["box_client"], layout
    assert layout["page"] <= layout["viewport"], layout
    scrolled = layout["scrolled"]
    assert scrolled["left"] > 0 and scrolled["top"] > 0 and scrolled["page_x"] == 0, layout
    # Scrolled to the far corner, the account column is still at the box's left edge, the header at its top.
    assert 0 <= scrolled["account_left"] <= 2, layout
    assert 0 <= scrolled["header_top"] <= 40, layout


# -- docs/images/report.png ---------------------------------------------------------------------------------------
def _screenshot() -> int:
    """Run the demo check against a fresh emulator and photograph the HTML page into docs/images/report.png."""
    if CHROMIUM is None:
        print("headless Chromium is not installed (Debian: apt-get install -y chromium)", file=sys.stderr)
        return 1
    from emulator import Emulator

    with Emulator() as emu, tempfile.TemporaryDirectory() as tmp:
        emu.seed_demo()
        out = Path(tmp) / "reports"
        run = run_demo_baseline(emu, out, Path(tmp) / "credentials", check=True)
        if run.rc != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return 1
        report = load_json(out)
        account, cid, _cell = next(
            (a, c, cell) for a, c, cell in cells(report) if cell["status"] == "drift" and c == "password_policy"
        )
        target = ROOT / "docs" / "images" / "report.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page = (out / "accountguard-report-latest.html").as_uri() + f"#d-{account['host']}-{cid}"
        proc = chromium(Path(tmp), "--hide-scrollbars", "--window-size=1400,1000", f"--screenshot={target}", page)
        if console_messages(proc.stderr) or not target.exists():
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--screenshot"]:
        sys.exit(f"usage: {sys.argv[0]} --screenshot")
    os.chdir(ROOT)
    sys.exit(_screenshot())
