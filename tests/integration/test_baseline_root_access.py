"""The baseline over an Organization with centralized root access: the root controls of member accounts come
from an sts:AssumeRoot audit session, baseline_root_remove_credentials removes exactly the listed kinds, the
management account is never targeted, and a refused session fails its account alone.

Ground truth: the emulator's root state (emulator.root_state) and its request log.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from helpers.ansible_run import ROOT, run_playbook, write_inventory
from test_inventory_organizations import create_organization, example_copy

PLAYBOOK = ROOT / "playbooks" / "baseline.yml"
MANAGEMENT = "123456789012"
TASK = "arn:aws:iam::aws:policy/root-task/"
AUDIT = TASK + "IAMAuditRootUserCredentials"
DELETE = TASK + "IAMDeleteRootUserCredentials"
LAYOUT = [("Root/Workloads", "Dev", {}, False), ("Root/Sandbox", "Sandbox Alice", {}, False)]
ROOT_TASK = "Audit the root credentials through sts:AssumeRoot (and remove those listed)"
REPORT_TASK = "Check the root user's access keys and usage"
FULL = {
    "access_keys": [{"active": True, "age_days": 30, "last_used_days_ago": 40, "last_used_service": "s3"}],
    "mfa": "virtual",
    "password": True,
    "password_last_used_days_ago": 40,
    "signing_certificates": [{"active": True, "age_days": 5}],
}
# The rollout controls are not under test here; the checkers that read the credential report stay on.
QUIET = {
    "baseline_password_policy_enabled": False,
    "baseline_admin_group_enabled": False,
    "baseline_iam_users_enabled": False,
    "baseline_users": [],
}


def organization(emulator, features=True):
    ids = create_organization(emulator, LAYOUT)
    if features:
        emulator.enable_root_access()
    members = {"dev": ids["Dev"], "sandbox-alice": ids["Sandbox Alice"]}
    for account in (MANAGEMENT, *members.values()):
        emulator.set_root(account, **FULL)
    return members


def env_for(emulator, tmp_path, **extra):
    return {
        **emulator.env(),
        "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": str(tmp_path / "sts-cache"),
        "ACCOUNTGUARD_REPORT_DIR": str(tmp_path / "reports"),
        "ACCOUNTGUARD_REPORT_FORMATS": "json",
        **extra,
    }


def org_inventory(tmp_path):
    return example_copy(tmp_path, include_management_account=True)


def task(result, host, name):
    return next(r for r in result.task_results(host) if r["_task"].endswith(name))


def gate(result, host):
    return result.task_results(host)[-1]


def assume_root(emulator):
    return [c for c in emulator.requests() if c["action"] == "AssumeRoot"]


def test_features_on_audit_through_assume_root_and_check_writes_nothing(emulator, tmp_path):
    members = organization(emulator)
    before = {account: emulator.root_state(account) for account in (MANAGEMENT, *members.values())}
    extra = {**QUIET, "baseline_root_remove_credentials": ["access_keys", "signing_certificates"]}
    emulator.clear_requests()

    check = run_playbook(
        PLAYBOOK,
        inventory=org_inventory(tmp_path),
        extra_vars=extra,
        check=True,
        diff=True,
        env=env_for(emulator, tmp_path),
    )

    assert check.rc == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    assert {a: emulator.root_state(a) for a in before} == before
    # One audit session per member account, made by the management account; never the management account.
    sessions = assume_root(emulator)
    assert sorted((c["target_principal"], c["task_policy_arn"], c["account_id"]) for c in sessions) == sorted(
        (account, AUDIT, MANAGEMENT) for account in members.values()
    )
    assert MANAGEMENT not in {c["target_principal"] for c in sessions}
    calls = emulator.requests()
    for host, account in members.items():
        live = task(check, host, ROOT_TASK)
        assert live.get("skipped") is not True and live["changed"] is True, live
        found = {f["id"]: f for f in live["findings"]}
        assert set(found) == {"root_access_keys", "root_mfa", "root_usage"}
        assert found["root_access_keys"]["status"] == "fail"
        # --diff names every key and certificate that would go
        would_go = {(item["kind"], item["id"]) for item in live["removals"]}
        assert would_go == {
            *(("access_keys", k["access_key_id"]) for k in before[account]["access_keys"]),
            *(("signing_certificates", c["certificate_id"]) for c in before[account]["signing_certificates"]),
        }
        assert task(check, host, REPORT_TASK).get("skipped") is True
        # the root verdicts come from the session: the account summary (root's only other source) is not read
        assert not [c for c in calls if c["account_id"] == account and c["action"] == "GetAccountSummary"]
        mfa = task(check, host, "Check MFA of the root user and the IAM users")
        assert mfa["root"] is None and not [f for f in mfa["findings"] if f["id"] == "root_mfa"]
        # the drift gate names the variable, not a person
        drift = gate(check, host)
        root_items = [d for d in drift["drift"] if d["control"] == "root_access_keys"]
        assert root_items and all(d["fix_variable"] == "baseline_root_remove_credentials" for d in root_items)
        assert all(not d["manual"] for d in drift["drift"] if d["control"].startswith("root_"))
        assert not any("sign in as the root user" in line for line in drift["manual"]), drift["manual"]
    # The management account keeps today's checks, and the person; the removal is a note naming the step.
    management = next(h for h in check.stats() if h not in members)
    assert task(check, management, REPORT_TASK).get("skipped") is not True
    assert task(check, management, ROOT_TASK).get("skipped") is True
    manual = gate(check, management)["manual"]
    assert any("management account" in line for line in manual), manual
    notes = gate(check, management)["notes"]
    assert any("baseline_root_remove_credentials" in n["message"] and "AssumeRoot" in n["message"] for n in notes)
    # The report carries the same: drift with the variable for the members.
    report = json.loads((tmp_path / "reports" / "accountguard-report-latest.json").read_text())
    by_host = {a["host"]: a for a in report["accounts"]}
    assert set(by_host) == {*members, management}
    for host in members:
        cell = by_host[host]["controls"]["root_access_keys"]
        assert cell["status"] == "drift", cell
        assert any(f["status"] == "fail" for f in cell["findings"])
        fixes = {d["fix_variable"] for d in by_host[host]["drift"] if d["control"] == "root_access_keys"}
        assert fixes == {"baseline_root_remove_credentials"}
        assert by_host[host]["manual"] == []
    assert by_host[management]["manual"]


def test_a_planned_removal_of_access_keys_drifts_only_the_root_access_keys_cell(emulator, tmp_path):
    """The task covers three root controls; a removal of access keys changes root_access_keys alone: root_mfa
    (a password with a virtual device) and root_usage (last used 40 days ago) stay compliant in the report."""
    members = organization(emulator)
    extra = {**QUIET, "baseline_root_remove_credentials": ["access_keys"]}
    emulator.clear_requests()

    check = run_playbook(
        PLAYBOOK,
        inventory=org_inventory(tmp_path),
        extra_vars=extra,
        check=True,
        diff=True,
        env=env_for(emulator, tmp_path),
        args=["--limit", "dev"],
    )

    assert check.rc == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert emulator.requests(writes_only=True) == []
    live = task(check, "dev", ROOT_TASK)
    assert live["changed"] is True and live["changed_controls"] == ["root_access_keys"]
    assert live["controls"] == ["root_access_keys", "root_mfa", "root_usage"]
    report = json.loads((tmp_path / "reports" / "accountguard-report-latest.json").read_text())
    (dev,) = [a for a in report["accounts"] if a["host"] == "dev"]
    cells = dev["controls"]
    assert cells["root_access_keys"]["status"] == "drift", cells["root_access_keys"]
    # the diff of the cell names the key that would go
    (change,) = cells["root_access_keys"]["changes"]
    key_ids = [k["access_key_id"] for k in emulator.root_state(members["dev"])["access_keys"]]
    assert [k["access_key_id"] for k in change["before"]["access_keys"]] == key_ids
    assert change["after"]["access_keys"] == []
    for cid in ("root_mfa", "root_usage"):
        assert cells[cid]["status"] == "compliant", cells[cid]
        assert cells[cid]["changes"] == [] and {f["status"] for f in cells[cid]["findings"]} == {"pass"}
    # the drift gate agrees: root_access_keys would change (and fails), nothing of root_mfa or root_usage
    drift = gate(check, "dev")["drift"]
    assert {d["control"] for d in drift if d["control"].startswith("root_")} == {"root_access_keys"}
    assert any(d["message"] == "would change" for d in drift if d["control"] == "root_access_keys")


def test_removal_deletes_exactly_the_listed_kinds_and_never_the_management_root(emulator, tmp_path):
    members = organization(emulator)
    before = {account: emulator.root_state(account) for account in (MANAGEMENT, *members.values())}
    extra = {**QUIET, "baseline_root_remove_credentials": ["access_keys", "signing_certificates"]}
    inventory = org_inventory(tmp_path)
    emulator.clear_requests()

    apply = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, env=env_for(emulator, tmp_path))

    assert apply.rc == 0, apply.stdout[-3000:] + apply.stderr[-3000:]
    for account in members.values():
        after = emulator.root_state(account)
        assert after["access_keys"] == [] and after["signing_certificates"] == []
        # not listed, so kept
        assert after["password"] is True
        assert (after["mfa"], after["mfa_serial"]) == (before[account]["mfa"], before[account]["mfa_serial"])
    assert emulator.root_state(MANAGEMENT) == before[MANAGEMENT]
    assert MANAGEMENT not in {c["target_principal"] for c in assume_root(emulator)}
    deletes = Counter(
        (c["account_id"], c["action"]) for c in emulator.requests(writes_only=True) if c.get("root_session")
    )
    assert deletes == Counter(
        {(a, action): 1 for a in members.values() for action in ("DeleteAccessKey", "DeleteSigningCertificate")}
    )
    assert all(c.get("root_session") == DELETE for c in emulator.requests(writes_only=True) if c.get("root_session"))
    for host in members:
        found = {f["id"]: f["status"] for f in task(apply, host, ROOT_TASK)["findings"]}
        # keys gone; root still has a password, so MFA still counts (it has a virtual device)
        assert found == {"root_access_keys": "pass", "root_mfa": "pass", "root_usage": "pass"}

    # Removing the password as well leaves a root user without credentials: compliant for all three.
    extra["baseline_root_remove_credentials"] = ["login_profile"]
    again = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, env=env_for(emulator, tmp_path))
    assert again.rc == 0, again.stdout[-3000:]
    for host, account in members.items():
        assert emulator.root_state(account)["password"] is False
        findings = task(again, host, ROOT_TASK)["findings"]
        assert {f["status"] for f in findings} == {"pass"}
        assert any("no password, no access keys and no signing certificates" in f["message"] for f in findings)


def test_features_off_keeps_todays_checks(emulator, tmp_path):
    members = organization(emulator, features=False)
    extra = {**QUIET, "baseline_root_remove_credentials": ["access_keys"]}
    emulator.clear_requests()

    check = run_playbook(
        PLAYBOOK, inventory=org_inventory(tmp_path), extra_vars=extra, check=True, env=env_for(emulator, tmp_path)
    )

    assert check.rc == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert assume_root(emulator) == []
    assert emulator.requests(writes_only=True) == []
    for host in members:
        assert task(check, host, ROOT_TASK).get("skipped") is True
        today = task(check, host, REPORT_TASK)
        assert {f["id"]: f["status"] for f in today["findings"]}["root_access_keys"] == "fail"
        drift = gate(check, host)
        assert any("sign in as the root user" in line for line in drift["manual"])
        assert any("baseline_root_remove_credentials" in n["message"] for n in drift["notes"])


# The worst case for the live audit's cost: two root keys (each used), a password (used), MFA and a certificate.
WORST = {
    "access_keys": [
        {"active": True, "age_days": 30, "last_used_days_ago": 40, "last_used_service": "s3"},
        {"active": False, "age_days": 60, "last_used_days_ago": 50, "last_used_service": "ec2"},
    ],
    "mfa": "virtual",
    "password": True,
    "password_last_used_days_ago": 45,
    "signing_certificates": [{"active": True, "age_days": 5}],
}
BEST = {"mfa": "none"}


def member_calls(emulator, account: str) -> list[dict]:
    """The calls a run made for one member account: in it (its role, its root sessions) and AssumeRoot into it."""
    calls = emulator.requests()
    in_member = [c for c in calls if c["account_id"] == account]
    on_behalf = [c for c in calls if c["action"] == "AssumeRoot" and c["target_principal"] == account]
    return in_member + on_behalf


@pytest.mark.parametrize(
    ("tags", "usage_from"),
    [
        # the whole baseline: the account session reads the credential report for the IAM users' controls
        # anyway, and root_usage takes root's last uses from its <root_account> row
        (None, "credential report"),
        # the root controls alone: no credential report is read, the session reads the last uses live
        ("root_access_keys,root_mfa,root_usage", "live"),
    ],
)
def test_cost_of_the_live_audit_per_member_account(emulator, tmp_path, tags, usage_from):
    """At most 6 API calls more per member account than today's checks, none per IAM user, in the worst case
    (two root keys, a password, MFA and a signing certificate) and the best (a root without credentials)."""
    members = organization(emulator)
    account = members["dev"]
    emulator.create_users(account, [{"name": f"user{i}", "console": True} for i in range(20)])
    inventory = org_inventory(tmp_path)
    args = ["--limit", "dev"] + (["--tags", tags] if tags else [])
    counts = {}
    for case, root in (("best", BEST), ("worst", WORST)):
        emulator.set_root(account, **{"access_keys": [], "password": False, "signing_certificates": [], **root})
        for mode in ("never", "auto"):
            emulator.clear_requests()
            result = run_playbook(
                PLAYBOOK,
                inventory=inventory,
                extra_vars={**QUIET, "baseline_root_access_via_assume_root": mode},
                check=True,
                env=env_for(emulator, tmp_path),
                args=args,
            )
            assert result.rc == 0, result.stdout[-3000:]
            calls = member_calls(emulator, account)
            counts[(case, mode)] = Counter(c["action"] for c in calls)
            if mode == "auto":
                usage = next(f for f in task(result, "dev", ROOT_TASK)["findings"] if f["id"] == "root_usage")
                if case == "worst":
                    # the verdict is there, from the source the case names
                    assert usage["status"] == "pass"
                    assert ("credential report generated at" in usage["message"]) is (usage_from != "live"), usage
    added = {case: counts[(case, "auto")].total() - counts[(case, "never")].total() for case in ("best", "worst")}
    print(f"\nmember account API calls ({tags or 'whole baseline'}):", {k: v.total() for k, v in counts.items()})
    print("added by the live audit:", added)
    assert 0 <= added["best"] <= added["worst"] <= 6 and added["worst"] > 0, (added, counts)
    worst = counts[("worst", "auto")]
    assert worst["AssumeRoot"] == 1
    live_usage = {"GetAccessKeyLastUsed": 2, "GetUser": 1} if usage_from == "live" else {}
    assert {a: worst[a] for a in ("GetAccessKeyLastUsed", "GetUser") if worst[a]} == live_usage
    # nothing per IAM user: the 20 console users cost no root call, and the same user calls in both modes
    per_user = {"GetLoginProfile", "ListAccessKeys", "ListMFADevices", "GetUser", "GetAccessKeyLastUsed"}
    assert {a: n for a, n in counts[("worst", "never")].items() if a in per_user} == {}


def test_a_refused_session_fails_its_account_alone(emulator, tmp_path):
    members = organization(emulator)
    stranger = "444455556666"  # not in the Organization: sts:AssumeRoot refuses it
    hosts = {
        "dev": {"aws_account_id": members["dev"]},
        "stranger": {"aws_account_id": stranger},
        "management": {"aws_account_id": MANAGEMENT},
    }
    for host in ("dev", "stranger"):
        hosts[host]["baseline_role_arn"] = (
            f"arn:aws:iam::{hosts[host]['aws_account_id']}:role/OrganizationAccountAccessRole"
        )
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        hosts,
        baseline_root_access_via_assume_root="always",
        baseline_credentials_dir=str(tmp_path / "credentials"),
        **QUIET,
    )
    emulator.clear_requests()

    result = run_playbook(PLAYBOOK, inventory=inventory, check=True, env=env_for(emulator, tmp_path))

    stats = result.stats()
    assert stats["stranger"]["failures"] == 1, result.stdout[-3000:]
    failed = task(result, "stranger", ROOT_TASK)
    assert "sts:AssumeRoot" in failed["msg"] and "AccessDenied" in failed["msg"] and stranger in failed["msg"]
    assert stats["dev"]["failures"] == 0 and stats["management"]["failures"] == 0
    assert task(result, "dev", ROOT_TASK)["findings"]
    # the management account is recognised by DescribeOrganization (no inventory flag here) and never targeted
    assert task(result, "management", ROOT_TASK).get("skipped") is True
    assert MANAGEMENT not in {c["target_principal"] for c in assume_root(emulator)}


def test_a_bad_removal_list_fails_before_any_aws_call(emulator, tmp_path):
    organization(emulator)
    emulator.clear_requests()
    extra = {**QUIET, "baseline_root_remove_credentials": ["access_keys", "passwords"]}

    result = run_playbook(
        PLAYBOOK, inventory=org_inventory(tmp_path), extra_vars=extra, check=True, env=env_for(emulator, tmp_path)
    )

    assert result.rc != 0
    messages = [r.get("msg", "") for host in result.stats() for r in result.task_results(host) if r.get("failed")]
    assert messages and all("baseline_root_remove_credentials" in m and "passwords" in m for m in messages), messages
    # the inventory read the Organization; no host made a call
    assert {c["service"] for c in emulator.requests()} <= {"organizations"}


def test_root_controls_alone_read_no_credential_report_and_no_account_summary(emulator, tmp_path):
    members = organization(emulator)
    emulator.clear_requests()

    result = run_playbook(
        PLAYBOOK,
        inventory=org_inventory(tmp_path),
        extra_vars=QUIET,
        check=True,
        env=env_for(emulator, tmp_path),
        args=["--tags", "root_access_keys,root_mfa,root_usage", "--limit", "dev"],
    )

    assert result.rc == 0, result.stdout[-3000:]
    calls = [c for c in emulator.requests() if c["account_id"] == members["dev"]]
    actions = {c["action"] for c in calls}
    assert not actions & {"GenerateCredentialReport", "GetCredentialReport", "GetAccountSummary"}, actions
    assert {c["action"] for c in calls if c.get("root_session") == AUDIT} == {
        "ListAccessKeys",
        "GetAccessKeyLastUsed",
        "GetLoginProfile",
        "GetUser",
        "ListMFADevices",
        "ListSigningCertificates",
    }
    assert [(c["target_principal"], c["task_policy_arn"]) for c in assume_root(emulator)] == [(members["dev"], AUDIT)]
    found = {f["id"] for f in task(result, "dev", ROOT_TASK)["findings"]}
    assert found == {"root_access_keys", "root_mfa", "root_usage"}
