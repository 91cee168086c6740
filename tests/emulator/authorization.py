"""IAM authorization of the calls the emulator answers itself (``sts:AssumeRoot``, IAM's Organizations features),
under enforced authorization (``Emulator.enforce_iam_authorization``).

moto authorizes the calls it answers, but only those, and its policy conditions are a sketch (an absent context
key satisfies any condition; an operator it does not know is ignored; an Allow whose condition fails denies).
The calls answered in ``root_access.py`` never reach moto's check, so without this module any caller could open
a root session with any task policy while authorization is enforced. Here the caller's identity policies (those
moto keeps for the IAM user or assumed role behind the access key) are evaluated as IAM does:

- an applicable ``Deny`` refuses, else an applicable ``Allow`` allows, else the call is implicitly denied;
- a statement applies when its ``Action`` (or ``NotAction``) matches the action (case-insensitively, ``*`` and
  ``?`` wildcards), its ``Resource`` (or ``NotResource``) the resource, and every condition holds;
- conditions: the ``String*`` and ``Arn*`` operators, negated forms and ``...IfExists``; a key absent from the
  request fails a positive operator and satisfies a negated one (unless ``IfExists``). The request's keys are
  the ones AWS sets for the action (for ``sts:AssumeRoot``: ``sts:TaskPolicyArn``).

An operator or set qualifier (``ForAnyValue:``, ``ForAllValues:``) this module does not know is an error the test
sees, never a silent pass. Signatures are not checked here (moto checks them on every call it answers).
Runs only in the server process.
"""

from __future__ import annotations

import re

from moto.iam.access_control import CreateAccessKeyFailure, IAMPolicy, create_access_key

from emulator.root_access import AwsError

PARTITION = "aws"


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, value, re.IGNORECASE if ignore_case else 0) is not None


# Positive operators; "Not" in the name negates one, "IfExists" at the end makes an absent key pass.
MATCHERS = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": _wildcard,
    "ArnEquals": lambda expected, actual: expected == actual,
    "ArnLike": _wildcard,
}


class UnsupportedCondition(AwsError):
    def __init__(self, operator: str) -> None:
        super().__init__(
            500,
            "EmulatorUnsupportedCondition",
            f"the emulator cannot evaluate the condition operator {operator!r} (tests/emulator/authorization.py)",
        )


def condition_holds(operator: str, keys: dict, context: dict) -> bool:
    """One condition block (``{"StringEquals": {"sts:TaskPolicyArn": [...]}}``'s operator and keys)."""
    if ":" in operator:
        raise UnsupportedCondition(operator)
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    negated = "Not" in base
    positive = base.replace("Not", "", 1)
    matcher = MATCHERS.get(positive)
    if matcher is None:
        raise UnsupportedCondition(operator)
    lowered = {key.lower(): value for key, value in context.items()}
    for key, expected in keys.items():
        actual = lowered.get(key.lower())
        if actual is None:
            if if_exists:
                continue
            if not negated:
                return False
            continue
        hit = any(matcher(str(value), str(actual)) for value in _listed(expected))
        if hit == negated:
            return False
    return True


def statement_applies(statement: dict, action: str, resource: str, context: dict) -> bool:
    if "Action" in statement:
        if not any(_wildcard(a, action, ignore_case=True) for a in _listed(statement["Action"])):
            return False
    elif any(_wildcard(a, action, ignore_case=True) for a in _listed(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(_wildcard(r, resource) for r in _listed(statement["Resource"])):
            return False
    elif any(_wildcard(r, resource) for r in _listed(statement.get("NotResource", []))):
        return False
    return all(condition_holds(op, keys, context) for op, keys in (statement.get("Condition") or {}).items())


def decide(documents: list[dict], action: str, resource: str, context: dict) -> str:
    """ "deny" (an explicit Deny applies), "allow" or "implicit" (nothing allows) for policy documents."""
    allowed = False
    for document in documents:
        for statement in _listed(document.get("Statement", [])):
            if not statement_applies(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return "deny"
            allowed = allowed or statement.get("Effect") == "Allow"
    return "allow" if allowed else "implicit"


def authorize(account_id: str, access_key_id: str, session_token: str | None, action: str, resource: str, context):
    """Raise AwsError unless the identity behind the access key may call ``action`` on ``resource``."""
    headers = {"X-Amz-Security-Token": session_token} if session_token else {}
    try:
        identity = create_access_key(account_id, PARTITION, access_key_id, headers)
    except CreateAccessKeyFailure:
        raise AwsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.") from None
    documents = [IAMPolicy(policy)._policy_json for policy in identity.collect_policies()]
    verdict = decide(documents, action, resource, context)
    if verdict == "allow":
        return
    because = (
        "with an explicit deny in an identity-based policy"
        if verdict == "deny"
        else f"because no identity-based policy allows the {action} action"
    )
    message = f"User: {identity.arn} is not authorized to perform: {action} on resource: {resource} {because}"
    raise AwsError(403, "AccessDenied", message)
