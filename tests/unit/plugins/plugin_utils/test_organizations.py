"""Tables for the pure helpers of the Organizations inventory plugin."""

from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.plugin_utils import _organizations as org


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (None, []),
        ([], []),
        (["012345678901"], ["012345678901"]),
        ([" 111111111111 "], ["111111111111"]),
    ],
)
def test_validate_account_ids_accepts_strings(values, expected):
    assert org.validate_account_ids(values, "opt") == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (12345678901, "quoted string"),  # an unquoted 012345678901 after YAML
        (True, "quoted string"),
        ("12345", "not a 12-digit"),
        ("1234567890123", "not a 12-digit"),
        ("12345678901a", "not a 12-digit"),
    ],
)
def test_validate_account_ids_refuses(value, fragment):
    with pytest.raises(org.OrganizationsConfigError, match=fragment) as err:
        org.validate_account_ids([value], "exclude_account_ids")
    assert "exclude_account_ids" in str(err.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Root/Workloads/Prod/"], ["Root/Workloads/Prod"]),
        (["Root"], ["Root"]),
        (["*/Prod"], ["*/Prod"]),
    ],
)
def test_validate_ou_patterns(values, expected):
    assert org.validate_ou_patterns(values, "include_ou_paths") == expected


@pytest.mark.parametrize("value", ["Workloads/Prod", "", "/", 5])
def test_validate_ou_patterns_refuses(value):
    with pytest.raises(org.OrganizationsConfigError, match="include_ou_paths"):
        org.validate_ou_patterns([value], "include_ou_paths")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ({"baseline": "skip"}, {"baseline": ["skip"]}),
        ({"env": ["prod", "staging"]}, {"env": ["prod", "staging"]}),
        ({"canary": True, "tier": 1}, {"canary": ["true"], "tier": ["1"]}),
    ],
)
def test_validate_tag_filter(value, expected):
    assert org.validate_tag_filter(value, "exclude_tags") == expected


@pytest.mark.parametrize("value", [["baseline"], {"baseline": None}, {"a": {"b": "c"}}, "baseline=skip"])
def test_validate_tag_filter_refuses(value):
    with pytest.raises(org.OrganizationsConfigError, match="exclude_tags"):
        org.validate_tag_filter(value, "exclude_tags")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("OrganizationAccountAccessRole", "OrganizationAccountAccessRole"),
        ("security/BaselineAdmin", "security/BaselineAdmin"),
        ("/security/BaselineAdmin/", "security/BaselineAdmin"),
        ("", None),
        (None, None),
    ],
)
def test_validate_role_name(value, expected):
    assert org.validate_role_name(value, "role_name") == expected


@pytest.mark.parametrize("value", ["arn:aws:iam::111111111111:role/X", "bad name", "x" * 600])
def test_validate_role_name_refuses(value):
    with pytest.raises(org.OrganizationsConfigError, match="role_name"):
        org.validate_role_name(value, "role_name")


@pytest.mark.parametrize(
    ("account", "state", "active"),
    [
        ({"State": "ACTIVE", "Status": "ACTIVE"}, "ACTIVE", True),
        ({"State": "SUSPENDED", "Status": "SUSPENDED"}, "SUSPENDED", False),
        ({"State": "PENDING_CLOSURE", "Status": "ACTIVE"}, "PENDING_CLOSURE", False),  # State wins
        ({"State": "CLOSED"}, "CLOSED", False),
        ({"Status": "ACTIVE"}, "ACTIVE", True),  # an endpoint that answers only the retired field
        ({"Status": "SUSPENDED"}, "SUSPENDED", False),
        ({}, "UNKNOWN", False),
    ],
)
def test_account_state(account, state, active):
    assert org.account_state(account) == state
    assert org.is_active(account) is active


