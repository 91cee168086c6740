# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The administrators group of accountguard.aws.iam_admin_group: validate, read, plan, write.

Private to accountguard.aws: no compatibility promise outside the collection.

The pure half (validation, plan, views) never talks to AWS and is unit-tested with tables; the AWS half is a
handful of calls, each behind the collection's retry policy and IAM error handler. Only a missing entity
(NoSuchEntity) is an answer ("no such group", "no guard yet"); every other error, AccessDenied included,
fails the task with the AWS error, which names the operation and the permission.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ._common import IAMErrors, retry
from ._iam_names import GROUP_NAME_RE, PATH_MAX, POLICY_NAME_RE, is_valid_path

# IAM limits, from the IAM API reference (AttachGroupPolicy, PutGroupPolicy) and IAM quotas; names: _iam_names.
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
    if not isinstance(name, str) or not GROUP_NAME_RE.match(name):
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
        if not isinstance(policy_name, str) or not POLICY_NAME_RE.match(policy_name):
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


def plan(current: dict | None, desired: dict) -> list[dict]:
    """The writes that bring the group from `current` (read_state, None when missing) to `desired`.

    `desired`: {name, path (None: keep), managed_policies, purge_policies, mfa_guard (None: not managed) with
    its document already parsed}. Nothing is ever detached unless purge_policies asks; the group is never deleted.
    """
    ops = []
    attached = [] if current is None else current["managed_policies"]
    if current is None:
        ops.append({"op": "create_group", "path": desired.get("path") or "/"})
    elif desired.get("path") is not None and desired["path"] != current["group"]["path"]:
        ops.append({"op": "update_path", "path": desired["path"]})
    wanted = desired.get("managed_policies") or []
    if desired.get("purge_policies"):
        ops += [{"op": "detach_policy", "policy_arn": arn} for arn in attached if arn not in wanted]
    ops += [{"op": "attach_policy", "policy_arn": arn} for arn in wanted if arn not in attached]
    guard = desired.get("mfa_guard")
    if guard is not None:
        found = None if current is None else current.get("guard_document")
        if documents_differ(found, guard["policy_document"]):
            ops.append({"op": "put_group_policy", "policy_name": guard["policy_name"]})
    return ops


def action_label(op: dict) -> str:
    """A one-line description of a write for the ``actions`` return value."""
    kind = op["op"]
    if kind in ("create_group", "update_path"):
        return f"{kind}:{op['path']}"
    if kind in ("attach_policy", "detach_policy"):
        return f"{kind}:{op['policy_arn']}"
    return f"{kind}:{op['policy_name']}"


def predicted(current: dict | None, desired: dict, ops: list[dict]) -> dict:
    """The state the writes of `ops` leave, in read_state's shape: the check-mode answer."""
    if current is None:
        group = {"group_name": desired["name"], "group_id": None, "arn": None, "path": "/", "users": []}
        attached = []
        document = None
    else:
        group = dict(current["group"])
        attached = list(current["managed_policies"])
        document = current.get("guard_document")
    for op in ops:
        if op["op"] in ("create_group", "update_path"):
            group["path"] = op["path"]
        elif op["op"] == "attach_policy":
            attached.append(op["policy_arn"])
        elif op["op"] == "detach_policy":
            attached.remove(op["policy_arn"])
        elif op["op"] == "put_group_policy":
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


# --- AWS -------------------------------------------------------------------------------------------------


def _group_view(group: dict, users: list[dict]) -> dict:
    return {
        "group_name": group["GroupName"],
        "group_id": group.get("GroupId"),
        "arn": group.get("Arn"),
        "path": group.get("Path", "/"),
        "users": [{"user_name": user["UserName"], "arn": user.get("Arn")} for user in users],
    }


