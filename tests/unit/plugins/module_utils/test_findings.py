from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _findings


@pytest.mark.parametrize(
    ("control_id", "check", "expected"),
    [
        ("password_policy", None, ["cis-aws-3.0:1.8", "cis-aws-3.0:1.9", "cis-aws-5.0:1.7", "cis-aws-5.0:1.8"]),
        ("password_policy", "minimum_length", ["cis-aws-3.0:1.8", "cis-aws-5.0:1.7"]),
        ("password_policy", "reuse_prevention", ["cis-aws-3.0:1.9", "cis-aws-5.0:1.8"]),
        ("root_access_keys", None, ["cis-aws-3.0:1.4", "cis-aws-5.0:1.3"]),
        ("root_mfa", None, ["cis-aws-3.0:1.5", "cis-aws-3.0:1.6", "cis-aws-5.0:1.4", "cis-aws-5.0:1.5"]),
        ("root_mfa", "mfa", ["cis-aws-3.0:1.5", "cis-aws-5.0:1.4"]),
        ("root_mfa", "hardware_mfa", ["cis-aws-3.0:1.6", "cis-aws-5.0:1.5"]),
        ("root_usage", None, ["cis-aws-3.0:1.7", "cis-aws-5.0:1.6"]),
        ("user_mfa", None, ["cis-aws-3.0:1.10", "cis-aws-5.0:1.9"]),
        (
            "access_key_rotation",
            None,
            [
                "cis-aws-3.0:1.12",
                "cis-aws-3.0:1.13",
                "cis-aws-3.0:1.14",
                "cis-aws-5.0:1.11",
                "cis-aws-5.0:1.12",
                "cis-aws-5.0:1.13",
            ],
        ),
        ("access_key_rotation", "unused", ["cis-aws-3.0:1.12", "cis-aws-5.0:1.11"]),
        ("access_key_rotation", "one_active", ["cis-aws-3.0:1.13", "cis-aws-5.0:1.12"]),
        ("access_key_rotation", "rotation", ["cis-aws-3.0:1.14", "cis-aws-5.0:1.13"]),
        ("console_access_unused", None, ["cis-aws-3.0:1.12", "cis-aws-5.0:1.11"]),
        ("initial_access_keys", None, ["cis-aws-3.0:1.11", "cis-aws-5.0:1.10"]),
        ("admin_group", None, []),
        ("iam_users", None, ["cis-aws-3.0:1.15", "cis-aws-5.0:1.14"]),
    ],
)
def test_cis_ids(control_id, check, expected):
    assert _findings.cis_ids(control_id, check) == expected


def test_control_ids_are_design_section_1():
    assert _findings.CONTROL_IDS == (
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
    )
    assert all(control["title"] for control in _findings.CONTROLS.values())


def test_finding_shape():
    result = _findings.finding("root_access_keys", "fail", "arn:aws:iam::123456789012:root", "root has\n 2 keys")
    assert result == {
        "id": "root_access_keys",
        "status": "fail",
        "resource": "arn:aws:iam::123456789012:root",
        "message": "root has 2 keys",
        "cis": ["cis-aws-3.0:1.4", "cis-aws-5.0:1.3"],
    }


def test_finding_with_check_narrows_cis():
    result = _findings.finding("root_mfa", "pass", "arn:aws:iam::123456789012:root", "ok", check="hardware_mfa")
    assert result["cis"] == ["cis-aws-3.0:1.6", "cis-aws-5.0:1.5"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("root_mfa", "warn", "arn", "m"), "status"),
        (("no_such_control", "pass", "arn", "m"), "unknown control"),
    ],
)
def test_finding_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        _findings.finding(*args)


def test_unknown_check_rejected():
    with pytest.raises(ValueError, match="no check"):
        _findings.cis_ids("root_usage", "hardware_mfa")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [([], True), (["pass"], True), (["pass", "fail"], False), (["fail"], False)],
)
def test_all_pass(statuses, expected):
    findings = [_findings.finding("user_mfa", status, "arn", "m") for status in statuses]
    assert _findings.all_pass(findings) is expected


def test_failing_keeps_the_failing_findings_of_every_result_in_order():
    from ansible_collections.accountguard.aws.plugins.module_utils._findings import failing

    root = {"findings": [{"id": "root_mfa", "status": "fail"}, {"id": "root_access_keys", "status": "pass"}]}
    mfa = {"findings": [{"id": "user_mfa", "status": "fail", "message": "a"}, {"id": "user_mfa", "status": "fail"}]}
    skipped = {"skipped": True}  # a task that did not run has no findings
    assert failing([root, {}, skipped, None, mfa, {"findings": None}]) == [
        root["findings"][0],
        *mfa["findings"],
    ]
    assert failing([]) == []


@pytest.mark.parametrize(
    ("arns", "expected"),
    [
        (["arn:aws:iam::123456789012:user/alice"], "arn:aws:iam::123456789012:root"),
        ([None, "arn:aws-cn:iam::012345678901:root"], "arn:aws-cn:iam::012345678901:root"),
        (["arn:aws-us-gov:iam::111111111111:user/path/bob"], "arn:aws-us-gov:iam::111111111111:root"),
        # AWS-managed ARNs name no account: skipped for the next one
        (
            ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::222222222222:user/x"],
            "arn:aws:iam::222222222222:root",
        ),
        (["not-an-arn", ""], None),
        ([], None),
    ],
)
def test_account_root_arn(arns, expected):
    assert _findings.account_root_arn(arns) == expected


@pytest.mark.parametrize(
    ("control_id", "expected"),
    [
        ("console_access_unused", {"3.0": "1.12", "4.0.1": "1.12", "5.0": "1.11", "6.0": "2.11", "7.0": "2.11"}),
        ("initial_access_keys", {"3.0": "1.11", "4.0.1": "1.11", "5.0": "1.10", "6.0": "2.10", "7.0": "2.10"}),
    ],
)
def test_credential_report_controls_carry_every_cis_version(control_id, expected):
    """The ids Prowler's compliance files give iam_user_console_access_unused and
    iam_user_no_setup_initial_access_key in CIS v3.0, v4.0.1, v5.0, v6.0 and v7.0."""
    cis = _findings.CONTROLS[control_id]["cis"]
    assert {bench.removeprefix("cis-aws-"): recs for bench, recs in cis.items()} == {
        version: [rec] for version, rec in expected.items()
    }
