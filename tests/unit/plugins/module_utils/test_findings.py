from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _findings

V3, V4, V5, V6, V7 = _findings.CIS_VERSIONS

# Transcribed from Prowler's compliance files, prowler/compliance/aws/cis_{3.0,4.0,5.0,6.0,7.0}_aws.json: for each
# control (and check, where a control covers several recommendations) the Prowler check covering the same ground
# and, per version, the Id of the requirement whose Checks list holds it; None where that version has none.
PROWLER = {
    ("password_policy", "minimum_length"): (
        "iam_password_policy_minimum_length_14",
        ("1.8", "1.8", "1.7", "2.7", "2.8"),
    ),
    ("password_policy", "reuse_prevention"): ("iam_password_policy_reuse_24", ("1.9", "1.9", "1.8", "2.8", "2.9")),
    ("root_access_keys", None): ("iam_no_root_access_key", ("1.4", "1.4", "1.3", "2.3", "2.4")),
    ("root_mfa", "mfa"): ("iam_root_mfa_enabled", ("1.5", "1.5", "1.4", "2.4", "2.5")),
    ("root_mfa", "hardware_mfa"): ("iam_root_hardware_mfa_enabled", ("1.6", "1.6", "1.5", "2.5", "2.6")),
    ("root_usage", None): ("iam_avoid_root_usage", ("1.7", "1.7", "1.6", "2.6", "2.7")),
    ("user_mfa", None): ("iam_user_mfa_enabled_console_access", ("1.10", "1.10", "1.9", "2.9", "2.10")),
    ("access_key_rotation", "unused"): ("iam_user_accesskey_unused", ("1.12", "1.12", "1.11", "2.11", "2.11")),
    # CIS v7.0 dropped "Ensure there is only one active access key for any single IAM user".
    ("access_key_rotation", "one_active"): ("iam_user_two_active_access_key", ("1.13", "1.13", "1.12", "2.12", None)),
    ("access_key_rotation", "rotation"): ("iam_rotate_access_key_90_days", ("1.14", "1.14", "1.13", "2.13", "2.12")),
    ("group_permissions", None): (
        "iam_policy_attached_only_to_group_or_roles",
        ("1.15", "1.15", "1.14", "2.14", "2.13"),
    ),
    ("admin_policies", None): (
        "iam_aws_attached_policy_no_administrative_privileges",
        ("1.16", "1.16", "1.15", "2.15", "2.14"),
    ),
    # Prowler's v3.0 file lists no check for 1.22; the recommendation is the same as v4.0.1's 1.22.
    ("cloudshell_access", None): ("iam_policy_cloudshell_admin_not_attached", ("1.22", "1.22", "1.21", "2.21", "2.20")),
    ("console_access_unused", None): ("iam_user_console_access_unused", ("1.12", "1.12", "1.11", "2.11", "2.11")),
    # CIS v7.0 dropped "Do not create access keys at initial user set-up" (v6.0 2.10).
    ("initial_access_keys", None): ("iam_user_no_setup_initial_access_key", ("1.11", "1.11", "1.10", "2.10", None)),
    ("support_role", None): ("iam_support_role_created", ("1.17", "1.17", "1.16", "2.16", "2.15")),
    ("server_certificates", None): (
        "iam_no_expired_server_certificates_stored",
        ("1.19", "1.19", "1.18", "2.18", "2.17"),
    ),
    # New in CIS v7.0 (2.1.1 "Ensure centralized root access in AWS Organizations"); no earlier version has it.
    ("root_credentials_management", None): (
        "iam_root_credentials_management_enabled",
        (None, None, None, None, "2.1.1"),
    ),
    # A manual recommendation in CIS; Prowler's check of the same name is manual too (see docs/cis-mapping.md).
    ("security_contact", None): (
        "account_security_contact_information_is_registered",
        ("1.2", "1.2", "1.2", "2.2", "2.3"),
    ),
    ("access_analyzer", None): ("accessanalyzer_enabled", ("1.20", "1.20", "1.19", "2.19", "2.18")),
}


