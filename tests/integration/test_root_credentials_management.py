"""accountguard.aws.root_credentials_management against the local AWS emulator.

Ground truth is what the emulator holds afterwards, read with boto3 (iam.list_organizations_features,
organizations.list_aws_service_access_for_organization); check mode is proved by the request log holding no
write call.
"""

from __future__ import annotations

import sys

import yaml
from emulator import DEFAULT_ACCOUNT_ID
from helpers.ansible_run import run_module, run_playbook

MODULE = "accountguard.aws.root_credentials_management"
LOCAL_PYTHON = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable}
BOTH = ["RootCredentialsManagement", "RootSessions"]


def run(emulator, args, account_id=None, check=False, diff=False):
    return run_module(MODULE, args, check=check, diff=diff, env=emulator.env(account_id) | LOCAL_PYTHON)


def organization(emulator, trusted=False, features=()):
    """An Organization in the default account with one member account; returns (its ARN, the member's id)."""
    org = emulator.client("organizations")
    arn = org.create_organization(FeatureSet="ALL")["Organization"]["Arn"]
    member = org.create_account(AccountName="m", Email="m@example.com")["CreateAccountStatus"]["AccountId"]
    if trusted:
        org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = emulator.client("iam")
    if "RootCredentialsManagement" in features:
        iam.enable_organizations_root_credentials_management()
    if "RootSessions" in features:
        iam.enable_organizations_root_sessions()
    return arn, member


def held(emulator) -> tuple[bool, list[str]]:
    """(trusted access for IAM, IAM's enabled features) as the emulator holds them."""
    principals = emulator.client("organizations").list_aws_service_access_for_organization()
    trusted = "iam.amazonaws.com" in [p["ServicePrincipal"] for p in principals["EnabledServicePrincipals"]]
    if not trusted:
        return False, []
    return True, sorted(emulator.client("iam").list_organizations_features()["EnabledFeatures"])


def actions(emulator, writes_only=False) -> list[str]:
    return [f"{r['service']}:{r['action']}" for r in emulator.requests(writes_only=writes_only)]


def test_features_off_fail_check_predicts_apply_enables_then_idempotent(emulator):
    arn, _member = organization(emulator)

    checked = run(emulator, {"account_id": DEFAULT_ACCOUNT_ID})
    assert checked["_rc"] == 0, checked.get("msg")
    assert checked["changed"] is False and checked["compliant"] is False
    assert "skipped" not in checked
    (found,) = checked["findings"]
    assert found["status"] == "fail" and found["resource"] == arn
    assert found["cis"] == ["cis-aws-7.0:2.1.1"]
    assert "iam.amazonaws.com" in found["message"]
    # trusted access off: IAM's feature read would be refused, so it is not made
    assert actions(emulator) == [
        "organizations:DescribeOrganization",
        "organizations:ListAWSServiceAccessForOrganization",
    ]

    emulator.clear_requests()
    predicted = run(emulator, {"enable": True}, check=True, diff=True)
    assert predicted["_rc"] == 0, predicted.get("msg")
    assert predicted["changed"] is True
    assert predicted["enabled"] == ["trusted_access", *BOTH]
    assert predicted["diff"] == {
        "before": {"trusted_access": False, "features": dict.fromkeys(BOTH, False)},
        "after": {"trusted_access": True, "features": dict.fromkeys(BOTH, True)},
    }
    assert predicted["findings"][0]["status"] == "fail", "check mode reports the Organization as found"
    assert actions(emulator, writes_only=True) == []
    assert held(emulator) == (False, [])

    emulator.clear_requests()
    applied = run(emulator, {"enable": True, "account_id": DEFAULT_ACCOUNT_ID})
    assert applied["_rc"] == 0, applied.get("msg")
    assert applied["changed"] is True and applied["compliant"] is True
    assert applied["root_access"] == {"trusted_access": True, "features": dict.fromkeys(BOTH, True)}
    assert applied["findings"][0]["status"] == "pass"
    assert actions(emulator, writes_only=True) == [
        "organizations:EnableAWSServiceAccess",
        "iam:EnableOrganizationsRootCredentialsManagement",
        "iam:EnableOrganizationsRootSessions",
    ]
    assert held(emulator) == (True, BOTH)

    emulator.clear_requests()
    again = run(emulator, {"enable": True, "account_id": DEFAULT_ACCOUNT_ID})
    assert again["changed"] is False and again["compliant"] is True
    assert again["enabled"] == []
    assert actions(emulator, writes_only=True) == []


