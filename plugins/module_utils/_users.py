# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of accountguard.aws.iam_users: input validation, current state, plan, diff.

Private to accountguard.aws: no compatibility promise outside the collection.

Nothing here talks to AWS. The backend reads the account through the gateway, hands the state to these
functions, and executes the :class:`Action` list they return, so every decision is unit-tested without an
endpoint.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ._iam_names import PATH_MAX, is_valid_path

# IAM limits, from the IAM API reference (TagUser) and IAM quotas; paths: _iam_names.
# IAM tag keys and values: Unicode letters, numbers and spaces, and _ . : / = + - @ ([\p{L}\p{Z}\p{N}_.:/=+\-@]).
TAG_RE = re.compile(r"^[\w .:/=+\-@\u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$")
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_MAX = 50
MAX_CONCURRENCY = (1, 32)


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


def _bad_name(resource_type: str, name) -> bool:
    # amazon.aws's check accepts the empty string (nothing to match); IAM does not.
    return not isinstance(name, str) or not name or validate_iam_identifiers(resource_type, name=name) is not None


def validate_users(users: list[dict]) -> list[str]:
    """Every problem with the declared users, each message naming the entry and the rule it breaks."""
    errors = []
    seen = {}
    for index, user in enumerate(users):
        name = user.get("name")
        where = f"users[{index}]" + (f" ({name})" if isinstance(name, str) and name else "")
        if _bad_name("user", name):
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
        # Not amazon.aws's path check: it refuses characters IAM accepts in a path (any printable ASCII).
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
                if _bad_name("group", group):
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


def validate_params(params: dict) -> list[str]:
    """Every problem with the module's options, found before any API call."""
    errors = validate_users(params["users"])
    if params.get("purge_users") and not params["users"]:
        # An empty list with purge_users would delete every IAM user: almost certainly a missing variable.
        errors.append("purge_users with an empty users list would delete every IAM user; declare the users to keep")
    low, high = MAX_CONCURRENCY
    if not low <= params["max_concurrency"] <= high:
        errors.append(f"max_concurrency must be between {low} and {high} (inclusive), got {params['max_concurrency']}")
    return errors


def normalize_tags(tags: dict | None) -> dict | None:
    if tags is None:
        return None
    return {str(k): str(v) for k, v in tags.items()}


# --- state ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str | None  # None: a key the plan creates
    status: str
    create_date: datetime | str | None = None


@dataclass
class UserState:
    """One user as read (or as predicted after the plan): what the module manages and shows."""

    name: str
    arn: str | None
    path: str
    tags: dict[str, str]
    groups: list[str]
    console_access: bool = False
    access_keys: list[AccessKey] = field(default_factory=list)

    def copy(self) -> UserState:
        return replace(self, tags=dict(self.tags), groups=list(self.groups), access_keys=list(self.access_keys))


def state_from_details(detail: dict) -> UserState:
    """Current state of one user from a GetAccountAuthorizationDetails ``UserDetailList`` entry.

    Console access and access keys are not in that answer: the backend fills them from their own reads.
    """
    return UserState(
        name=detail["UserName"],
        arn=detail.get("Arn"),
        path=detail.get("Path", "/"),
        tags={t["Key"]: t.get("Value", "") for t in detail.get("Tags") or []},
        groups=sorted(detail.get("GroupList") or []),
    )


def access_keys_from_api(metadata: list[dict]) -> list[AccessKey]:
    return [AccessKey(k["AccessKeyId"], k["Status"], k.get("CreateDate")) for k in metadata]


def account_id_from_arn(arn: str | None) -> str | None:
    """The account id of an IAM ARN (arn:PARTITION:iam::ACCOUNT:user/...), or None."""
    parsed = parse_aws_arn(arn) if arn else None
    return (parsed or {}).get("account_id") or None


def own_user_name(arn: str) -> str | None:
    """The IAM user name behind a caller ARN, or None when the caller is not an IAM user (a role session)."""
    parsed = parse_aws_arn(arn) or {}
    if parsed.get("service") != "iam" or parsed.get("resource_type") != "user":
        return None
    # A user's resource id carries its path (user/ops/alice): the name is the last part.
    return parsed["resource_id"].rsplit("/", 1)[-1]