def expected_ids(numbers):
    assert len(numbers) == len(_findings.CIS_VERSIONS)
    return [f"{version}:{numbers[i]}" for i, version in enumerate(_findings.CIS_VERSIONS) if numbers[i]]


def test_the_five_benchmark_versions_oldest_first():
    assert _findings.CIS_VERSIONS == ("cis-aws-3.0", "cis-aws-4.0.1", "cis-aws-5.0", "cis-aws-6.0", "cis-aws-7.0")
    assert (V3, V4, V5, V6, V7) == (
        _findings.CIS_V3,
        _findings.CIS_V4,
        _findings.CIS_V5,
        _findings.CIS_V6,
        _findings.CIS_V7,
    )


@pytest.mark.parametrize(("control_id", "check"), list(PROWLER), ids=[f"{c}-{k}" for c, k in PROWLER])
def test_every_check_cites_prowlers_requirement_in_every_version_that_has_one(control_id, check):
    _prowler_check, numbers = PROWLER[(control_id, check)]
    assert _findings.cis_ids(control_id, check) == expected_ids(numbers)


def test_the_prowler_table_covers_every_check_of_every_control_that_claims_a_recommendation():
    claimed = {
        (cid, check)
        for cid, control in _findings.CONTROLS.items()
        if control["cis"]
        for check in (control["checks"] or [None])
    }
    assert claimed == set(PROWLER)
    # admin_group is the documented "*:*" exception: it claims nothing, in no version.
    assert _findings.cis_ids("admin_group") == []


@pytest.mark.parametrize("control_id", [cid for cid, c in _findings.CONTROLS.items() if c["checks"]])
def test_a_controls_ids_are_those_of_its_checks_per_version(control_id):
    control = _findings.CONTROLS[control_id]
    for version in _findings.CIS_VERSIONS:
        of_checks = [number for check in control["checks"].values() for number in check.get(version, [])]
        assert control["cis"].get(version, []) == of_checks, version
    assert set(control["cis"]) <= set(_findings.CIS_VERSIONS)


@pytest.mark.parametrize(
    ("control_id", "check", "expected"),
    [
        (
            "password_policy",
            None,
            [
                "cis-aws-3.0:1.8",
                "cis-aws-3.0:1.9",
                "cis-aws-4.0.1:1.8",
                "cis-aws-4.0.1:1.9",
                "cis-aws-5.0:1.7",
                "cis-aws-5.0:1.8",
                "cis-aws-6.0:2.7",
                "cis-aws-6.0:2.8",
                "cis-aws-7.0:2.8",
                "cis-aws-7.0:2.9",
            ],
        ),
        (
            "access_key_rotation",
            "one_active",
            ["cis-aws-3.0:1.13", "cis-aws-4.0.1:1.13", "cis-aws-5.0:1.12", "cis-aws-6.0:2.12"],
        ),
        (
            "console_access_unused",
            None,
            ["cis-aws-3.0:1.12", "cis-aws-4.0.1:1.12", "cis-aws-5.0:1.11", "cis-aws-6.0:2.11", "cis-aws-7.0:2.11"],
        ),
        (
            "initial_access_keys",
            None,
            ["cis-aws-3.0:1.11", "cis-aws-4.0.1:1.11", "cis-aws-5.0:1.10", "cis-aws-6.0:2.10"],
        ),
        ("admin_group", None, []),
        ("iam_users", None, []),
        (
            "group_permissions",
            None,
            ["cis-aws-3.0:1.15", "cis-aws-4.0.1:1.15", "cis-aws-5.0:1.14", "cis-aws-6.0:2.14", "cis-aws-7.0:2.13"],
        ),
        (
            "admin_policies",
            None,
            ["cis-aws-3.0:1.16", "cis-aws-4.0.1:1.16", "cis-aws-5.0:1.15", "cis-aws-6.0:2.15", "cis-aws-7.0:2.14"],
        ),
        (
            "cloudshell_access",
            None,
            ["cis-aws-3.0:1.22", "cis-aws-4.0.1:1.22", "cis-aws-5.0:1.21", "cis-aws-6.0:2.21", "cis-aws-7.0:2.20"],
        ),
        # new in CIS v7.0: no earlier version has it
        ("root_credentials_management", None, ["cis-aws-7.0:2.1.1"]),
    ],
)
def test_cis_ids(control_id, check, expected):
    assert _findings.cis_ids(control_id, check) == expected