@IAMErrors.list_error_handler("get the IAM group (GetGroup)", None)
@retry()
def get_group(iam, name: str) -> dict | None:
    """The group with all of its members (GetGroup pages through them), or None when there is no such group."""
    paginator = iam.get_paginator("get_group")
    result = paginator.paginate(GroupName=name, PaginationConfig={"PageSize": 1000}).build_full_result()
    return _group_view(result["Group"], result.get("Users", []))


@IAMErrors.common_error_handler("list the group's managed policies (ListAttachedGroupPolicies)")
@retry()
def list_attached(iam, name: str) -> list[str]:
    paginator = iam.get_paginator("list_attached_group_policies")
    pages = paginator.paginate(GroupName=name, PaginationConfig={"PageSize": 1000})
    return [policy["PolicyArn"] for page in pages for policy in page.get("AttachedPolicies", [])]


@IAMErrors.list_error_handler("get the group's inline policy (GetGroupPolicy)", None)
@retry()
def get_guard_document(iam, name: str, policy_name: str) -> dict | None:
    """The inline policy's document, or None when the group has no inline policy of that name."""
    response = iam.get_group_policy(GroupName=name, PolicyName=policy_name)
    return parse_document(response["PolicyDocument"])


def read_state(iam, name: str, guard_name: str | None) -> dict | None:
    """What the account holds: {group, managed_policies, guard_document}, or None when the group is missing.

    Three reads at most, whatever the number of members; the guard is read only when it is managed.
    """
    group = get_group(iam, name)
    if group is None:
        return None
    state = {"group": group, "managed_policies": list_attached(iam, group["group_name"]), "guard_document": None}
    if guard_name is not None:
        state["guard_document"] = get_guard_document(iam, group["group_name"], guard_name)
    return state


def read_back(iam, name: str, guard_name: str | None, sleep=time.sleep, delays=FRESH_GROUP_DELAYS) -> dict | None:
    """read_state after writes, waiting while IAM does not show a group this run has just created yet."""
    for delay in (*delays, None):
        state = read_state(iam, name, guard_name)
        if state is not None or delay is None:
            return state
        sleep(delay)
    return None  # not reached: the last attempt returns


@IAMErrors.common_error_handler("create the IAM group (CreateGroup)")
@retry()
def create_group(iam, name: str, path: str) -> dict:
    group = iam.create_group(GroupName=name, Path=path)["Group"]
    return _group_view(group, [])


@IAMErrors.common_error_handler("change the group's path (UpdateGroup)")
@retry()
def update_path(iam, name: str, path: str) -> None:
    iam.update_group(GroupName=name, NewPath=path)


@IAMErrors.common_error_handler("attach a managed policy to the group (AttachGroupPolicy)")
@retry()
def attach_policy(iam, name: str, policy_arn: str) -> None:
    iam.attach_group_policy(GroupName=name, PolicyArn=policy_arn)


@IAMErrors.deletion_error_handler("detach a managed policy from the group (DetachGroupPolicy)")
@retry()
def detach_policy(iam, name: str, policy_arn: str) -> None:
    iam.detach_group_policy(GroupName=name, PolicyArn=policy_arn)


@IAMErrors.common_error_handler("put the group's inline policy (PutGroupPolicy)")
@retry()
def put_guard(iam, name: str, policy_name: str, document: dict) -> None:
    iam.put_group_policy(GroupName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))


def execute(iam, name: str, ops: list[dict], desired: dict) -> None:
    """Run the planned writes in order (the group first: the other writes name it)."""
    for op in ops:
        kind = op["op"]
        if kind == "create_group":
            create_group(iam, name, op["path"])
        elif kind == "update_path":
            update_path(iam, name, op["path"])
        elif kind == "attach_policy":
            attach_policy(iam, name, op["policy_arn"])
        elif kind == "detach_policy":
            detach_policy(iam, name, op["policy_arn"])
        elif kind == "put_group_policy":
            put_guard(iam, name, op["policy_name"], desired["mfa_guard"]["policy_document"])