def view(state: UserState | None) -> dict | None:
    """The user as shown in diff and results: no secrets, stable ordering."""
    if state is None:
        return None
    return {
        "path": state.path,
        "tags": dict(sorted(state.tags.items())),
        "groups": sorted(state.groups, key=str.lower),
        "console_access": bool(state.console_access),
        "programmatic_access": bool(state.access_keys),
        "access_keys": [{"access_key_id": k.access_key_id, "status": k.status} for k in state.access_keys],
    }


# --- plan -------------------------------------------------------------------------------------------------


class Op(Enum):
    CREATE_USER = "create_user"
    UPDATE_PATH = "update_path"
    TAG_USER = "tag_user"
    UNTAG_USER = "untag_user"
    ADD_TO_GROUP = "add_to_group"
    REMOVE_FROM_GROUP = "remove_from_group"
    CREATE_LOGIN_PROFILE = "create_login_profile"
    DELETE_LOGIN_PROFILE = "delete_login_profile"
    CREATE_ACCESS_KEY = "create_access_key"
    DELETE_ACCESS_KEY = "delete_access_key"


# Operations that produce a secret to store.
SECRET_OPS = frozenset({Op.CREATE_LOGIN_PROFILE, Op.CREATE_ACCESS_KEY})


class PasswordFile(Enum):
    """What a login profile to create does about its password file (see :func:`password_file_decision`)."""

    CREATE = "create"
    RESUME = "resume"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Action:
    """One write the plan makes, with what it needs; never a secret."""

    op: Op
    path: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    tag_keys: tuple[str, ...] = ()
    group: str | None = None
    access_key_id: str | None = None
    lost: bool = False  # deletes a key whose secret nobody holds (replace_lost_access_keys)
    password_reset_required: bool = True

    @property
    def label(self) -> str:
        """A one-line, secret-free description for the ``actions`` return value."""
        kind = self.op.value
        if self.op in (Op.ADD_TO_GROUP, Op.REMOVE_FROM_GROUP):
            return f"{kind}:{self.group}"
        if self.op is Op.UPDATE_PATH:
            return f"{kind}:{self.path}"
        if self.op is Op.TAG_USER:
            return kind + ":" + ",".join(sorted(k for k, _v in self.tags))
        if self.op is Op.UNTAG_USER:
            return kind + ":" + ",".join(self.tag_keys)
        if self.op is Op.DELETE_ACCESS_KEY:
            return f"{'delete_lost_access_key' if self.lost else kind}:{self.access_key_id}"
        return kind


@dataclass
class LostKey:
    """A key an interrupted run created whose secret was never saved, and what the plan does about it."""

    key: AccessKey
    last_used_date: str | None = None
    replaced: bool = False
    reason: str | None = None


@dataclass
class UserPlan:
    """One declared user: its state, the actions that converge it, and the drift only reported."""

    want: dict
    have: UserState | None
    after: UserState
    actions: list[Action] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    lost: list[LostKey] = field(default_factory=list)
    password_file: PasswordFile = PasswordFile.CREATE

    @property
    def name(self) -> str:
        """The user's name as IAM spells it (names are unique ignoring case; declared Alice may exist as alice)."""
        return self.have.name if self.have else self.want["name"]

    def has(self, *ops: Op) -> bool:
        return any(action.op in ops for action in self.actions)


def plan_user(
    want: dict, have: UserState | None, *, purge_console_access: bool = False, purge_access_keys: bool = False
) -> UserPlan:
    """The actions that bring one declared user from ``have`` (None: absent) to ``want``, in the order they
    must run. ``reported`` lists drift left alone because no purge option asked for it; ``after`` is the
    predicted state (new access keys appear with ``access_key_id`` None)."""
    tags_wanted = normalize_tags(want.get("tags"))
    groups_wanted = want.get("groups")
    if have is None:
        after = UserState(want["name"], None, want.get("path") or "/", dict(tags_wanted or {}), [])
        plan = UserPlan(want, None, after)
        plan.actions.append(Action(Op.CREATE_USER, path=after.path, tags=tuple(after.tags.items())))
    else:
        after = have.copy()
        plan = UserPlan(want, have, after)
        if want.get("path") is not None and want["path"] != have.path:
            plan.actions.append(Action(Op.UPDATE_PATH, path=want["path"]))
            after.path = want["path"]
        if tags_wanted is not None:
            to_set, to_unset = compare_aws_tags(have.tags, tags_wanted, purge_tags=bool(want.get("purge_tags")))
            if to_set:
                plan.actions.append(Action(Op.TAG_USER, tags=tuple(to_set.items())))
                after.tags.update(to_set)
            if to_unset:
                plan.actions.append(Action(Op.UNTAG_USER, tag_keys=tuple(sorted(to_unset))))
                for key in to_unset:
                    del after.tags[key]
    if groups_wanted is not None:
        _plan_groups(plan, groups_wanted)
    _plan_console(plan, purge_console_access)
    _plan_keys(plan, purge_access_keys)
    return plan


