# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_password_policy (module and action plugin)."""

from __future__ import annotations

from ansible_collections.accountguard.aws.plugins.module_utils import _password_policy as plan
from ansible_collections.accountguard.aws.plugins.module_utils._common import range_errors
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlSpec,
    enforced_result,
    fail_on_errors,
)
from ansible_collections.accountguard.aws.plugins.module_utils._sources import (
    PASSWORD_POLICY,
    SOURCES_ARGUMENT_SPEC,
    AccountSources,
)

ARGUMENT_SPEC = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    minimum_password_length=dict(type="int", aliases=["min_pw_length"], no_log=False),
    require_symbols=dict(type="bool"),
    require_numbers=dict(type="bool"),
    require_uppercase=dict(type="bool"),
    require_lowercase=dict(type="bool"),
    allow_users_to_change_password=dict(
        type="bool", aliases=["allow_pw_change", "allow_password_change"], no_log=False
    ),
    max_password_age=dict(type="int", aliases=["pw_max_age", "password_max_age"], no_log=False),
    password_reuse_prevention=dict(
        type="int", aliases=["pw_reuse_prevent", "password_reuse_prevent", "prevent_reuse"], no_log=False
    ),
    hard_expiry=dict(type="bool", aliases=["pw_expire", "password_expire", "expire"], no_log=False),
    **SOURCES_ARGUMENT_SPEC,
)


def run(ctx) -> dict:
    params = ctx.params
    fail_on_errors(range_errors(params, plan.RANGES))
    if params["state"] == "absent":
        ignored = [option for option in plan.OPTIONS if params.get(option) is not None]
        if ignored:
            ctx.warn(f"state=absent deletes the custom password policy; ignoring {', '.join(ignored)}")

    current = plan.from_api(AccountSources(ctx).get(PASSWORD_POLICY)["policy"])
    if params["state"] == "absent":
        changed = current is not None
        if changed and not ctx.check_mode:
            gateway.delete_password_policy(ctx.client("iam"))
        return enforced_result(ctx, changed=changed, before=current, after=None, policy=None, changed_options=[])

    desired = plan.merge(current, params)
    to_change = plan.changed_options(current, desired)
    if not to_change:
        return enforced_result(ctx, changed=False, before=current, after=current, policy=current, changed_options=[])
    policy = desired
    if not ctx.check_mode:
        client = ctx.client("iam")
        gateway.update_password_policy(client, plan.to_api(desired))
        # Read back what AWS stored rather than echoing what was sent.
        policy = plan.from_api(gateway.get_password_policy(client))
    return enforced_result(ctx, changed=True, before=current, after=policy, policy=policy, changed_options=to_change)


SPEC = ControlSpec(name="iam_password_policy", argument_spec=ARGUMENT_SPEC, run=run)
