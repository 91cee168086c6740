# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The account password policy as a plan: convert, merge and compare (pure; the calls are in _gateway.account).

UpdateAccountPasswordPolicy replaces the whole policy, so the module sends the *merged* policy: options the
user left unset keep the account's current values (amazon.aws resets them to defaults instead).
"""

from __future__ import annotations

# Module option -> API field, in the order the module documents them.
API_FIELDS = {
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
OPTIONS = tuple(API_FIELDS)

# What UpdateAccountPasswordPolicy applies to a field it is not sent; also how an account without a custom
# policy behaves. 0 means "off" for the age and reuse fields, which the API expresses by omitting them.
API_DEFAULTS = {
    "minimum_password_length": 6,
    "require_symbols": False,
    "require_numbers": False,
    "require_uppercase": False,
    "require_lowercase": False,
    "allow_users_to_change_password": False,
    "max_password_age": 0,
    "password_reuse_prevention": 0,
    "hard_expiry": False,
}

INT_OPTIONS = frozenset({"minimum_password_length", "max_password_age", "password_reuse_prevention"})

RANGES = {
    "minimum_password_length": (6, 128),
    "max_password_age": (0, 1095),
    "password_reuse_prevention": (0, 24),
}

# Zero is a module value only: the API rejects 0 and means "off" when the field is omitted.
_OMIT_WHEN_ZERO = ("max_password_age", "password_reuse_prevention")


def from_api(api_policy: dict | None) -> dict | None:
    """GetAccountPasswordPolicy's PasswordPolicy -> module-shaped policy (None when there is no custom one)."""
    if api_policy is None:
        return None
    policy = {}
    for option, field in API_FIELDS.items():
        value = api_policy.get(field)
        if value is None:
            value = API_DEFAULTS[option]
        policy[option] = int(value) if option in INT_OPTIONS else bool(value)
    policy["expire_passwords"] = policy["max_password_age"] > 0
    return policy


def merge(current: dict | None, requested: dict) -> dict:
    """The policy to send: requested options over the current policy (or the API defaults when there is none)."""
    base = current if current is not None else API_DEFAULTS
    merged = {option: base[option] for option in OPTIONS}
    for option in OPTIONS:
        if requested.get(option) is not None:
            merged[option] = requested[option]
    merged["expire_passwords"] = merged["max_password_age"] > 0
    return merged


def differs(current: dict | None, desired: dict) -> bool:
    if current is None:
        return True
    return any(current[option] != desired[option] for option in OPTIONS)


def changed_options(current: dict | None, desired: dict) -> list[str]:
    if current is None:
        return list(OPTIONS)
    return [option for option in OPTIONS if current[option] != desired[option]]


def to_api(policy: dict) -> dict:
    """Module-shaped policy -> UpdateAccountPasswordPolicy keyword arguments."""
    args = {}
    for option, field in API_FIELDS.items():
        value = policy[option]
        if option in _OMIT_WHEN_ZERO and not value:
            continue
        args[field] = value
    return args