def _plan_groups(plan: UserPlan, groups_wanted: list[str]) -> None:
    after = plan.after
    current = {g.lower(): g for g in after.groups}
    for group in groups_wanted:
        if group.lower() not in current:
            plan.actions.append(Action(Op.ADD_TO_GROUP, group=group))
            after.groups.append(group)
    wanted_lower = {g.lower() for g in groups_wanted}
    extra = sorted((g for g in current.values() if g.lower() not in wanted_lower), key=str.lower)
    if extra and plan.want.get("purge_groups"):
        for group in extra:
            plan.actions.append(Action(Op.REMOVE_FROM_GROUP, group=group))
            after.groups.remove(group)
    elif extra:
        plan.reported.append(f"member of undeclared groups {extra} (purge_groups is false)")


def _plan_console(plan: UserPlan, purge_console_access: bool) -> None:
    wanted = bool(plan.want.get("console_access"))
    if wanted and not plan.after.console_access:
        reset = bool(plan.want.get("password_reset_required", True))
        plan.actions.append(Action(Op.CREATE_LOGIN_PROFILE, password_reset_required=reset))
        plan.after.console_access = True
    elif not wanted and plan.after.console_access:
        if purge_console_access:
            plan.actions.append(Action(Op.DELETE_LOGIN_PROFILE))
            plan.after.console_access = False
        else:
            plan.reported.append("has console access that is not declared (purge_console_access is false)")


def _plan_keys(plan: UserPlan, purge_access_keys: bool) -> None:
    keys = plan.after.access_keys
    if plan.want.get("programmatic_access"):
        if not keys:
            # One key, only when the user has none at all (active or not): a rerun must never mint a new
            # secret, and a key that was deactivated for rotation is the operator's to replace.
            plan.actions.append(Action(Op.CREATE_ACCESS_KEY))
            plan.after.access_keys = [AccessKey(None, "Active")]
        elif not any(k.status == "Active" for k in keys):
            plan.reported.append("programmatic access declared but every access key is inactive; none was created")
    elif keys:
        if purge_access_keys:
            plan.actions.extend(Action(Op.DELETE_ACCESS_KEY, access_key_id=k.access_key_id) for k in keys)
            plan.after.access_keys = []
        else:
            plan.reported.append(
                f"has {len(keys)} access key(s) but programmatic access is not declared (purge_access_keys is false)"
            )


# The marker's time is the controller's clock, a key's CreateDate is AWS's: allow for the two to disagree.
MARKER_CLOCK_SKEW = timedelta(minutes=5)


def as_utc(value) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def lost_access_keys(marker: dict | None, keys: list[AccessKey], saved_key_ids) -> list[AccessKey]:
    """Keys that an interrupted run created and whose secret it never saved.

    ``marker`` is the user's pending-creation marker (None: there is none, so nothing can be lost; ``{}``:
    unreadable, so its time is unknown), ``keys`` the user's keys and ``saved_key_ids`` the ids that have a
    secrets file. A key older than the marker (beyond clock skew) was there before that run started.
    """
    if marker is None:
        return []
    started = as_utc(marker.get("started"))
    lost = []
    for key in keys:
        if key.access_key_id in saved_key_ids:
            continue
        created = as_utc(key.create_date)
        if started is not None and created is not None and created < started - MARKER_CLOCK_SKEW:
            continue
        lost.append(key)
    return lost


