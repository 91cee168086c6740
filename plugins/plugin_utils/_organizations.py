# Copyright: (c) 2026, accountguard.aws maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure helpers of the accountguard.aws.organizations inventory plugin.

Private to the collection (leading underscore): no compatibility promise. Nothing here talks to AWS;
the plugin injects the API calls, so the tree walk, the filters and the naming are unit-tested with
plain tables and fakes.
"""

from __future__ import annotations

import re
import unicodedata
from fnmatch import fnmatchcase

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

ROOT_NAME = "Root"
ACTIVE = "ACTIVE"
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
HOSTNAME_STYLES = ("name", "id", "name_id")

_ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
_ROLE_NAME_RE = re.compile(r"^[\w+=,.@/-]{1,512}$")
_HOST_INVALID_RE = re.compile(r"[^a-z0-9_.-]+")
_GROUP_INVALID_RE = re.compile(r"[^a-z0-9_]+")


class OrganizationsConfigError(ValueError):
    """A configuration value is wrong; raised before any API call."""


def validate_account_ids(values, option):
    """Return the ids as 12-digit strings or raise naming the option and the bad value.

    YAML turns an unquoted 012345678901 into a number and loses the leading zero, so a number is refused
    with a hint instead of being padded: padding could silently select the wrong account.
    """
    ids = []
    for value in values or []:
        if isinstance(value, bool) or not isinstance(value, str):
            raise OrganizationsConfigError(
                f"{option}: account id {value!r} must be a quoted string of 12 digits "
                "(unquoted YAML numbers lose leading zeros)"
            )
        value = value.strip()
        if not _ACCOUNT_ID_RE.match(value):
            raise OrganizationsConfigError(f"{option}: {value!r} is not a 12-digit AWS account id")
        ids.append(value)
    return ids


def validate_ou_patterns(values, option):
    """Normalise OU path patterns (no trailing slash) and insist they start at the root."""
    patterns = []
    for value in values or []:
        if not isinstance(value, str) or not value.strip("/ "):
            raise OrganizationsConfigError(f"{option}: {value!r} is not an OU path such as 'Root/Workloads/Prod'")
        value = value.strip().rstrip("/")
        head = value.split("/", 1)[0]
        if head != ROOT_NAME and not any(c in head for c in "*?["):
            raise OrganizationsConfigError(
                f"{option}: {value!r} must start with '{ROOT_NAME}/' (OU paths are written from the root, "
                f"e.g. '{ROOT_NAME}/Workloads/Prod')"
            )
        patterns.append(value)
    return patterns


def validate_tag_filter(value, option):
    """Return {key: [accepted values]}; a scalar value means that one value."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OrganizationsConfigError(f"{option} must be a dictionary of tag key to value, got {type(value).__name__}")
    out = {}
    for key, wanted in value.items():
        if wanted is None or isinstance(wanted, dict):
            raise OrganizationsConfigError(f"{option}: tag {key!r} needs a value (a string or a list of strings)")
        wanted = wanted if isinstance(wanted, list) else [wanted]
        out[str(key)] = [_tag_value(v) for v in wanted]
    return out


def _tag_value(value):
    # AWS tag values are strings; YAML hands us booleans and numbers for `env: true` or `tier: 1`.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def validate_role_name(value, option):
    """Return the role name (optionally with a path, e.g. 'ops/Baseline'), or None for 'no role'."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ROLE_NAME_RE.match(value) or value.startswith("arn:"):
        raise OrganizationsConfigError(
            f"{option}: {value!r} is not an IAM role name (letters, digits and +=,.@_- with an optional path; "
            "give the name, not an ARN: the account id differs per host)"
        )
    return value.strip("/")


def account_state(account):
    """The account's lifecycle state: `State` (current API), else the retired `Status`."""
    return account.get("State") or account.get("Status") or "UNKNOWN"


def is_active(account):
    return account_state(account) == ACTIVE


def partition_from_arn(arn, default="aws"):
    parsed = parse_aws_arn(arn or "")
    return parsed["partition"] if parsed and parsed["partition"] else default


def role_arn(account_id, role_name, partition="aws"):
    """ARN of `role_name` (which may carry a path) in the account."""
    if not role_name:
        return None
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def ou_path_matches(path, patterns):
    """True when `path` is one of the patterns or lies beneath one (fnmatch globs allowed)."""
    return any(fnmatchcase(path, p) or fnmatchcase(path, p + "/*") for p in patterns)


def ou_subtree_relevant(path, patterns):
    """False when no OU at or beneath `path` can match the include patterns (so the walk may prune it).

    Globs make that undecidable cheaply ('*' also matches '/'), so any glob keeps every subtree.
    """
    if not patterns:
        return True
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            return True
        if path == pattern or path.startswith(pattern + "/") or pattern.startswith(path + "/"):
            return True
    return False


def tags_match(tags, wanted):
    """True when the account carries at least one of the wanted key/value pairs."""
    return any(tags.get(key) in values for key, values in wanted.items())


def sanitize_host_name(name):
    """Lower-case, shell- and file-name-friendly host name ('Prod Payments' -> 'prod-payments')."""
    # Decompose accents first so 'Ünïcode' keeps its letters as 'unicode' instead of losing them.
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii")
    return _HOST_INVALID_RE.sub("-", ascii_name.lower()).strip("-.")


def sanitize_group_name(name):
    """A valid Ansible group name: lower-case letters, digits and underscores only."""
    return _GROUP_INVALID_RE.sub("_", (name or "").lower()).strip("_")


