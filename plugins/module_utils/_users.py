# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of accountguard.aws.iam_users: input validation, current state, plan, diff.

Private to accountguard.aws: no compatibility promise outside the collection.

Nothing here talks to AWS. The module reads the account, hands the state to these functions, and executes
the operations they return, so every decision is unit-tested without an endpoint.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from ._iam_names import GROUP_NAME_RE, PATH_MAX, USER_NAME_RE, is_valid_path

# IAM limits, from the IAM API reference (TagUser) and IAM quotas; names and paths: _iam_names.
# IAM tag keys and values: Unicode letters, numbers and spaces, and _ . : / = + - @ ([\p{L}\p{Z}\p{N}_.:/=+\-@]).
TAG_RE = re.compile(r"^[\w .:/=+\-@\u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$")
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_MAX = 50
MAX_ACCESS_KEYS = 2


def _tag_errors(where: str, tags) -> list[str]:
    errors = []
    if not isinstance(tags, dict):
        return [f"{where}.tags must be a dictionary of tag keys to values"]
    if len(tags) > TAGS_MAX:
        errors.append(f"{where}.tags has {len(tags)} tags; IAM allows at most {TAGS_MAX} per user")
    seen = {}
    for key, value in tags.items():
        key = str(key)
        if not 1 <= len(key) <= TAG_KEY_MAX:
            errors.append(f"{where}.tags key {key!r} must be 1 to {TAG_KEY_MAX} characters long")
        elif not TAG_RE.match(key):
            errors.append(f"{where}.tags key {key!r} may only hold letters, numbers, spaces and _ . : / = + - @")
        if key.lower().startswith("aws:"):
            errors.append(f"{where}.tags key {key!r} uses the reserved prefix 'aws:'")
        # IAM user tag keys are case-insensitive: Team and team would be one tag.
        if key.lower() in seen:
            errors.append(
                f"{where}.tags keys {seen[key.lower()]!r} and {key!r} differ only in case; IAM treats them as one"
            )
        seen[key.lower()] = key
        if value is None or isinstance(value, (dict, list, bool)):
            errors.append(f"{where}.tags[{key!r}] must be a string (got {type(value).__name__})")
            continue
        value = str(value)
        if len(value) > TAG_VALUE_MAX:
            errors.append(f"{where}.tags[{key!r}] is {len(value)} characters long; IAM allows at most {TAG_VALUE_MAX}")
        elif not TAG_RE.match(value):
            errors.append(f"{where}.tags[{key!r}] may only hold letters, numbers, spaces and _ . : / = + - @")
    return errors


def validate_users(users: list[dict]) -> list[str]:
    """Every problem with the declared users, each message naming the entry and the rule it breaks."""
    errors = []
    seen = {}
    for index, user in enumerate(users):
        name = user.get("name")
        where = f"users[{index}]" + (f" ({name})" if isinstance(name, str) and name else "")
        if not isinstance(name, str) or not USER_NAME_RE.match(name):
            errors.append(
                f"{where}.name must be 1 to 64 characters of letters, numbers and + = , . @ _ - (got {name!r})"
            )
        else:
            # IAM user names are unique case-insensitively: Alice and alice are the same user.
            if name.lower() in seen:
                errors.append(f"{where}.name duplicates users[{seen[name.lower()]}] (IAM user names ignore case)")
            else:
                seen[name.lower()] = index
        path = user.get("path")
        if path is not None and not is_valid_path(path):
            errors.append(
                f"{where}.path must be '/' or start and end with '/' with printable ASCII and no spaces between, "
                f"at most {PATH_MAX} characters (got {path!r})"
            )
        if user.get("tags") is not None:
            errors.extend(_tag_errors(where, user["tags"]))
        groups = user.get("groups")
        if groups is not None:
            lowered = set()
            for group in groups:
                if not isinstance(group, str) or not GROUP_NAME_RE.match(group):
                    errors.append(
                        f"{where}.groups entry {group!r} is not a valid IAM group name "
                        "(1 to 128 characters of letters, numbers and + = , . @ _ -)"
                    )
                elif group.lower() in lowered:
                    errors.append(f"{where}.groups lists {group!r} twice (IAM group names ignore case)")
                else:
                    lowered.add(group.lower())
        if user.get("purge_groups") and groups is None:
            errors.append(f"{where}.purge_groups needs groups (use groups: [] to remove every membership)")
        if user.get("purge_tags") and user.get("tags") is None:
            errors.append(f"{where}.purge_tags needs tags (use tags: {{}} to remove every tag)")
    return errors