def test_enable_turns_on_only_what_is_off(emulator):
    organization(emulator, trusted=True, features=["RootSessions"])
    applied = run(emulator, {"enable": True})
    assert applied["_rc"] == 0, applied.get("msg")
    assert applied["enabled"] == ["RootCredentialsManagement"]
    assert actions(emulator, writes_only=True) == ["iam:EnableOrganizationsRootCredentialsManagement"]
    assert held(emulator) == (True, BOTH)


def test_member_account_skips_with_the_reason_and_writes_nothing(emulator):
    _arn, member = organization(emulator)
    skipped = run(emulator, {"account_id": member, "enable": True}, account_id=member)
    assert skipped["_rc"] == 0, skipped.get("msg")
    assert skipped["skipped"] is True and skipped["changed"] is False
    assert member in skipped["msg"] and DEFAULT_ACCOUNT_ID in skipped["msg"]
    assert "findings" not in skipped
    assert actions(emulator) == ["organizations:DescribeOrganization"]
    assert held(emulator) == (False, [])

    # The organizations inventory already says it: no call at all.
    emulator.clear_requests()
    hinted = run(emulator, {"account_id": member, "management_account": False}, account_id=member)
    assert hinted["skipped"] is True and "aws_management_account" in hinted["msg"]
    assert actions(emulator) == []


def test_standalone_account_skips_with_the_reason(emulator):
    skipped = run(emulator, {"enable": True})
    assert skipped["_rc"] == 0, skipped.get("msg")
    assert skipped["skipped"] is True and skipped["placement"] == "standalone"
    assert "AWSOrganizationsNotInUseException" in skipped["msg"]
    assert actions(emulator, writes_only=True) == []


def test_bad_account_id_fails_before_any_call(emulator):
    failed = run(emulator, {"account_id": "12345"})
    assert failed["failed"] is True and "12-digit" in failed["msg"]
    assert emulator.requests() == []


# --- parity of the two front ends ------------------------------------------------------------------------------

FRONT_ENDS = {"controller": {}, "module": {"ACCOUNTGUARD_CONTROLLER_EXECUTION": "false"}}
PARITY_TASKS = [
    {"name": "check", MODULE: {"account_id": DEFAULT_ACCOUNT_ID}},
    {"name": "predict", MODULE: {"enable": True}, "check_mode": True, "diff": True},
    {"name": "enable", MODULE: {"enable": True}, "diff": True},
    {"name": "again", MODULE: {"enable": True, "fail_on_noncompliance": True}},
    {"name": "member hint", MODULE: {"account_id": "222222222222", "management_account": False}},
    {"name": "bad input", MODULE: {"account_id": "1"}, "ignore_errors": True},
]


def run_front_end(emulator, tmp_path, front_end: str) -> dict:
    emulator.reset()
    organization(emulator)
    org_id = emulator.client("organizations").describe_organization()["Organization"]["Id"]
    path = tmp_path / f"parity-{front_end}.yml"
    path.write_text(
        yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": PARITY_TASKS}])
    )
    env = emulator.env() | LOCAL_PYTHON | FRONT_ENDS[front_end]
    results = run_playbook(path, env=env).task_results()
    writes = actions(emulator, writes_only=True)
    # the Organization's id is random per reset; nothing else may differ
    results = yaml.safe_load(yaml.safe_dump(results).replace(org_id, "<org>"))
    for result in results:
        # one credential cache per emulator reset
        (result.get("invocation") or {}).get("module_args", {}).pop("credential_cache_dir", None)
    return {"results": results, "writes": writes, "held": held(emulator)}


def test_front_ends_agree(emulator, tmp_path):
    controller = run_front_end(emulator, tmp_path, "controller")
    module = run_front_end(emulator, tmp_path, "module")
    for run in (controller, module):
        results = {r["_task"]: r for r in run["results"]}
        assert results["predict"]["changed"] is True and results["predict"]["enabled"] == ["trusted_access", *BOTH]
        assert results["enable"]["changed"] is True and results["enable"]["diff"]["after"]["trusted_access"] is True
        assert results["again"]["changed"] is False and results["again"]["compliant"] is True
        assert results["member hint"]["skipped"] is True
        assert results["bad input"]["failed"] is True and "12-digit" in results["bad input"]["msg"]
        assert run["held"] == (True, BOTH)
        assert len(run["writes"]) == 3
    assert controller == module