def ou_group_name(path, prefix="ou_"):
    """Group of an OU path: 'Root' -> 'ou_root', 'Root/Workloads/Prod' -> 'ou_workloads_prod'."""
    parts = path.split("/")
    body = "_".join(parts[1:]) if len(parts) > 1 else parts[0]
    return sanitize_group_name(prefix + sanitize_group_name(body))


def ou_ancestry(path):
    """['Root', 'Root/Workloads', 'Root/Workloads/Prod'] for 'Root/Workloads/Prod'."""
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def assign_hostnames(accounts, style="name"):
    """Map account id -> inventory host name, unique and deterministic.

    Account names are not unique in an Organization; with style 'name' every account whose sanitised
    name collides (or is empty) gets '_<id>' appended, and the colliding names are returned so the
    caller can warn.
    """
    if style not in HOSTNAME_STYLES:
        raise OrganizationsConfigError(f"hostname must be one of {', '.join(HOSTNAME_STYLES)}, got {style!r}")
    names = {}
    for acct in accounts:
        base = sanitize_host_name(acct.get("name"))
        if style == "id":
            names[acct["id"]] = acct["id"]
        elif style == "name_id" or not base:
            names[acct["id"]] = f"{base}_{acct['id']}" if base else acct["id"]
        else:
            names[acct["id"]] = base
    counts = {}
    for acct_id, name in names.items():
        counts.setdefault(name, []).append(acct_id)
    collisions = sorted(name for name, ids in counts.items() if len(ids) > 1)
    for name in collisions:
        for acct_id in counts[name]:
            names[acct_id] = f"{name}_{acct_id}"
    return names, collisions


def paginate(call, result_key, **kwargs):
    """Every item of a NextToken-paginated call, to the last page."""
    items = []
    token = None
    while True:
        params = dict(kwargs)
        if token:
            params["NextToken"] = token
        page = call(**params)
        items.extend(page.get(result_key) or [])
        token = page.get("NextToken")
        if not token:
            return items


def walk_organization(list_roots, list_ous, list_accounts, skip_subtree=None, skip_accounts=None):
    """Walk the OU tree from the root and return every account with its OU path.

    The walk costs calls per OU, not per account (ListParents per account would be one call each).
    `skip_subtree(path)` prunes an OU and everything beneath it; `skip_accounts(path)` keeps walking
    below an OU but does not list its own accounts. Returns a list of
    {"account": <raw Account dict>, "ou_path": str, "ou_id": str}.
    """
    found = []
    roots = list_roots()
    stack = [(root["Id"], root.get("Name") or ROOT_NAME) for root in roots]
    while stack:
        parent_id, path = stack.pop()
        if skip_subtree and skip_subtree(path):
            continue
        if not (skip_accounts and skip_accounts(path)):
            found.extend({"account": acct, "ou_path": path, "ou_id": parent_id} for acct in list_accounts(parent_id))
        children = sorted(list_ous(parent_id), key=lambda ou: ou.get("Name", ""), reverse=True)
        stack.extend((ou["Id"], f"{path}/{ou.get('Name', ou['Id'])}") for ou in children)
    return found


def normalise_account(entry, tags=None, management_account_id=None):
    """The cacheable, JSON-safe record the plugin turns into a host."""
    acct = entry["account"]
    return {
        "id": str(acct["Id"]),
        "name": acct.get("Name", ""),
        "email": acct.get("Email", ""),
        "arn": acct.get("Arn", ""),
        "state": account_state(acct),
        "ou_path": entry["ou_path"],
        "ou_id": entry["ou_id"],
        "tags": dict(tags or {}),
        "management": str(acct["Id"]) == management_account_id,
    }


def exclusion_reason(record, filters):
    """Why an account is left out of the inventory, or None to keep it.

    `filters` keys: include_management_account, include_account_ids, exclude_account_ids,
    include_ou_paths, exclude_ou_paths, include_tags, exclude_tags (validated values).
    """
    if record["state"] != ACTIVE:
        return f"state {record['state']}"
    if record["management"] and not filters.get("include_management_account"):
        return "management account (include_management_account is false)"
    if record["id"] in filters.get("exclude_account_ids", ()):
        return "listed in exclude_account_ids"
    include_ids = filters.get("include_account_ids")
    if include_ids and record["id"] not in include_ids:
        return "not in include_account_ids"
    if ou_path_matches(record["ou_path"], filters.get("exclude_ou_paths") or ()):
        return f"OU path {record['ou_path']} matches exclude_ou_paths"
    include_paths = filters.get("include_ou_paths")
    if include_paths and not ou_path_matches(record["ou_path"], include_paths):
        return f"OU path {record['ou_path']} not in include_ou_paths"
    if tags_match(record["tags"], filters.get("exclude_tags") or {}):
        return "carries a tag of exclude_tags"
    include_tags = filters.get("include_tags")
    if include_tags and not tags_match(record["tags"], include_tags):
        return "carries no tag of include_tags"
    return None


def pre_tag_reason(record, filters):
    """The exclusion reason knowable without tags, so tags are fetched only for candidate accounts."""
    return exclusion_reason(dict(record, tags={}), dict(filters, include_tags=None))


def host_vars(record, role_name=None, management_role_name=None):
    """Host variables of one account (the names docs/multi-account.md lists)."""
    name = management_role_name if record["management"] else role_name
    hostvars = {
        "aws_account_id": record["id"],
        "aws_account_name": record["name"],
        "aws_account_email": record["email"],
        "aws_account_arn": record["arn"],
        "aws_ou_path": record["ou_path"],
        "aws_ou_id": record["ou_id"],
        "aws_account_tags": dict(record["tags"]),
        "aws_management_account": record["management"],
    }
    arn = role_arn(record["id"], name, partition_from_arn(record["arn"]))
    if arn:
        hostvars["baseline_role_arn"] = arn
    return hostvars