def normalize_tags(tags: dict | None) -> dict | None:
    if tags is None:
        return None
    return {str(k): str(v) for k, v in tags.items()}


def state_from_details(detail: dict) -> dict:
    """Current state of one user from a GetAccountAuthorizationDetails ``UserDetailList`` entry."""
    return {
        "name": detail["UserName"],
        "arn": detail.get("Arn"),
        "path": detail.get("Path", "/"),
        "tags": {t["Key"]: t.get("Value", "") for t in detail.get("Tags") or []},
        "groups": sorted(detail.get("GroupList") or []),
        "console_access": None,
        "access_keys": None,
    }


def account_id_from_arn(arn: str | None) -> str | None:
    """The account id of an IAM ARN (arn:PARTITION:iam::ACCOUNT:user/...), or None."""
    if not arn:
        return None
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def view(state: dict | None) -> dict | None:
    """The user as shown in diff and results: no secrets, stable ordering."""
    if state is None:
        return None
    keys = state.get("access_keys") or []
    return {
        "path": state["path"],
        "tags": dict(sorted(state["tags"].items())),
        "groups": sorted(state["groups"], key=str.lower),
        "console_access": bool(state.get("console_access")),
        "programmatic_access": bool(keys),
        "access_keys": [{"access_key_id": k["access_key_id"], "status": k["status"]} for k in keys],
    }


def plan_user(
    want: dict, have: dict | None, *, purge_console_access: bool = False, purge_access_keys: bool = False
) -> dict:
    """Operations that bring one declared user from ``have`` (None: absent) to ``want``.

    Returns ``{"ops": [...], "reported": [...], "after": state}``. ``ops`` are dicts with an ``op`` key, in the
    order they must run. ``reported`` lists drift left alone because no purge option asked for it.
    ``after`` is the predicted state (new access keys appear with ``access_key_id`` None).
    """
    ops = []
    reported = []
    tags_wanted = normalize_tags(want.get("tags"))
    groups_wanted = want.get("groups")

    if have is None:
        after = {
            "name": want["name"],
            "arn": None,
            "path": want.get("path") or "/",
            "tags": dict(tags_wanted or {}),
            "groups": [],
            "console_access": False,
            "access_keys": [],
        }
        ops.append({"op": "create_user", "path": after["path"], "tags": dict(after["tags"])})
    else:
        after = {
            **have,
            "tags": dict(have["tags"]),
            "groups": list(have["groups"]),
            "access_keys": list(have.get("access_keys") or []),
            "console_access": bool(have.get("console_access")),
        }
        if want.get("path") is not None and want["path"] != have["path"]:
            ops.append({"op": "update_path", "path": want["path"], "old_path": have["path"]})
            after["path"] = want["path"]
        if tags_wanted is not None:
            to_set = {k: v for k, v in tags_wanted.items() if have["tags"].get(k) != v}
            if to_set:
                ops.append({"op": "tag_user", "tags": to_set})
                after["tags"].update(to_set)
            extra = sorted(k for k in have["tags"] if k not in tags_wanted)
            if extra and want.get("purge_tags"):
                ops.append({"op": "untag_user", "keys": extra})
                for k in extra:
                    del after["tags"][k]

    if groups_wanted is not None:
        current = {g.lower(): g for g in after["groups"]}
        for group in groups_wanted:
            if group.lower() not in current:
                ops.append({"op": "add_to_group", "group": group})
                after["groups"].append(group)
        wanted_lower = {g.lower() for g in groups_wanted}
        extra = [g for g in current.values() if g.lower() not in wanted_lower]
        if extra and want.get("purge_groups"):
            for group in sorted(extra, key=str.lower):
                ops.append({"op": "remove_from_group", "group": group})
                after["groups"].remove(group)
        elif extra:
            reported.append(f"member of undeclared groups {sorted(extra, key=str.lower)} (purge_groups is false)")

    if want.get("console_access") and not after["console_access"]:
        ops.append(
            {"op": "create_login_profile", "password_reset_required": bool(want.get("password_reset_required", True))}
        )
        after["console_access"] = True
    elif not want.get("console_access") and after["console_access"]:
        if purge_console_access:
            ops.append({"op": "delete_login_profile"})
            after["console_access"] = False
        else:
            reported.append("has console access that is not declared (purge_console_access is false)")

    keys = after["access_keys"]
    if want.get("programmatic_access"):
        if not keys:
            # One key, only when the user has none at all (active or not): a rerun must never mint a new
            # secret, and a key that was deactivated for rotation is the operator's to replace.
            ops.append({"op": "create_access_key"})
            after["access_keys"] = [{"access_key_id": None, "status": "Active"}]
        elif not any(k["status"] == "Active" for k in keys):
            reported.append("programmatic access declared but every access key is inactive; none was created")
    elif keys:
        if purge_access_keys:
            for key in keys:
                ops.append({"op": "delete_access_key", "access_key_id": key["access_key_id"]})
            after["access_keys"] = []
        else:
            reported.append(
                f"has {len(keys)} access key(s) but programmatic access is not declared (purge_access_keys is false)"
            )
    return {"ops": ops, "reported": reported, "after": after}