@pytest.mark.parametrize(
    ("arn", "partition"),
    [
        ("arn:aws:organizations::123456789012:account/o-1/111111111111", "aws"),
        ("arn:aws-us-gov:organizations::123456789012:account/o-1/111111111111", "aws-us-gov"),
        ("arn:aws-cn:organizations::1:account/o/2", "aws-cn"),
        ("", "aws"),
        (None, "aws"),
    ],
)
def test_partition_from_arn(arn, partition):
    assert org.partition_from_arn(arn) == partition


@pytest.mark.parametrize(
    ("account_id", "role", "partition", "expected"),
    [
        (
            "012345678901",
            "OrganizationAccountAccessRole",
            "aws",
            "arn:aws:iam::012345678901:role/OrganizationAccountAccessRole",
        ),
        ("111111111111", "ops/Baseline", "aws-cn", "arn:aws-cn:iam::111111111111:role/ops/Baseline"),
        ("111111111111", None, "aws", None),
    ],
)
def test_role_arn(account_id, role, partition, expected):
    assert org.role_arn(account_id, role, partition) == expected


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("Root/Workloads/Prod", ["Root/Workloads"], True),
        ("Root/Workloads", ["Root/Workloads"], True),
        ("Root/WorkloadsOld", ["Root/Workloads"], False),  # a sibling sharing a prefix is not beneath it
        ("Root", ["Root/Workloads"], False),
        ("Root/Workloads/Prod", ["Root/*/Prod"], True),
        ("Root/Sandbox/Team", ["Root/*/Prod"], False),
        ("Root/Workloads/Prod/Eu", ["Root/*/Prod"], True),
        ("Root/Workloads/Prod", [], False),
    ],
)
def test_ou_path_matches(path, patterns, expected):
    assert org.ou_path_matches(path, patterns) is expected


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("Root", [], True),
        ("Root", ["Root/Workloads/Prod"], True),  # an ancestor must be walked
        ("Root/Workloads", ["Root/Workloads/Prod"], True),
        ("Root/Workloads/Prod/Eu", ["Root/Workloads/Prod"], True),
        ("Root/Sandbox", ["Root/Workloads/Prod"], False),
        ("Root/Workloads/Dev", ["Root/Workloads/Prod"], False),
        ("Root/Sandbox", ["Root/*/Prod"], True),  # globs never prune
    ],
)
def test_ou_subtree_relevant(path, patterns, expected):
    assert org.ou_subtree_relevant(path, patterns) is expected


@pytest.mark.parametrize(
    ("tags", "wanted", "expected"),
    [
        ({"baseline": "skip"}, {"baseline": ["skip"]}, True),
        ({"baseline": "apply"}, {"baseline": ["skip"]}, False),
        ({"env": "dev"}, {"baseline": ["skip"], "env": ["dev", "test"]}, True),
        ({}, {"baseline": ["skip"]}, False),
        ({"baseline": "skip"}, {}, False),
    ],
)
def test_tags_match(tags, wanted, expected):
    assert org.tags_match(tags, wanted) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Prod Payments", "prod-payments"),
        ("prod_payments.eu", "prod_payments.eu"),
        ("  Team (Ops) #1 ", "team-ops-1"),
        ("Ünïcode Name", "unicode-name"),
        ("***", ""),
        (None, ""),
    ],
)
def test_sanitize_host_name(name, expected):
    assert org.sanitize_host_name(name) == expected


@pytest.mark.parametrize(
    ("path", "prefix", "expected"),
    [
        ("Root", "ou_", "ou_root"),
        ("Root/Workloads", "ou_", "ou_workloads"),
        ("Root/Workloads/Prod", "ou_", "ou_workloads_prod"),
        ("Root/Shared Services/Log-Archive", "ou_", "ou_shared_services_log_archive"),
        ("Root/Workloads/Prod", "", "workloads_prod"),
    ],
)
def test_ou_group_name(path, prefix, expected):
    assert org.ou_group_name(path, prefix) == expected


def test_ou_ancestry():
    assert org.ou_ancestry("Root/Workloads/Prod") == ["Root", "Root/Workloads", "Root/Workloads/Prod"]
    assert org.ou_ancestry("Root") == ["Root"]


