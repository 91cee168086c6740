"""The baseline's findings as ASFF findings, and what an import sends (plugins/module_utils/_securityhub.py)."""

from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _securityhub as asff
from ansible_collections.accountguard.aws.plugins.module_utils._findings import finding

ACCOUNT = "111111111111"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/path/bob"
TARGET = asff.Target(account_id=ACCOUNT, region="eu-west-1", now="2026-12-05T12:00:00Z")
LATER = asff.Target(account_id=ACCOUNT, region="eu-west-1", now="2026-12-06T12:00:00Z")
BREAK_GLASS = asff.Accepted("user_mfa", "token in the safe", "sec@example.com", "2027-03-31", ALICE, "SEC-1")


def test_product_arn_is_the_accounts_default_product():
    assert TARGET.product_arn == f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default"
    gov = asff.Target(account_id=ACCOUNT, region="us-gov-west-1", now="x", partition="aws-us-gov")
    assert gov.product_arn.startswith("arn:aws-us-gov:securityhub:us-gov-west-1:")


def test_id_depends_only_on_account_control_and_resource():
    one = asff.finding_id(ACCOUNT, "user_mfa", ALICE)
    assert one == asff.finding_id(ACCOUNT, "user_mfa", ALICE)
    others = {
        asff.finding_id("222222222222", "user_mfa", ALICE),
        asff.finding_id(ACCOUNT, "access_key_rotation", ALICE),
        asff.finding_id(ACCOUNT, "user_mfa", BOB),
    }
    assert one not in others and len(others) == 3
    assert one.startswith(f"accountguard.aws/{ACCOUNT}/user_mfa/") and len(one) <= 512
    # however long the ARN
    assert len(asff.finding_id(ACCOUNT, "user_mfa", ALICE + "x" * 2000)) < 120


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        (ROOT, "AwsAccount"),
        (ALICE, "AwsIamUser"),
        (BOB, "AwsIamUser"),
        (f"arn:aws:iam::{ACCOUNT}:role/Support", "AwsIamRole"),
        (f"arn:aws:iam::{ACCOUNT}:group/Cloudadmin", "AwsIamGroup"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", "AwsIamPolicy"),
        (f"arn:aws:iam::{ACCOUNT}:server-certificate/old", "Other"),
        ("not an arn", "Other"),
    ],
)
def test_resource_type(arn, kind):
    assert asff.resource_type(arn) == kind


def test_merge_one_entry_per_control_and_resource_failed_when_any_fails():
    findings = [
        finding("access_key_rotation", "pass", ALICE, "one active key", check="one_active"),
        finding("access_key_rotation", "fail", ALICE, "key older than 90 days", check="rotation"),
        finding("access_key_rotation", "fail", ALICE, "key unused for 45 days", check="unused"),
        finding("user_mfa", "pass", BOB, "bob has MFA"),
        finding("root_access_keys", "pass", "", "no root key"),
    ]
    merged = asff.merge(findings, ROOT)
    assert [(m.control, m.resource, m.failed) for m in merged] == [
        ("access_key_rotation", ALICE, True),
        ("user_mfa", BOB, False),
        ("root_access_keys", ROOT, False),
    ]
    keys = merged[0]
    assert keys.messages == ("key older than 90 days", "key unused for 45 days")
    # the failing checks' CIS ids only, oldest benchmark first
    assert keys.cis[:2] == ("cis-aws-3.0:1.12", "cis-aws-3.0:1.14")
    assert "cis-aws-3.0:1.13" not in keys.cis


def test_merge_skips_unknown_controls_and_non_findings():
    assert asff.merge([{"id": "nope", "status": "fail"}, "x", None], ROOT) == ()


def test_accepted_exception_covers_failing_finding_only():
    findings = [finding("user_mfa", "fail", ALICE, "no MFA"), finding("user_mfa", "fail", BOB, "no MFA")]
    merged = asff.merge(findings, ROOT, [BREAK_GLASS])
    assert merged[0].accepted == BREAK_GLASS and merged[1].accepted is None
    passing = asff.merge([finding("user_mfa", "pass", ALICE, "MFA")], ROOT, [BREAK_GLASS])
    assert passing[0].accepted is None
    everything = asff.Accepted("user_mfa", "r", "o", "2027-01-01")
    assert asff.merge(findings, ROOT, [everything])[1].accepted == everything