def plan_lost_keys(plan: UserPlan, lost: list[LostKey], *, replace_lost: bool = False) -> None:
    """Decide about the user's ``lost`` keys (in ``plan.lost``) and add the actions a replacement takes.

    A key is replaced only when asked, when the user is declared with programmatic access, and when the key
    has never been used: a used key has a holder, whatever the marker says. Otherwise it is reported.
    """
    for item in lost:
        item.reason = None
        if not replace_lost:
            item.reason = "replace_lost_access_keys is false"
        elif not plan.want.get("programmatic_access"):
            item.reason = "programmatic access is not declared"
        elif item.last_used_date is not None:
            item.reason = f"it was used on {item.last_used_date}, so someone holds its secret"
        item.replaced = item.reason is None
    plan.lost = list(lost)
    ids = sorted(item.key.access_key_id for item in lost if item.replaced)
    if not ids:
        return
    # Delete first: IAM allows two keys per user, and the user must not keep a key nobody holds.
    plan.actions.extend(Action(Op.DELETE_ACCESS_KEY, access_key_id=i, lost=True) for i in ids)
    plan.after.access_keys = [k for k in plan.after.access_keys if k.access_key_id not in ids]
    if not plan.has(Op.CREATE_ACCESS_KEY) and not any(k.status == "Active" for k in plan.after.access_keys):
        plan.actions.append(Action(Op.CREATE_ACCESS_KEY))
        plan.after.access_keys.append(AccessKey(None, "Active"))


def lost_key_message(user_name: str, item: LostKey, credentials_dir: str) -> str:
    """One line, no secret: what is wrong with a lost key and what the operator can do."""
    text = (
        f"access key {item.key.access_key_id} of {user_name} was created by an interrupted run and its secret "
        f"was never saved (no secrets file under {credentials_dir}): nobody holds it"
    )
    if item.replaced:
        return text + "; replaced by a new key (replace_lost_access_keys)"
    return (
        text + f"; kept ({item.reason}). Set replace_lost_access_keys (baseline_users_replace_lost_access_keys) "
        "to replace it, or delete it and run again"
    )


def password_file_decision(file_exists: bool, marker_exists: bool) -> PasswordFile:
    """What a login profile to create does about its password file.

    CREATE: there is none, write a new one. RESUME: a run died after writing it and before
    CreateLoginProfile (its pending marker is still there), so its password was never in use and the login
    profile is created with it. REFUSE: it holds a password that was handed out; it is never replaced.
    """
    if not file_exists:
        return PasswordFile.CREATE
    return PasswordFile.RESUME if marker_exists else PasswordFile.REFUSE


def refused_password_file_message(path: str, user_name: str) -> str:
    return (
        f"{path} already exists (a previous initial password of {user_name}); "
        "secrets files are never overwritten: move it away to create a new login profile"
    )


def groups_to_resolve(plans: list[UserPlan]) -> set[str]:
    """Lower-cased names of the groups the plans add users to (the only groups whose existence matters)."""
    return {a.group.lower() for plan in plans for a in plan.actions if a.op is Op.ADD_TO_GROUP}


def use_existing_group_names(plan: UserPlan, names: dict) -> None:
    """Spell groups to join as IAM does (``names``: lower-cased name -> existing name), in actions and ``after``.

    IAM group names ignore case: declared ``cloudadmin`` joins ``Cloudadmin``, and the result, the diff and
    the next run's comparison must all say ``Cloudadmin``.
    """
    for index, action in enumerate(plan.actions):
        if action.op is Op.ADD_TO_GROUP and action.group.lower() in names:
            existing = names[action.group.lower()]
            groups = plan.after.groups
            groups[groups.index(action.group)] = existing
            plan.actions[index] = replace(action, group=existing)


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


# IAM is eventually consistent: a user created a moment ago can still be unknown to the next call, and a new
# user's login profile can be "temporarily unmodifiable".
FRESH_USER_DELAYS = (1, 2, 4, 8, 8)
FRESH_USER_CODES = frozenset({"NoSuchEntity", "EntityTemporarilyUnmodifiable"})


def error_code(error: BaseException) -> str | None:
    # AnsibleAWSError keeps the botocore error in .exception; a bare ClientError carries .response itself.
    source = getattr(error, "exception", None) or error
    return (getattr(source, "response", None) or {}).get("Error", {}).get("Code")


def may_have_landed(error: BaseException) -> bool:
    """Whether a failed create call may still have taken effect in AWS.

    No AWS answer at all (the connection dropped, timed out) leaves it open; so does ``EntityAlreadyExists``,
    which is what a retry gets when the first attempt landed but its answer was lost. Any other AWS error
    code means the call was refused.
    """
    code = error_code(error)
    return code is None or code == "EntityAlreadyExists"


def retry_while_unknown(call, sleep=time.sleep, delays=FRESH_USER_DELAYS):
    """Run ``call``, retrying while IAM answers as it does about a user this run has just created."""
    for delay in (*delays, None):
        try:
            return call()
        except Exception as error:
            if delay is None or error_code(error) not in FRESH_USER_CODES:
                raise
            sleep(delay)
    return None  # not reached: the last attempt returns or raises
