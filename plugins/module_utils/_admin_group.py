# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The administrators group of accountguard.aws.iam_admin_group: validation, plan and views.

Private to accountguard.aws: no compatibility promise outside the collection.

Nothing here talks to AWS (that is ``_gateway/groups.py``, driven by ``_backends/admin_group.py``); every
decision is unit-tested with tables.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ._iam_names import PATH_MAX, is_valid_path

# IAM limits, from the IAM API reference (AttachGroupPolicy, PutGroupPolicy) and IAM quotas; paths: _iam_names.
POLICY_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::(aws|\d{12}):policy/([\x21-\x7e]+/)?[\w+=,.@-]{1,128}$")
# The aggregate size of a group's inline policies, whitespace not counted: one document cannot be larger.
INLINE_POLICY_MAX = 5120
MANAGED_POLICIES_MAX = 20

# IAM is eventually consistent: a group created a moment ago can still be NoSuchEntity to the next read.
FRESH_GROUP_DELAYS = (1, 2, 4, 8, 8)


# --- validation (before any API call) -----------------------------------------------------------------


def parse_document(document) -> dict:
    """A policy document as a dict, from a dict, a JSON string or a URL-encoded JSON string.

    boto3 already decodes GetGroupPolicy's URL-encoded document into a dict; strings come from users
    (a lookup of a JSON file) or from clients that do not decode. Raises ValueError when it is not a JSON object.
    """
    if isinstance(document, dict):
        return document
    if not isinstance(document, str):
        raise ValueError(f"must be a JSON object, got {type(document).__name__}")
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = unquote(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"is not valid JSON ({e.msg} at position {e.pos})") from e
    if not isinstance(parsed, dict):
        raise ValueError(f"must be a JSON object, got {type(parsed).__name__}")
    return parsed


def document_size(document: dict) -> int:
    """The size IAM counts against its quota: the JSON text without whitespace outside strings."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def validate(params: dict) -> list[str]:
    """Every problem with the module's options, each message naming the option and the rule it breaks."""
    errors = []
    name = params.get("name")
    if not isinstance(name, str) or not name or validate_iam_identifiers("group", name=name):
        errors.append(f"name must be 1 to 128 characters of letters, numbers and + = , . @ _ - (got {name!r})")
    path = params.get("path")
    if path is not None and not is_valid_path(path):
        errors.append(
            f"path must be / or start and end with / and hold printable ASCII characters, at most {PATH_MAX} "
            f"characters (got {path!r})"
        )
    policies = params.get("managed_policies") or []
    for arn in policies:
        if not isinstance(arn, str) or not POLICY_ARN_RE.match(arn):
            errors.append(
                f"managed_policies: {arn!r} is not a managed policy ARN (arn:aws:iam::aws:policy/NAME or "
                "arn:aws:iam::ACCOUNT_ID:policy/PATH/NAME)"
            )
    duplicates = sorted({arn for arn in policies if policies.count(arn) > 1})
    if duplicates:
        errors.append(f"managed_policies lists {', '.join(duplicates)} more than once")
    if len(set(policies)) > MANAGED_POLICIES_MAX:
        errors.append(
            f"managed_policies has {len(set(policies))} policies; IAM attaches at most {MANAGED_POLICIES_MAX}"
        )
    guard = params.get("mfa_guard")
    if guard is not None:
        policy_name = guard.get("policy_name")
        if not isinstance(policy_name, str) or not policy_name or validate_iam_identifiers("policy", name=policy_name):
            errors.append(
                "mfa_guard.policy_name must be 1 to 128 characters of letters, numbers and + = , . @ _ - "
                f"(got {policy_name!r})"
            )
        try:
            document = parse_document(guard.get("policy_document"))
        except ValueError as e:
            errors.append(f"mfa_guard.policy_document {e}")
        else:
            if not isinstance(document.get("Statement"), (list, dict)) or not document.get("Statement"):
                errors.append("mfa_guard.policy_document must hold a Statement (a statement or a list of them)")
            size = document_size(document)
            if size > INLINE_POLICY_MAX:
                errors.append(
                    f"mfa_guard.policy_document is {size} characters without whitespace; IAM allows at most "
                    f"{INLINE_POLICY_MAX} for a group's inline policies"
                )
    return errors


# --- plan ----------------------------------------------------------------------------------------------


def policy_name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def documents_differ(current: dict | None, desired: dict) -> bool:
    """Whether two policy documents mean different things (statement and list order, a single action written
    as a string or a one-element list, and a missing Version do not count)."""
    if current is None:
        return True
    return compare_policies(current, desired)


