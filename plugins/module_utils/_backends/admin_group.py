# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.iam_admin_group (module and action plugin).

Only a missing entity (NoSuchEntity) is an answer ("no such group", "no guard yet"); every other error,
AccessDenied included, fails the task with the AWS error, which names the operation and the permission.
"""

from __future__ import annotations

import json
import time

from ansible_collections.accountguard.aws.plugins.module_utils import _admin_group as plan
from ansible_collections.accountguard.aws.plugins.module_utils._admin_group import GroupOp
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import groups as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    ControlFailure,
    ControlSpec,
    enforced_result,
    fail_on_errors,
)

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True, aliases=["group_name"]),
    path=dict(type="str"),
    managed_policies=dict(type="list", elements="str", default=[]),
    purge_policies=dict(type="bool", default=False),
    mfa_guard=dict(
        type="dict",
        options=dict(
            policy_name=dict(type="str", required=True),
            policy_document=dict(type="json", required=True),
        ),
    ),
    state=dict(type="str", choices=["present"], default="present"),
)


def desired_state(params: dict) -> dict:
    guard = params["mfa_guard"]
    if guard is not None:
        guard = {"policy_name": guard["policy_name"], "policy_document": plan.parse_document(guard["policy_document"])}
    return {
        "name": params["name"],
        "path": params["path"],
        "managed_policies": params["managed_policies"],
        "purge_policies": params["purge_policies"],
        "mfa_guard": guard,
    }


def read_state(iam, name: str, guard_name: str | None) -> dict | None:
    """What the account holds: {group, managed_policies, guard_document}, or None when the group is missing.

    Three reads at most, whatever the number of members; the guard is read only when it is managed.
    """
    answer = gateway.get_group(iam, name)
    if answer is None:
        return None
    group = plan.group_from_api(answer["Group"], answer.get("Users", []))
    state = {
        "group": group,
        "managed_policies": gateway.list_attached_policy_arns(iam, group["group_name"]),
        "guard_document": None,
    }
    if guard_name is not None:
        document = gateway.get_group_policy_document(iam, group["group_name"], guard_name)
        state["guard_document"] = None if document is None else plan.parse_document(document)
    return state


def read_back(iam, name: str, guard_name: str | None, sleep=time.sleep, delays=plan.FRESH_GROUP_DELAYS):
    """read_state after writes, waiting while IAM does not show a group this run has just created yet."""
    for delay in (*delays, None):
        state = read_state(iam, name, guard_name)
        if state is not None or delay is None:
            return state
        sleep(delay)
    return None  # not reached: the last attempt returns


def execute(iam, name: str, actions: list[plan.GroupAction], desired: dict) -> None:
    """Run the planned writes in order (the group first: the other writes name it)."""
    for action in actions:
        if action.op is GroupOp.CREATE_GROUP:
            gateway.create_group(iam, name, action.path)
        elif action.op is GroupOp.UPDATE_PATH:
            gateway.update_group_path(iam, name, action.path)
        elif action.op is GroupOp.ATTACH_POLICY:
            gateway.attach_group_policy(iam, name, action.policy_arn)
        elif action.op is GroupOp.DETACH_POLICY:
            gateway.detach_group_policy(iam, name, action.policy_arn)
        elif action.op is GroupOp.PUT_GROUP_POLICY:
            gateway.put_group_policy(iam, name, action.policy_name, json.dumps(desired["mfa_guard"]["policy_document"]))


def run(ctx) -> dict:
    # Validate before creating a client: bad input must never reach AWS.
    fail_on_errors(plan.validate(ctx.params))
    desired = desired_state(ctx.params)
    guard = desired["mfa_guard"]
    guard_name = guard["policy_name"] if guard else None

    iam = ctx.client("iam")
    current = read_state(iam, desired["name"], guard_name)
    actions = plan.plan(current, desired)
    if not actions or ctx.check_mode:
        after = plan.predicted(current, desired, actions)
    else:
        # IAM names are case-insensitive: write to the group under the name IAM stores.
        name = current["group"]["group_name"] if current else desired["name"]
        execute(iam, name, actions, desired)
        after = read_back(iam, name, guard_name)
        if after is None:
            raise ControlFailure(f"The group {name} was created but IAM still does not show it; run again")
    result = {
        "group": after["group"],
        "attached_policies": plan.attached_policies(after),
        "actions": [action.label for action in actions],
    }
    if guard:
        result["mfa_guard"] = plan.guard_status(current, guard)
    return enforced_result(
        ctx,
        changed=bool(actions),
        before=plan.view(current, guard_name),
        after=plan.view(after, guard_name),
        **result,
    )


SPEC = ControlSpec(name="iam_admin_group", argument_spec=ARGUMENT_SPEC, run=run)