ACCOUNTS = [
    {"id": "111111111111", "name": "Prod Payments"},
    {"id": "222222222222", "name": "prod payments"},
    {"id": "333333333333", "name": "Dev"},
    {"id": "044444444444", "name": "!!!"},
]


@pytest.mark.parametrize(
    ("style", "expected", "collisions"),
    [
        (
            "name",
            {
                "111111111111": "prod-payments_111111111111",
                "222222222222": "prod-payments_222222222222",
                "333333333333": "dev",
                "044444444444": "044444444444",
            },
            ["prod-payments"],
        ),
        (
            "id",
            {a["id"]: a["id"] for a in ACCOUNTS},
            [],
        ),
        (
            "name_id",
            {
                "111111111111": "prod-payments_111111111111",
                "222222222222": "prod-payments_222222222222",
                "333333333333": "dev_333333333333",
                "044444444444": "044444444444",
            },
            [],
        ),
    ],
)
def test_assign_hostnames(style, expected, collisions):
    assert org.assign_hostnames(ACCOUNTS, style) == (expected, collisions)


def test_assign_hostnames_refuses_unknown_style():
    with pytest.raises(org.OrganizationsConfigError, match="hostname"):
        org.assign_hostnames(ACCOUNTS, "email")


def test_paginate_follows_next_token_to_the_end():
    pages = {None: {"Items": [1, 2], "NextToken": "a"}, "a": {"Items": [3], "NextToken": "b"}, "b": {"Items": [4]}}
    seen = []

    def call(**kwargs):
        seen.append(kwargs)
        return pages[kwargs.get("NextToken")]

    assert org.paginate(call, "Items", ParentId="r-1") == [1, 2, 3, 4]
    assert seen == [{"ParentId": "r-1"}, {"ParentId": "r-1", "NextToken": "a"}, {"ParentId": "r-1", "NextToken": "b"}]


TREE = {
    "r-1": [{"Id": "ou-w", "Name": "Workloads"}, {"Id": "ou-s", "Name": "Sandbox"}],
    "ou-w": [{"Id": "ou-p", "Name": "Prod"}],
}
ACCOUNTS_BY_PARENT = {
    "r-1": [{"Id": "123456789012"}],
    "ou-w": [{"Id": "111111111111"}],
    "ou-p": [{"Id": "222222222222"}],
    "ou-s": [{"Id": "333333333333"}],
}


def _walk(**kwargs):
    listed = []

    def list_accounts(parent):
        listed.append(parent)
        return ACCOUNTS_BY_PARENT.get(parent, [])

    found = org.walk_organization(
        lambda: [{"Id": "r-1", "Name": "Root"}], lambda parent: TREE.get(parent, []), list_accounts, **kwargs
    )
    return {e["account"]["Id"]: (e["ou_path"], e["ou_id"]) for e in found}, listed


def test_walk_organization_builds_ou_paths():
    found, listed = _walk()
    assert found == {
        "123456789012": ("Root", "r-1"),
        "111111111111": ("Root/Workloads", "ou-w"),
        "222222222222": ("Root/Workloads/Prod", "ou-p"),
        "333333333333": ("Root/Sandbox", "ou-s"),
    }
    assert sorted(listed) == ["ou-p", "ou-s", "ou-w", "r-1"]


def test_walk_organization_prunes_and_skips():
    found, listed = _walk(
        skip_subtree=lambda path: path == "Root/Sandbox",
        skip_accounts=lambda path: path != "Root/Workloads/Prod",
    )
    assert found == {"222222222222": ("Root/Workloads/Prod", "ou-p")}
    assert listed == ["ou-p"]  # no account listing for pruned or skipped OUs


def _record(**overrides):
    record = {
        "id": "111111111111",
        "name": "Prod",
        "email": "prod@example.com",
        "arn": "arn:aws:organizations::123456789012:account/o-1/111111111111",
        "state": "ACTIVE",
        "ou_path": "Root/Workloads/Prod",
        "ou_id": "ou-p",
        "tags": {},
        "management": False,
    }
    record.update(overrides)
    return record


