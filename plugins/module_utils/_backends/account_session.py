# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.account_session (module and action plugin)."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.accountguard.aws.plugins.module_utils import _session as plan
from ansible_collections.accountguard.aws.plugins.module_utils import _sources
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import sts as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import ControlFailure, ControlSpec

ARGUMENT_SPEC = dict(
    account_id=dict(type="str"),
    role_arn=dict(type="str"),
    role_session_name=dict(type="str", default="accountguard"),
    duration_seconds=dict(type="int", default=3600),
    external_id=dict(type="str", no_log=False),
    fail_on_error=dict(type="bool", default=True),
    sources=dict(type="list", elements="str", default=[]),
    required_groups=dict(type="list", elements="str", default=[]),
)

# role_arn and its settings are this module's names of the connection's assume-role options.
_ROLE_OPTIONS = {
    "role_arn": "assume_role_arn",
    "role_session_name": "assume_role_session_name",
    "duration_seconds": "assume_role_duration_seconds",
    "external_id": "assume_role_external_id",
}


def _role_options(params: dict) -> dict:
    """The assume-role settings in force: role_arn's when given, else the connection's own."""
    if params.get("role_arn"):
        return {name: params.get(name) for name in _ROLE_OPTIONS}
    return {name: params.get(option) for name, option in _ROLE_OPTIONS.items()}


def run(ctx) -> dict:
    params = ctx.params
    role = _role_options(params)
    failed = {"changed": False, "ok": False, "assumed_role": bool(role["role_arn"])}

    def fail(msg: str, **result):
        if params["fail_on_error"]:
            # The task's message names the host's account first, so a run over many accounts says which one stopped.
            named = f"{params['account_id']}: {msg}" if params.get("account_id") else msg
            raise ControlFailure(named, **failed, **result, error=msg)
        return {**failed, **result, "error": msg}

    errors = plan.validate(params["account_id"], role["role_arn"], role["role_session_name"], role["duration_seconds"])
    errors += plan.source_errors(params["sources"], _sources.READERS)
    if errors:
        return fail("; ".join(errors))
    # Every client of this task, and so its AssumeRole, goes through the connection options.
    params.update({option: role[name] for name, option in _ROLE_OPTIONS.items()})

    try:
        identity = plan.Identity.from_api(gateway.get_caller_identity(ctx.client("sts")))
    except AnsibleAWSError as error:
        return fail(plan.failure_message(error, role["role_arn"]))
    guard = plan.guard_error(params["account_id"], identity, role["role_arn"])
    if guard:
        return fail(guard, **identity.as_result())

    result = {
        **identity.as_result(),
        "changed": False,
        "ok": True,
        "error": None,
        "assumed_role": failed["assumed_role"],
    }
    sources = _sources.AccountSources(ctx)
    try:
        if params["required_groups"]:
            missing = plan.missing_groups_error(params["required_groups"], sources.get(_sources.GROUP_NAMES))
            if missing:
                return fail(missing, **identity.as_result())
        if params["sources"]:
            result["sources"] = sources.read_all(params["sources"])
    except AnsibleAWSError as error:
        return fail(str(error), **identity.as_result())
    return result


SPEC = ControlSpec(name="account_session", argument_spec=ARGUMENT_SPEC, run=run)