# The marker's time is the controller's clock, a key's CreateDate is AWS's: allow for the two to disagree.
MARKER_CLOCK_SKEW = timedelta(minutes=5)


def _as_utc(value) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def lost_access_keys(marker: dict | None, keys: list[dict], saved_key_ids) -> list[dict]:
    """Keys that an interrupted run created and whose secret it never saved.

    ``marker`` is the user's pending-creation marker (None: there is none, so nothing can be lost; ``{}``:
    unreadable, so its time is unknown), ``keys`` the user's keys (``access_key_id``, ``status``,
    ``create_date``) and ``saved_key_ids`` the ids that have a secrets file. A key older than the marker
    (beyond clock skew) was there before that run started and is not its key.
    """
    if marker is None:
        return []
    started = _as_utc(marker.get("started"))
    lost = []
    for key in keys:
        if key["access_key_id"] in saved_key_ids:
            continue
        created = _as_utc(key.get("create_date"))
        if started is not None and created is not None and created < started - MARKER_CLOCK_SKEW:
            continue
        lost.append(key)
    return lost


def plan_lost_keys(plan: dict, want: dict, lost: list[dict], *, replace: bool = False) -> list[dict]:
    """Add to ``plan`` what to do about the user's ``lost`` keys; return them with the decision taken.

    Each returned key has ``replaced`` (the plan deletes it and creates a new key) and ``reason`` (why not,
    when it is kept). A key is replaced only when asked, when the user is declared with programmatic
    access, and when the key has never been used: a used key has a holder, whatever the marker says.
    Otherwise it is reported and left as it is.
    """
    decided = []
    for key in lost:
        reason = None
        if not replace:
            reason = "replace_lost_access_keys is false"
        elif not want.get("programmatic_access"):
            reason = "programmatic access is not declared"
        elif key.get("last_used_date") is not None:
            reason = f"it was used on {key['last_used_date']}, so someone holds its secret"
        decided.append({**key, "replaced": reason is None, "reason": reason})
    replaced = [k for k in decided if k["replaced"]]
    if not replaced:
        return decided
    ids = {k["access_key_id"] for k in replaced}
    # Delete first: IAM allows two keys per user, and the user must not keep a key nobody holds.
    deletes = [{"op": "delete_access_key", "access_key_id": i, "lost": True} for i in sorted(ids)]
    plan["ops"].extend(deletes)
    plan["after"]["access_keys"] = [k for k in plan["after"]["access_keys"] if k["access_key_id"] not in ids]
    if not any(op["op"] == "create_access_key" for op in plan["ops"]) and not any(
        k["status"] == "Active" for k in plan["after"]["access_keys"]
    ):
        plan["ops"].append({"op": "create_access_key"})
        plan["after"]["access_keys"].append({"access_key_id": None, "status": "Active"})
    return decided


def lost_key_message(user_name: str, key: dict, credentials_dir: str) -> str:
    """One line, no secret: what is wrong with a lost key and what the operator can do."""
    text = (
        f"access key {key['access_key_id']} of {user_name} was created by an interrupted run and its secret was "
        f"never saved (no secrets file under {credentials_dir}): nobody holds it"
    )
    if key.get("replaced"):
        return text + "; replaced by a new key (replace_lost_access_keys)"
    return (
        text + f"; kept ({key['reason']}). Set replace_lost_access_keys (baseline_users_replace_lost_access_keys) "
        "to replace it, or delete it and run again"
    )