@pytest.mark.parametrize(
    ("record", "filters", "reason"),
    [
        (_record(), {}, None),
        (_record(state="SUSPENDED"), {}, "state SUSPENDED"),
        (_record(management=True), {}, "management account"),
        (_record(management=True), {"include_management_account": True}, None),
        (_record(), {"exclude_account_ids": ["111111111111"]}, "exclude_account_ids"),
        (_record(), {"include_account_ids": ["222222222222"]}, "include_account_ids"),
        (_record(), {"include_account_ids": ["111111111111"]}, None),
        (_record(), {"exclude_ou_paths": ["Root/Workloads"]}, "exclude_ou_paths"),
        (_record(), {"include_ou_paths": ["Root/Sandbox"]}, "include_ou_paths"),
        (_record(), {"include_ou_paths": ["Root/Workloads"], "exclude_ou_paths": ["Root/Workloads/Prod"]}, "exclude"),
        (_record(tags={"baseline": "skip"}), {"exclude_tags": {"baseline": ["skip"]}}, "exclude_tags"),
        (_record(tags={"baseline": "apply"}), {"exclude_tags": {"baseline": ["skip"]}}, None),
        (_record(), {"include_tags": {"env": ["prod"]}}, "include_tags"),
        (_record(tags={"env": "prod"}), {"include_tags": {"env": ["prod"]}}, None),
        (
            _record(tags={"env": "prod", "baseline": "skip"}),
            {"include_tags": {"env": ["prod"]}, "exclude_tags": {"baseline": ["skip"]}},
            "exclude_tags",
        ),
    ],
)
def test_exclusion_reason(record, filters, reason):
    got = org.exclusion_reason(record, filters)
    if reason is None:
        assert got is None
    else:
        assert reason in got


def test_pre_tag_reason_ignores_tag_filters():
    filters = {"include_tags": {"env": ["prod"]}, "exclude_tags": {"baseline": ["skip"]}}
    assert org.pre_tag_reason(_record(), filters) is None
    assert "state" in org.pre_tag_reason(_record(state="SUSPENDED"), filters)


def test_normalise_account_keeps_ids_as_strings_and_marks_management():
    entry = {
        "account": {"Id": "012345678901", "Name": "Mgmt", "Email": "m@x", "Arn": "arn:aws:x", "Status": "ACTIVE"},
        "ou_path": "Root",
        "ou_id": "r-1",
    }
    rec = org.normalise_account(entry, {"a": "b"}, management_account_id="012345678901")
    assert rec == {
        "id": "012345678901",
        "name": "Mgmt",
        "email": "m@x",
        "arn": "arn:aws:x",
        "state": "ACTIVE",
        "ou_path": "Root",
        "ou_id": "r-1",
        "tags": {"a": "b"},
        "management": True,
    }


@pytest.mark.parametrize(
    ("record", "role", "mgmt_role", "expected_arn"),
    [
        (
            _record(),
            "OrganizationAccountAccessRole",
            None,
            "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
        ),
        (_record(), None, None, None),
        (_record(management=True), "OrganizationAccountAccessRole", None, None),
        (
            _record(management=True),
            "OrganizationAccountAccessRole",
            "Baseline",
            "arn:aws:iam::111111111111:role/Baseline",
        ),
        (
            _record(arn="arn:aws-us-gov:organizations::1:account/o/111111111111"),
            "R",
            None,
            "arn:aws-us-gov:iam::111111111111:role/R",
        ),
    ],
)
def test_host_vars(record, role, mgmt_role, expected_arn):
    hostvars = org.host_vars(record, role, mgmt_role)
    assert hostvars.get("baseline_role_arn") == expected_arn
    assert hostvars["aws_account_id"] == "111111111111"
    assert hostvars["aws_ou_path"] == "Root/Workloads/Prod"
    assert set(hostvars) >= {"aws_account_name", "aws_account_email", "aws_account_tags", "aws_ou_id"}