def test_formatting_keeps_version_order_whatever_the_order_of_the_table():
    scrambled = {V7: ["2.1"], V3: ["1.1", "1.2"], V5: ["1.3"], V4: ["1.4"]}
    assert _findings._format_cis(scrambled) == [
        "cis-aws-3.0:1.1",
        "cis-aws-3.0:1.2",
        "cis-aws-4.0.1:1.4",
        "cis-aws-5.0:1.3",
        "cis-aws-7.0:2.1",
    ]
    for cid, control in _findings.CONTROLS.items():
        for check in [None, *control["checks"]]:
            versions = [ref.rsplit(":", 1)[0] for ref in _findings.cis_ids(cid, check)]
            assert versions == sorted(versions, key=_findings.CIS_VERSIONS.index), (cid, check)


@pytest.mark.parametrize("control_id", [cid for cid, c in _findings.CONTROLS.items() if c["checks"]])
def test_the_checks_of_a_control_cite_different_ids(control_id):
    # The drift gate tells a finding's check from its CIS ids, so no two checks of a control may share them.
    cited = [tuple(_findings.cis_ids(control_id, check)) for check in _findings.CONTROLS[control_id]["checks"]]
    assert len(set(cited)) == len(cited)


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
        "group_permissions",
        "admin_policies",
        "cloudshell_access",
        "support_role",
        "server_certificates",
        "root_credentials_management",
        "security_contact",
        "access_analyzer",
    )
    assert all(control["title"] for control in _findings.CONTROLS.values())


def test_finding_shape():
    result = _findings.finding("root_access_keys", "fail", "arn:aws:iam::123456789012:root", "root has\n 2 keys")
    assert result == {
        "id": "root_access_keys",
        "status": "fail",
        "resource": "arn:aws:iam::123456789012:root",
        "message": "root has 2 keys",
        "cis": ["cis-aws-3.0:1.4", "cis-aws-4.0.1:1.4", "cis-aws-5.0:1.3", "cis-aws-6.0:2.3", "cis-aws-7.0:2.4"],
    }


def test_finding_with_check_narrows_cis():
    result = _findings.finding("root_mfa", "pass", "arn:aws:iam::123456789012:root", "ok", check="hardware_mfa")
    assert result["cis"] == [
        "cis-aws-3.0:1.6",
        "cis-aws-4.0.1:1.6",
        "cis-aws-5.0:1.5",
        "cis-aws-6.0:2.5",
        "cis-aws-7.0:2.6",
    ]


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


# -- the report's column families -----------------------------------------------------------------------------------
def test_every_control_belongs_to_exactly_one_family():
    homes = {cid: [f for f, labels in _findings.FAMILIES.items() if cid in labels] for cid in _findings.CONTROLS}
    homeless = sorted(cid for cid, families in homes.items() if not families)
    assert not homeless, f"add {homeless} to _findings.FAMILIES (the report's matrix groups its columns by family)"
    assert {cid: families for cid, families in homes.items() if len(families) > 1} == {}


def test_families_name_only_known_controls():
    listed = [cid for labels in _findings.FAMILIES.values() for cid in labels]
    assert sorted(set(listed) - set(_findings.CONTROLS)) == []


@pytest.mark.parametrize("family", list(_findings.FAMILIES))
def test_family_labels_are_short_words(family):
    # 18 columns fit a 1,400 px window because a column is as wide as its label's longest word
    # (tests/integration/test_report.py measures it).
    assert family and _findings.FAMILIES[family]
    for cid, label in _findings.FAMILIES[family].items():
        assert label.strip() == label and 0 < len(label) <= 16, (cid, label)
        assert max(len(word) for word in label.split()) <= 10, (cid, label)
