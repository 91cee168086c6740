"""Generated initial passwords satisfy every password policy variant and never leak."""

from __future__ import annotations

import logging

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _passwords as pw

ALL_CLASSES = {
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}

POLICIES = [
    pytest.param(None, 24, id="no-custom-policy-aws-defaults"),
    pytest.param({}, 24, id="empty-policy"),
    pytest.param({"MinimumPasswordLength": 6}, 24, id="iam-minimum-6"),
    pytest.param({"MinimumPasswordLength": 14, **ALL_CLASSES}, 24, id="cis-14-all-classes"),
    pytest.param({"MinimumPasswordLength": 24, **ALL_CLASSES}, 24, id="exactly-default-length"),
    pytest.param({"MinimumPasswordLength": 40, "RequireSymbols": True}, 40, id="40-symbols-only"),
    pytest.param({"MinimumPasswordLength": 127, "RequireNumbers": True}, 127, id="127"),
    pytest.param({"MinimumPasswordLength": 128, **ALL_CLASSES}, 128, id="iam-maximum-128"),
    pytest.param({"MinimumPasswordLength": 128, "RequireUppercaseCharacters": True}, 128, id="128-upper-only"),
]


@pytest.mark.parametrize(("policy", "length"), POLICIES)
def test_generated_password_satisfies_policy(policy, length):
    for _attempt in range(50):
        password = pw.generate_password(policy)
        assert len(password) == length
        assert pw.policy_violations(password, policy) == []
        # All four classes always, so a policy tightened after creation still accepts it.
        assert pw.policy_violations(password, ALL_CLASSES) == []


@pytest.mark.parametrize(
    ("policy", "requested", "expected"),
    [
        (None, 24, 24),
        (None, 4, 8),  # AWS default minimum wins over a too-short request
        ({"MinimumPasswordLength": 100}, 24, 100),
        ({"MinimumPasswordLength": 128}, 200, 128),  # never above IAM's maximum
        ({"MinimumPasswordLength": 6}, 1, 6),
    ],
)
def test_password_length(policy, requested, expected):
    assert pw.password_length(policy, requested) == expected


@pytest.mark.parametrize(
    ("password", "policy", "problems"),
    [
        ("abcdefgh", None, ["fewer than three of uppercase, lowercase, numbers and symbols"]),
        ("Abcdefg1", None, []),
        ("Abc1", None, ["shorter than 8 characters"]),
        ("abcdefghijklmn", {"MinimumPasswordLength": 14, "RequireSymbols": True}, ["no symbols character"]),
        ("ABCDEFGHIJKLMN", {"RequireLowercaseCharacters": True}, ["no lowercase character"]),
        (
            "abcdefghijklmn",
            {"RequireUppercaseCharacters": True, "RequireNumbers": True},
            ["no uppercase character", "no numbers character"],
        ),
        ("a" * 129, {"MinimumPasswordLength": 6}, ["longer than 128 characters"]),
    ],
)
def test_policy_violations_table(password, policy, problems):
    assert pw.policy_violations(password, policy) == problems


def test_violation_messages_never_contain_the_password():
    password = "zz-secret-zz"
    for problem in pw.policy_violations(password, {"MinimumPasswordLength": 64, **ALL_CLASSES}):
        assert password not in problem


def test_passwords_are_random():
    assert len({pw.generate_password() for _attempt in range(200)}) == 200


def test_generation_logs_nothing(caplog):
    with caplog.at_level(logging.DEBUG):
        password = pw.generate_password({"MinimumPasswordLength": 32, **ALL_CLASSES})
    assert password not in caplog.text
    assert caplog.records == []