def test_asff_of_a_failing_finding():
    entry = asff.merge([finding("root_access_keys", "fail", ROOT, "root has an active access key")], ROOT)[0]
    out = asff.to_asff(entry, TARGET)
    assert out["SchemaVersion"] == "2018-10-08"
    assert out["ProductArn"] == TARGET.product_arn
    assert out["GeneratorId"] == "accountguard.aws/root_access_keys"
    assert out["AwsAccountId"] == ACCOUNT
    assert out["Compliance"] == {
        "Status": "FAILED",
        "RelatedRequirements": [
            "cis-aws-3.0:1.4",
            "cis-aws-4.0.1:1.4",
            "cis-aws-5.0:1.3",
            "cis-aws-6.0:2.3",
            "cis-aws-7.0:2.4",
        ],
    }
    assert out["Resources"] == [{"Type": "AwsAccount", "Id": ROOT, "Partition": "aws", "Region": "eu-west-1"}]
    assert out["Severity"] == {"Label": "CRITICAL"} == out["FindingProviderFields"]["Severity"]
    assert out["Workflow"] == {"Status": "NEW"} and out["RecordState"] == "ACTIVE"
    assert out["Description"] == "root has an active access key"
    assert out["CreatedAt"] == out["UpdatedAt"] == TARGET.now
    assert "Note" not in out


def test_asff_of_passing_and_accepted_findings():
    passing = asff.to_asff(asff.merge([finding("user_mfa", "pass", BOB, "MFA")], ROOT)[0], TARGET)
    assert passing["Compliance"]["Status"] == "PASSED"
    assert passing["Severity"] == {"Label": "INFORMATIONAL"}
    assert passing["Workflow"] == {"Status": "RESOLVED"}
    accepted = asff.to_asff(asff.merge([finding("user_mfa", "fail", ALICE, "no MFA")], ROOT, [BREAK_GLASS])[0], TARGET)
    assert accepted["Compliance"]["Status"] == "FAILED"
    assert accepted["Workflow"] == {"Status": "SUPPRESSED"}
    assert accepted["Note"]["UpdatedBy"] == "accountguard.aws"
    assert "token in the safe" in accepted["Note"]["Text"] and "2027-03-31" in accepted["Note"]["Text"]
    assert accepted["ProductFields"]["accountguard.aws/status"] == "accepted"


def test_asff_update_keeps_created_at_and_sends_no_workflow():
    entry = asff.merge([finding("user_mfa", "fail", ALICE, "no MFA")], ROOT)[0]
    out = asff.to_asff(entry, LATER, created_at="2026-12-05T12:00:00Z", new=False)
    assert out["CreatedAt"] == "2026-12-05T12:00:00Z" and out["UpdatedAt"] == LATER.now
    assert "Workflow" not in out and "Note" not in out


def test_asff_limits():
    long = asff.merge([finding("user_mfa", "fail", ALICE, "x " * 2000)], ROOT)[0]
    out = asff.to_asff(long, TARGET)
    assert len(out["Description"]) <= 1024 and len(out["Title"]) <= 256


def _existing(
    entry: asff.Merged, target=TARGET, workflow=None, record_state="ACTIVE", note_author=None
) -> asff.Existing:
    stored = asff.to_asff(entry, target)
    stored["Workflow"] = {"Status": workflow or stored["Workflow"]["Status"]}
    stored["RecordState"] = record_state
    if note_author:
        stored["Note"] = {"Text": "x", "UpdatedBy": note_author, "UpdatedAt": target.now}
    return asff.Existing.from_finding(stored)


def _merged(*findings, accepted=()):
    return asff.merge(findings, ROOT, accepted)


def test_first_import_creates_every_finding_without_workflow_updates():
    merged = _merged(finding("user_mfa", "fail", ALICE, "no"), finding("user_mfa", "pass", BOB, "yes"))
    out = asff.plan(merged, [], TARGET, ["user_mfa"])
    assert len(out.imports) == 2 and out.workflow == ()
    assert out.counts["created"] == 2 and out.counts["failed"] == 1 and out.counts["passed"] == 1
    assert out.writes() == 1


def test_rerun_updates_with_the_same_ids_and_created_at():
    merged = _merged(finding("user_mfa", "fail", ALICE, "no"))
    first = asff.plan(merged, [], TARGET, ["user_mfa"]).imports
    second = asff.plan(merged, [_existing(merged[0])], LATER, ["user_mfa"])
    assert [f["Id"] for f in second.imports] == [f["Id"] for f in first]
    assert second.imports[0]["CreatedAt"] == TARGET.now and second.imports[0]["UpdatedAt"] == LATER.now
    assert second.counts["updated"] == 1 and second.counts["created"] == 0 and second.workflow == ()


