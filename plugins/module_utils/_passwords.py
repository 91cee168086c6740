# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Initial console passwords that the account's password policy accepts.

Private to accountguard.aws: no compatibility promise outside the collection.

The generated password is a secret: callers must register it with ``module.no_log_values`` and must never
return it, log it or put it in an exception message. Nothing here prints or logs it.
"""

from __future__ import annotations

import secrets

# The characters IAM documents as "non-alphanumeric" for RequireSymbols. Other printable characters are
# accepted by CreateLoginProfile but do not count as symbols, so only these are used.
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"
UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWERCASE = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
# Characters people misread when they type an initial password from a file (O/0, l/1/I) are left out;
# entropy stays far above what the length requirement implies.
_UNAMBIGUOUS_UPPER = "".join(c for c in UPPERCASE if c not in "IO")
_UNAMBIGUOUS_LOWER = "".join(c for c in LOWERCASE if c != "l")
_UNAMBIGUOUS_DIGITS = "".join(c for c in DIGITS if c not in "01")

IAM_MIN_LENGTH = 6
IAM_MAX_LENGTH = 128
# Without a custom policy AWS requires 8 characters and three of the four character classes.
AWS_DEFAULT_MIN_LENGTH = 8
DEFAULT_LENGTH = 24


def _policy_min_length(policy: dict | None) -> int:
    if not policy:
        return AWS_DEFAULT_MIN_LENGTH
    return int(policy.get("MinimumPasswordLength") or AWS_DEFAULT_MIN_LENGTH)


def password_length(policy: dict | None, length: int = DEFAULT_LENGTH) -> int:
    """The length to generate: at least ``length``, at least the policy minimum, never above IAM's 128."""
    return max(IAM_MIN_LENGTH, min(IAM_MAX_LENGTH, max(length, _policy_min_length(policy))))


def generate_password(policy: dict | None = None, length: int = DEFAULT_LENGTH) -> str:
    """A random password that satisfies ``policy`` (a GetAccountPasswordPolicy ``PasswordPolicy`` dict).

    ``None`` (no custom policy, NoSuchEntity) means the AWS default rules. Every password holds all four
    character classes whatever the policy asks, so it also satisfies the default "three of four" rule and
    a policy that is tightened between generation and first sign-in.
    """
    size = password_length(policy, length)
    classes = [_UNAMBIGUOUS_UPPER, _UNAMBIGUOUS_LOWER, _UNAMBIGUOUS_DIGITS, SYMBOLS]
    alphabet = "".join(classes)
    chars = [secrets.choice(cls) for cls in classes]
    chars += [secrets.choice(alphabet) for _position in range(size - len(chars))]
    # Shuffle with a CSPRNG so the guaranteed characters are not always at the front.
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def policy_violations(password: str, policy: dict | None) -> list[str]:
    """Which rules of ``policy`` (or of the AWS defaults when ``None``) ``password`` breaks.

    The messages name the rule, never the password.
    """
    problems = []
    has = {
        "uppercase": any(c in UPPERCASE for c in password),
        "lowercase": any(c in LOWERCASE for c in password),
        "numbers": any(c in DIGITS for c in password),
        "symbols": any(c in SYMBOLS for c in password),
    }
    if len(password) > IAM_MAX_LENGTH:
        problems.append(f"longer than {IAM_MAX_LENGTH} characters")
    minimum = _policy_min_length(policy)
    if len(password) < minimum:
        problems.append(f"shorter than {minimum} characters")
    if not policy:
        if sum(has.values()) < 3:
            problems.append("fewer than three of uppercase, lowercase, numbers and symbols")
        return problems
    for key, cls in (
        ("RequireUppercaseCharacters", "uppercase"),
        ("RequireLowercaseCharacters", "lowercase"),
        ("RequireNumbers", "numbers"),
        ("RequireSymbols", "symbols"),
    ):
        if policy.get(key) and not has[cls]:
            problems.append(f"no {cls} character")
    return problems
