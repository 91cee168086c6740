from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _password_policy as pp
from ansible_collections.accountguard.aws.plugins.module_utils._common import range_errors
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account as gateway

STRONG = {
    "minimum_password_length": 14,
    "require_symbols": True,
    "require_numbers": True,
    "require_uppercase": True,
    "require_lowercase": True,
    "allow_users_to_change_password": True,
    "max_password_age": 90,
    "password_reuse_prevention": 24,
    "hard_expiry": False,
}
UNSET = dict.fromkeys(pp.OPTIONS)


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        (None, None),
        # AWS omits MaxPasswordAge / PasswordReusePrevention / HardExpiry when they are off
        (
            {"MinimumPasswordLength": 8, "RequireSymbols": True, "ExpirePasswords": False},
            {**pp.API_DEFAULTS, "minimum_password_length": 8, "require_symbols": True, "expire_passwords": False},
        ),
        (
            {
                "MinimumPasswordLength": 14,
                "RequireSymbols": True,
                "RequireNumbers": True,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": True,
                "AllowUsersToChangePassword": True,
                "ExpirePasswords": True,
                "MaxPasswordAge": 90,
                "PasswordReusePrevention": 24,
                "HardExpiry": False,
            },
            {**STRONG, "expire_passwords": True},
        ),
    ],
)
def test_from_api(api, expected):
    assert pp.from_api(api) == expected


@pytest.mark.parametrize(
    ("current", "requested", "expected"),
    [
        # no custom policy: unset options take the API defaults
        (None, {**UNSET, "minimum_password_length": 14}, {**pp.API_DEFAULTS, "minimum_password_length": 14}),
        # an unset option keeps the account's value (amazon.aws resets it)
        (
            {**STRONG, "expire_passwords": True},
            {**UNSET, "require_symbols": False},
            {**STRONG, "require_symbols": False},
        ),
        # false and 0 are values, not "unset"
        ({**STRONG, "expire_passwords": True}, {**UNSET, "max_password_age": 0}, {**STRONG, "max_password_age": 0}),
        ({**STRONG, "expire_passwords": True}, UNSET, STRONG),
    ],
)
def test_merge(current, requested, expected):
    merged = pp.merge(current, requested)
    assert {k: merged[k] for k in pp.OPTIONS} == expected
    assert merged["expire_passwords"] is (expected["max_password_age"] > 0)


@pytest.mark.parametrize(
    ("current", "desired", "differs", "changed"),
    [
        (None, pp.merge(None, UNSET), True, list(pp.OPTIONS)),
        (pp.merge(None, STRONG), pp.merge(None, STRONG), False, []),
        (pp.merge(None, STRONG), pp.merge(None, {**STRONG, "hard_expiry": True}), True, ["hard_expiry"]),
        (
            pp.merge(None, STRONG),
            pp.merge(None, {**STRONG, "minimum_password_length": 16, "password_reuse_prevention": 5}),
            True,
            ["minimum_password_length", "password_reuse_prevention"],
        ),
    ],
)
def test_differs_and_changed_options(current, desired, differs, changed):
    assert pp.differs(current, desired) is differs
    assert pp.changed_options(current, desired) == changed


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            pp.merge(None, STRONG),
            {
                "MinimumPasswordLength": 14,
                "RequireSymbols": True,
                "RequireNumbers": True,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": True,
                "AllowUsersToChangePassword": True,
                "MaxPasswordAge": 90,
                "PasswordReusePrevention": 24,
                "HardExpiry": False,
            },
        ),
        # the API rejects 0 for these two: "off" is expressed by leaving them out
        (
            pp.merge(None, UNSET),
            {
                "MinimumPasswordLength": 6,
                "RequireSymbols": False,
                "RequireNumbers": False,
                "RequireUppercaseCharacters": False,
                "RequireLowercaseCharacters": False,
                "AllowUsersToChangePassword": False,
                "HardExpiry": False,
            },
        ),
    ],
)
def test_to_api(policy, expected):
    assert pp.to_api(policy) == expected


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (UNSET, []),
        ({**UNSET, "minimum_password_length": 6, "max_password_age": 0, "password_reuse_prevention": 0}, []),
        ({**UNSET, "minimum_password_length": 128, "max_password_age": 1095, "password_reuse_prevention": 24}, []),
        ({**UNSET, "minimum_password_length": 5}, ["minimum_password_length must be between 6 and 128"]),
        ({**UNSET, "minimum_password_length": 129}, ["minimum_password_length must be between 6 and 128"]),
        ({**UNSET, "max_password_age": -1}, ["max_password_age must be between 0 and 1095"]),
        ({**UNSET, "max_password_age": 1096}, ["max_password_age must be between 0 and 1095"]),
        ({**UNSET, "password_reuse_prevention": 25}, ["password_reuse_prevention must be between 0 and 24"]),
        (
            {**UNSET, "minimum_password_length": 1, "password_reuse_prevention": -3},
            ["minimum_password_length must be between 6 and 128", "password_reuse_prevention must be between 0 and 24"],
        ),
    ],
)
def test_range_validation(params, errors):
    found = range_errors(params, pp.RANGES)
    assert len(found) == len(errors)
    for message, expected in zip(found, errors, strict=True):
        assert message.startswith(expected)


class FakeIAM:
    """The two calls of the password-policy gateway, as the retrying client wrapper receives them."""

    def __init__(self, policy=None):
        self.policy = policy
        self.updates = []

    def get_account_password_policy(self, aws_retry=False):
        assert aws_retry is True
        if self.policy is None:
            import botocore.exceptions

            raise botocore.exceptions.ClientError({"Error": {"Code": "NoSuchEntity"}}, "GetAccountPasswordPolicy")
        return {"PasswordPolicy": self.policy}

    def update_account_password_policy(self, aws_retry=False, **kwargs):
        assert aws_retry is True
        self.updates.append(kwargs)


def test_get_policy_missing_is_none():
    assert gateway.get_password_policy(FakeIAM()) is None


def test_get_and_put_round_trip():
    client = FakeIAM({"MinimumPasswordLength": 10})
    assert pp.from_api(gateway.get_password_policy(client))["minimum_password_length"] == 10
    gateway.update_password_policy(client, pp.to_api(pp.merge(None, STRONG)))
    assert client.updates == [pp.to_api(pp.merge(None, STRONG))]