def password_file_decision(file_exists: bool, marker_exists: bool) -> str:
    """What a login profile to create does about its password file.

    ``create``: there is none, write a new one. ``resume``: a run died after writing it and before
    CreateLoginProfile (its pending marker is still there), so its password was never in use and the login
    profile is created with it. ``refuse``: it holds a password that was handed out; it is never replaced.
    """
    if not file_exists:
        return "create"
    return "resume" if marker_exists else "refuse"


def groups_to_resolve(plans: list[dict]) -> set[str]:
    """Lower-cased names of the groups the plans add users to (the only groups whose existence matters)."""
    return {op["group"].lower() for plan in plans for op in plan["ops"] if op["op"] == "add_to_group"}


def use_existing_group_names(plan: dict, names: dict) -> None:
    """Spell groups to join as IAM does (``names``: lower-cased name -> existing name), in ops and ``after``.

    IAM group names ignore case: declared ``cloudadmin`` joins ``Cloudadmin``, and the result, the diff and
    the next run's comparison must all say ``Cloudadmin``.
    """
    for op in plan["ops"]:
        if op["op"] == "add_to_group" and op["group"].lower() in names:
            existing = names[op["group"].lower()]
            groups = plan["after"]["groups"]
            groups[groups.index(op["group"])] = existing
            op["group"] = existing


def missing_groups(needed: set[str], existing: list[str], pending: list[str] | None, check_mode: bool) -> list[str]:
    """Groups users must join that do not exist.

    ``pending`` names groups another task of the same run creates (the baseline's admin group): under check
    mode that task created nothing, so they may be absent and membership is predicted; when applying they
    must exist by now.
    """
    have = {g.lower() for g in existing}
    allowed = {g.lower() for g in pending or []} if check_mode else set()
    return sorted(g for g in needed if g not in have and g not in allowed)


def undeclared(existing_names: list[str], declared_names: list[str]) -> list[str]:
    declared = {n.lower() for n in declared_names}
    return sorted((n for n in existing_names if n.lower() not in declared), key=str.lower)


def action_label(op: dict) -> str:
    """A one-line, secret-free description of an operation for the ``actions`` return value."""
    kind = op["op"]
    if kind in ("add_to_group", "remove_from_group"):
        return f"{kind}:{op['group']}"
    if kind == "update_path":
        return f"update_path:{op['path']}"
    if kind == "tag_user":
        return "tag_user:" + ",".join(sorted(op["tags"]))
    if kind == "untag_user":
        return "untag_user:" + ",".join(op["keys"])
    if kind == "delete_access_key":
        prefix = "delete_lost_access_key" if op.get("lost") else "delete_access_key"
        return f"{prefix}:{op['access_key_id']}"
    return kind


# IAM is eventually consistent: a user created a moment ago can still be unknown to the next call.
FRESH_USER_DELAYS = (1, 2, 4, 8, 8)


def _error_code(error: BaseException) -> str | None:
    # AnsibleAWSError keeps the botocore error in .exception; a bare ClientError carries .response itself.
    source = getattr(error, "exception", None) or error
    return (getattr(source, "response", None) or {}).get("Error", {}).get("Code")


def may_have_landed(error: BaseException) -> bool:
    """Whether a failed create call may still have taken effect in AWS.

    No AWS answer at all (the connection dropped, timed out) leaves it open; so does ``EntityAlreadyExists``,
    which is what a retry gets when the first attempt landed but its answer was lost. Any other AWS error
    code means the call was refused.
    """
    code = _error_code(error)
    return code is None or code == "EntityAlreadyExists"


def retry_while_unknown(call, sleep=time.sleep, delays=FRESH_USER_DELAYS):
    """Run ``call``, retrying while IAM answers NoSuchEntity about a user this run has just created."""
    for delay in (*delays, None):
        try:
            return call()
        except Exception as error:
            if delay is None or _error_code(error) != "NoSuchEntity":
                raise
            sleep(delay)
    return None  # not reached: the last attempt returns or raises