def test_fixed_deviation_is_resolved():
    failing = _merged(finding("user_mfa", "fail", ALICE, "no"))[0]
    fixed = _merged(finding("user_mfa", "pass", ALICE, "yes"))
    out = asff.plan(fixed, [_existing(failing)], LATER, ["user_mfa"])
    assert out.imports[0]["Compliance"]["Status"] == "PASSED"
    assert out.workflow == (asff.WorkflowUpdate("RESOLVED", (out.imports[0]["Id"],)),)


def test_resource_gone_is_archived_and_resolved_but_only_for_checked_controls():
    gone = _merged(finding("user_mfa", "fail", BOB, "no"))[0]
    out = asff.plan((), [_existing(gone)], LATER, ["user_mfa"])
    assert out.imports[0]["RecordState"] == "ARCHIVED" and out.imports[0]["Id"] == asff.finding_id(
        ACCOUNT, "user_mfa", BOB
    )
    assert out.imports[0]["UpdatedAt"] == LATER.now and "Workflow" not in out.imports[0]
    assert out.workflow[0].status == "RESOLVED" and out.counts["archived"] == 1
    # a control that did not run this time (toggle off, --tags) keeps its findings
    assert asff.plan((), [_existing(gone)], LATER, ["root_mfa"]).imports == ()
    # already archived: nothing to do
    assert asff.plan((), [_existing(gone, record_state="ARCHIVED")], LATER, ["user_mfa"]).imports == ()


def test_findings_of_another_account_or_tool_are_never_touched():
    other = asff.Existing.from_finding({"Id": "arn:other-tool/1", "GeneratorId": "user_mfa", "RecordState": "ACTIVE"})
    elsewhere = asff.Existing.from_finding(
        {"Id": "accountguard.aws/222222222222/user_mfa/x", "GeneratorId": "accountguard.aws/user_mfa"}
    )
    assert asff.plan((), [other, elsewhere], LATER, ["user_mfa"]).imports == ()


def test_newly_accepted_existing_finding_is_suppressed_with_its_note():
    failing = _merged(finding("user_mfa", "fail", ALICE, "no"))[0]
    now_accepted = _merged(finding("user_mfa", "fail", ALICE, "no"), accepted=[BREAK_GLASS])
    out = asff.plan(now_accepted, [_existing(failing)], LATER, ["user_mfa"])
    assert out.workflow == (asff.WorkflowUpdate("SUPPRESSED", (out.imports[0]["Id"],), BREAK_GLASS.note()),)
    # already suppressed by a person: no update
    again = asff.plan(now_accepted, [_existing(failing, workflow="SUPPRESSED")], LATER, ["user_mfa"])
    assert again.workflow == ()
    # suppressed by us with the same note: no update; with another expiry: the note is renewed
    same = _existing(failing, workflow="SUPPRESSED", note_author="accountguard.aws")
    same.finding["Note"]["Text"] = BREAK_GLASS.note()
    assert asff.plan(now_accepted, [asff.Existing.from_finding(same.finding)], LATER, ["user_mfa"]).workflow == ()
    extended = asff.Accepted("user_mfa", "token in the safe", "sec@example.com", "2028-03-31", ALICE, "SEC-1")
    renewed = asff.plan(
        _merged(finding("user_mfa", "fail", ALICE, "no"), accepted=[extended]), [same], LATER, ["user_mfa"]
    )
    assert renewed.workflow[0].status == "SUPPRESSED" and "2028-03-31" in renewed.workflow[0].note


def test_lapsed_exception_reopens_only_our_suppression():
    failing = _merged(finding("user_mfa", "fail", ALICE, "no"))
    ours = _existing(failing[0], workflow="SUPPRESSED", note_author="accountguard.aws")
    assert asff.plan(failing, [ours], LATER, ["user_mfa"]).workflow[0].status == "NEW"
    theirs = _existing(failing[0], workflow="SUPPRESSED", note_author="alice@example.com")
    assert asff.plan(failing, [theirs], LATER, ["user_mfa"]).workflow == ()
    resolved_by_a_person = _existing(failing[0], workflow="RESOLVED")
    assert asff.plan(failing, [resolved_by_a_person], LATER, ["user_mfa"]).workflow == ()


def test_batches_of_at_most_100():
    merged = _merged(*(finding("user_mfa", "fail", f"{ALICE}{n}", "no") for n in range(250)))
    out = asff.plan(merged, [], TARGET, ["user_mfa"])
    assert [len(b) for b in out.import_batches()] == [100, 100, 50]
    assert len({f["Id"] for f in out.imports}) == 250
    assert asff.batches([], 100) == []