class GroupOp(Enum):
    CREATE_GROUP = "create_group"
    UPDATE_PATH = "update_path"
    ATTACH_POLICY = "attach_policy"
    DETACH_POLICY = "detach_policy"
    PUT_GROUP_POLICY = "put_group_policy"


@dataclass(frozen=True)
class GroupAction:
    """One write of the plan: ``path`` for the group ops, ``policy_arn`` or ``policy_name`` for the others."""

    op: GroupOp
    path: str | None = None
    policy_arn: str | None = None
    policy_name: str | None = None

    @property
    def label(self) -> str:
        """A one-line description of a write for the ``actions`` return value."""
        argument = self.path if self.op in (GroupOp.CREATE_GROUP, GroupOp.UPDATE_PATH) else None
        argument = argument or self.policy_arn or self.policy_name
        return f"{self.op.value}:{argument}"


def plan(current: dict | None, desired: dict) -> list[GroupAction]:
    """The writes that bring the group from `current` (read_state, None when missing) to `desired`.

    `desired`: {name, path (None: keep), managed_policies, purge_policies, mfa_guard (None: not managed) with
    its document already parsed}. Nothing is ever detached unless purge_policies asks; the group is never deleted.
    """
    actions = []
    attached = [] if current is None else current["managed_policies"]
    if current is None:
        actions.append(GroupAction(GroupOp.CREATE_GROUP, path=desired.get("path") or "/"))
    elif desired.get("path") is not None and desired["path"] != current["group"]["path"]:
        actions.append(GroupAction(GroupOp.UPDATE_PATH, path=desired["path"]))
    wanted = desired.get("managed_policies") or []
    if desired.get("purge_policies"):
        actions += [GroupAction(GroupOp.DETACH_POLICY, policy_arn=arn) for arn in attached if arn not in wanted]
    actions += [GroupAction(GroupOp.ATTACH_POLICY, policy_arn=arn) for arn in wanted if arn not in attached]
    guard = desired.get("mfa_guard")
    if guard is not None:
        found = None if current is None else current.get("guard_document")
        if documents_differ(found, guard["policy_document"]):
            actions.append(GroupAction(GroupOp.PUT_GROUP_POLICY, policy_name=guard["policy_name"]))
    return actions


def predicted(current: dict | None, desired: dict, actions: list[GroupAction]) -> dict:
    """The state the writes of `actions` leave, in read_state's shape: the check-mode answer."""
    if current is None:
        group = {"group_name": desired["name"], "group_id": None, "arn": None, "path": "/", "users": []}
        attached = []
        document = None
    else:
        group = dict(current["group"])
        attached = list(current["managed_policies"])
        document = current.get("guard_document")
    for action in actions:
        if action.op in (GroupOp.CREATE_GROUP, GroupOp.UPDATE_PATH):
            group["path"] = action.path
        elif action.op is GroupOp.ATTACH_POLICY:
            attached.append(action.policy_arn)
        elif action.op is GroupOp.DETACH_POLICY:
            attached.remove(action.policy_arn)
        elif action.op is GroupOp.PUT_GROUP_POLICY:
            document = desired["mfa_guard"]["policy_document"]
    return {"group": group, "managed_policies": attached, "guard_document": document}


def view(state: dict | None, guard_name: str | None) -> dict | None:
    """One side of the diff: what the task manages, comparable field by field (None: no group)."""
    if state is None:
        return None
    side = {
        "group_name": state["group"]["group_name"],
        "path": state["group"]["path"],
        "managed_policies": sorted(state["managed_policies"]),
    }
    if guard_name is not None:
        document = state.get("guard_document")
        side["mfa_guard"] = None if document is None else {"policy_name": guard_name, "policy_document": document}
    return side


def attached_policies(state: dict) -> list[dict]:
    return [{"policy_arn": arn, "policy_name": policy_name_from_arn(arn)} for arn in state["managed_policies"]]


def guard_status(current: dict | None, guard: dict) -> dict:
    """The guard as the task found it, before any change."""
    found = None if current is None else current.get("guard_document")
    return {
        "policy_name": guard["policy_name"],
        "present": found is not None,
        "up_to_date": found is not None and not documents_differ(found, guard["policy_document"]),
    }


# --- API shapes ----------------------------------------------------------------------------------------


def group_from_api(group: dict, users: list[dict]) -> dict:
    """GetGroup's Group and Users (or CreateGroup's Group) as the module shows a group."""
    return {
        "group_name": group["GroupName"],
        "group_id": group.get("GroupId"),
        "arn": group.get("Arn"),
        "path": group.get("Path", "/"),
        "users": [{"user_name": user["UserName"], "arn": user.get("Arn")} for user in users],
    }
