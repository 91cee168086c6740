# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS plumbing every accountguard.aws module shares, so nobody writes it twice.

- clients with one bounded retry policy (botocore standard mode plus jittered backoff),
- one error handler per call family (IAM, STS, Organizations) raising AccountGuardAWSError, which
  AnsibleAWSModule.fail_json_aws_error turns into a failure carrying the AWS error code,
- option validation that runs before any API call,
- honest check mode and diff results,
- small time helpers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ansible.module_utils.common.warnings import warn as _warn
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# One retry policy for the collection, so a run whose every call is throttled gives up in bounded time
# (docs/reliability.md, "Giving up"). botocore retries throttling, 5xx and dropped connections alike, 6
# attempts with at most 1 + 2 + 4 + 8 + 16 s of backoff; a user's aws_config still wins (amazon.aws merges it
# last). On top, AWSRetry retries the throttling codes a few more times with short jittered sleeps: amazon.aws's
# defaults (10 tries, up to 60 s each) would multiply to minutes per call.
BOTOCORE_RETRIES = {"mode": "standard", "max_attempts": 6}


def retry(**extra):
    """The jittered-backoff decorator for every call of the collection; `extra` as AWSRetry takes it."""
    return AWSRetry.jittered_backoff(retries=2, delay=2, max_delay=5, **extra)


# Helpers in module_utils decorate their own calls, so they take a plain or wrapped client.
RETRY_DECORATOR = retry()


class AccountGuardAWSError(AnsibleAWSError):
    pass


class IAMErrors(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AccountGuardAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchEntity")


class STSErrors(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AccountGuardAWSError


class OrganizationsErrors(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AccountGuardAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(("AWSOrganizationsNotInUseException", "AccountNotFoundException"))


def client(module, service: str, **extra_params):
    """A boto3 client from the amazon.aws connection options, with the collection's retry policy."""
    return module.client(
        service, retry_decorator=RETRY_DECORATOR, config={"retries": dict(BOTOCORE_RETRIES)}, **extra_params
    )


def iam_client(module):
    return client(module, "iam")


# --- validation (before any API call) ---------------------------------------------------------------


def range_errors(params: dict, ranges: dict) -> list[str]:
    """Messages for every integer option outside its inclusive range; unset (None) options are fine.

    `ranges` maps option name -> (minimum, maximum).
    """
    errors = []
    for name, (low, high) in ranges.items():
        value = params.get(name)
        if value is None:
            continue
        if not low <= value <= high:
            errors.append(f"{name} must be between {low} and {high} (inclusive), got {value}")
    return errors


def fail_on_errors(module, errors: list[str]) -> None:
    if errors:
        module.fail_json(msg="; ".join(errors))


def warn(message: str) -> None:
    """A task warning. amazon.aws 10's module.warn() re-passes `warnings` to exit_json, which ansible-core
    2.19 reports as a deprecation on every run; the core warning registry avoids that noise."""
    _warn(message)


# --- results -------------------------------------------------------------------------------------------


def diff_result(before, after) -> dict:
    return {"before": before, "after": after}


def exit_enforced(module, *, changed: bool, before, after, **result) -> None:
    """exit_json for enforcing modules: `diff` only under --diff, so a plain run stays quiet."""
    if module._diff:
        result["diff"] = diff_result(before, after)
    module.exit_json(changed=changed, **result)


# --- time ------------------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """Datetime -> ISO 8601 string for module results (JSON has no datetime)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def days_since(value: datetime | None, now: datetime) -> int | None:
    if value is None:
        return None
    return (now - value).days


@STSErrors.common_error_handler("get the caller identity")
@retry()
def caller_identity(sts_client) -> dict:
    response = sts_client.get_caller_identity()
    return {"account": response["Account"], "arn": response["Arn"], "user_id": response["UserId"]}


@IAMErrors.list_error_handler("get a login profile", False)
@retry()
def has_login_profile(iam_client, user_name: str) -> bool:
    iam_client.get_login_profile(UserName=user_name)
    return True
