# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Accepted exceptions (``baseline_exceptions_file``): parse, validate and match, defined once.

The baseline's preflight loads and validates the file before any AWS call; the drift gate and the report
callback apply it to the findings. All three use this module, so an entry means the same everywhere.

Controller-only and pure apart from `load()` (one file read): no Ansible import, plain data in and out, so the
rules are unit-tested with tables. `today` is always passed in, never read from the clock here.

The schema (version 1) is documented in docs/accepted-exceptions.md:

    schema_version: 1
    exceptions:
      - account: "111111111111"   # id, name (glob), "ou:<OU path glob>", "tag:<key>=<value glob>", or "*"
        control: user_mfa         # one control id of _findings.CONTROLS
        resource: "arn:aws:iam::111111111111:user/break-glass"   # optional ARN glob
        reason: ...               # required
        owner: ...                # required
        expires: 2027-03-31       # required ISO date; the entry applies through that day
        ticket: SEC-1234          # optional
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from ansible_collections.accountguard.aws.plugins.plugin_utils._organizations import ROOT_NAME, ou_path_matches

SCHEMA_VERSION = 1
TOP_KEYS = ("schema_version", "exceptions")
ENTRY_KEYS = ("account", "control", "resource", "reason", "owner", "expires", "ticket")
REQUIRED_KEYS = ("account", "control", "reason", "owner", "expires")
DEFAULT_WARN_DAYS = 14
# A message lists at most this many problems; the rest are counted.
MAX_PROBLEMS = 20

_ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# "xyz:..." with a lowercase word before the colon: a kind of pattern; only ou: and tag: exist.
_PREFIX_RE = re.compile(r"^([a-z_]+):")
_GLOB = "*?["


class ExceptionsFileError(ValueError):
    """The exceptions file cannot be used; `problems` names each entry (index) and key."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        text = "; ".join(shown) + (f"; ... and {more} more" if more > 0 else "")
        super().__init__(f"{source}: {text}" if source else text)


@dataclass(frozen=True)
class AccountContext:
    """What an entry's `account` is matched against: the host's inventory variables."""

    account_id: str = ""  # aws_account_id
    name: str = ""  # aws_account_name
    ou_path: str = ""  # aws_ou_path, e.g. Root/Workloads/Prod
    tags: Mapping[str, str] = field(default_factory=dict)  # aws_account_tags

    @classmethod
    def from_dict(cls, raw) -> AccountContext:
        raw = raw if isinstance(raw, Mapping) else {}
        tags = raw.get("tags") if isinstance(raw.get("tags"), Mapping) else {}
        return cls(
            account_id=_str(raw.get("account_id")),
            name=_str(raw.get("name")),
            ou_path=_str(raw.get("ou_path")),
            tags={str(k): str(v) for k, v in tags.items() if v is not None},
        )

    def to_dict(self) -> dict:
        return {"account_id": self.account_id, "name": self.name, "ou_path": self.ou_path, "tags": dict(self.tags)}


def _str(value) -> str:
    return "" if value is None or isinstance(value, bool) else str(value)


def account_pattern_problem(pattern) -> str | None:
    """Why an entry's `account` is not a pattern, or None."""
    if not isinstance(pattern, str):
        kind = type(pattern).__name__
        hint = ' (quote account ids in YAML: "012345678901")' if isinstance(pattern, int) else ""
        return f"must be a string, got {kind}{hint}"
    if not pattern.strip() or pattern != pattern.strip():
        return f"{pattern!r} is empty or has surrounding spaces"
    prefix = _PREFIX_RE.match(pattern)
    if prefix and prefix.group(1) == "ou":
        path = pattern[3:].rstrip("/")
        head = path.split("/", 1)[0]
        if not path or (head != ROOT_NAME and not any(c in head for c in _GLOB)):
            return f"{pattern!r}: an OU path starts at the root, e.g. 'ou:{ROOT_NAME}/Workloads/*'"
        if "//" in path:
            return f"{pattern!r}: an OU path has no empty level"
        return None
    if prefix and prefix.group(1) == "tag":
        key, sep, _value = pattern[4:].partition("=")
        if not sep or not key.strip():
            return f"{pattern!r}: a tag pattern is 'tag:<key>=<value>', e.g. 'tag:environment=sandbox'"
        return None
    if prefix:
        return f"{pattern!r}: unknown kind {prefix.group(1)!r}; use an account id, a name, 'ou:...', 'tag:...' or '*'"
    if pattern.isdigit() and not _ACCOUNT_ID_RE.match(pattern):
        return f"{pattern!r}: an account id has 12 digits"
    return None


def resource_pattern_problem(pattern) -> str | None:
    """Why an entry's `resource` is not an ARN glob, or None (absent is fine: every resource)."""
    if pattern is None or pattern == "*":
        return None
    if not isinstance(pattern, str):
        return f"must be a string (an ARN glob), got {type(pattern).__name__}"
    if not pattern.startswith("arn:") or pattern.count(":") < 5 or pattern != pattern.strip():
        return f"{pattern!r} is not an ARN pattern such as 'arn:aws:iam::111111111111:user/break-glass'"
    return None


def parse_date(value) -> datetime.date | None:
    """An ISO date (YAML date, or 'YYYY-MM-DD' text); None when it is none (a time of day is refused too)."""
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Entry:
    """One accepted exception; `index` is its position in the file's `exceptions` list (from 0)."""

    index: int
    account: str
    control: str
    reason: str
    owner: str
    expires: datetime.date
    resource: str | None = None
    ticket: str | None = None

    def matches_account(self, account: AccountContext) -> bool:
        pattern = self.account
        if pattern == "*":
            return True
        if pattern.startswith("ou:"):
            return bool(account.ou_path) and ou_path_matches(account.ou_path, [pattern[3:].rstrip("/")])
        if pattern.startswith("tag:"):
            key, _sep, wanted = pattern[4:].partition("=")
            value = account.tags.get(key)
            return value is not None and fnmatchcase(value, wanted)
        if _ACCOUNT_ID_RE.match(pattern):
            return pattern == account.account_id
        return bool(account.name) and fnmatchcase(account.name, pattern)

    def matches(self, account: AccountContext, control: str, resource: str) -> bool:
        """The entry covers this finding, whether or not it has expired."""
        if control != self.control or not self.matches_account(account):
            return False
        return self.resource in (None, "*") or fnmatchcase(resource or "", self.resource)

    def expired(self, today: datetime.date) -> bool:
        """An entry applies through its `expires` day, and no longer from the day after."""
        return today > self.expires

    def days_left(self, today: datetime.date) -> int:
        return (self.expires - today).days

    def expiring(self, today: datetime.date, warn_days: int) -> bool:
        return not self.expired(today) and self.days_left(today) <= warn_days

    def exception(self) -> dict:
        """What an accepted cell or finding carries: {reason, owner, expires, ticket} (and the entry's index)."""
        return {
            "index": self.index,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "ticket": self.ticket,
        }

    def to_dict(self) -> dict:
        """The entry with its index and every key (resource and ticket null when absent)."""
        return {
            "index": self.index,
            "account": self.account,
            "control": self.control,
            "resource": self.resource,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "ticket": self.ticket,
        }

    @classmethod
    def from_dict(cls, raw: Mapping) -> Entry:
        """Read back `to_dict()` (already validated when it was parsed)."""
        expires = parse_date(raw.get("expires"))
        if expires is None:
            raise ValueError(f"exception entry {raw.get('index')!r} has no valid expires")
        return cls(
            index=int(raw.get("index") or 0),
            account=str(raw.get("account")),
            control=str(raw.get("control")),
            reason=str(raw.get("reason")),
            owner=str(raw.get("owner")),
            expires=expires,
            resource=raw.get("resource") if isinstance(raw.get("resource"), str) else None,
            ticket=raw.get("ticket") if isinstance(raw.get("ticket"), str) else None,
        )


def _entry_problems(index: int, raw, control_ids: Iterable[str]) -> list[str]:
    where = f"exceptions[{index}]"
    if not isinstance(raw, Mapping):
        return [f"{where}: must be a mapping with the keys {', '.join(REQUIRED_KEYS)}, got {type(raw).__name__}"]
    problems = [
        f"{where}.{key}: unknown key; the keys are {', '.join(ENTRY_KEYS)}" for key in raw if key not in ENTRY_KEYS
    ]
    problems += [f"{where}.{key}: required" for key in REQUIRED_KEYS if raw.get(key) in (None, "")]
    if raw.get("account") not in (None, ""):
        problem = account_pattern_problem(raw["account"])
        if problem:
            problems.append(f"{where}.account: {problem}")
    control = raw.get("control")
    if control not in (None, "") and control not in control_ids:
        problems.append(f"{where}.control: unknown control id {control!r}; expected one of {', '.join(control_ids)}")
    problem = resource_pattern_problem(raw.get("resource"))
    if problem:
        problems.append(f"{where}.resource: {problem}")
    for key in ("reason", "owner"):
        value = raw.get(key)
        if value not in (None, "") and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{where}.{key}: must be non-empty text")
    if raw.get("expires") not in (None, "") and parse_date(raw["expires"]) is None:
        problems.append(f"{where}.expires: {raw['expires']!r} is not a date written YYYY-MM-DD")
    ticket = raw.get("ticket")
    if ticket is not None and (isinstance(ticket, bool) or not isinstance(ticket, (str, int))):
        problems.append(f"{where}.ticket: must be text, got {type(ticket).__name__}")
    return problems


def parse(data, control_ids: Iterable[str], source: str = "") -> tuple[Entry, ...]:
    """The entries of a loaded exceptions file, or ExceptionsFileError naming every problem.

    `control_ids` are the known control ids (pass _findings.CONTROLS at run time, never a copy). An entry whose
    `expires` has passed is valid: it no longer matches, and the report lists it as expired.
    """
    control_ids = tuple(control_ids)
    if not isinstance(data, Mapping):
        what = "empty" if data is None else f"a {type(data).__name__}"
        raise ExceptionsFileError(source, [f"the file is {what}; expected a mapping with {' and '.join(TOP_KEYS)}"])
    problems = [f"{key}: unknown key; the keys are {', '.join(TOP_KEYS)}" for key in data if key not in TOP_KEYS]
    version = data.get("schema_version")
    if version is None:
        problems.append(f"schema_version: required (this collection reads schema_version {SCHEMA_VERSION})")
    elif isinstance(version, bool) or version != SCHEMA_VERSION:
        problems.append(f"schema_version: {version!r} is not supported; this collection reads {SCHEMA_VERSION}")
    raw_entries = data.get("exceptions")
    if raw_entries is None:
        raw_entries = []
        if "exceptions" not in data:
            problems.append("exceptions: required (a list; it may be empty)")
    if not isinstance(raw_entries, list):
        problems.append(f"exceptions: must be a list, got {type(raw_entries).__name__}")
        raw_entries = []
    for index, raw in enumerate(raw_entries):
        problems += _entry_problems(index, raw, control_ids)
    if problems:
        raise ExceptionsFileError(source, problems)
    return tuple(
        Entry(
            index=index,
            account=raw["account"],
            control=raw["control"],
            reason=raw["reason"].strip(),
            owner=raw["owner"].strip(),
            expires=parse_date(raw["expires"]),
            resource=raw.get("resource"),
            ticket=None if raw.get("ticket") in (None, "") else str(raw["ticket"]),
        )
        for index, raw in enumerate(raw_entries)
    )


def resolve_path(path: str, base_dir: str | None) -> str:
    """The file's absolute path: `~` expanded; a relative path is relative to `base_dir` (the role passes the
    host's inventory directory), or to the current directory when there is none."""
    path = os.path.expanduser(str(path))
    if not os.path.isabs(path) and base_dir:
        path = os.path.join(os.path.expanduser(str(base_dir)), path)
    return os.path.normpath(os.path.abspath(path))


def load(path: str, control_ids: Iterable[str]) -> tuple[Entry, ...]:
    """Read and parse the exceptions file at `path` (absolute: see resolve_path())."""
    import yaml  # a dependency of ansible-core; imported here so the pure functions need nothing

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise ExceptionsFileError(path, [f"cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ExceptionsFileError(path, ["is not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ExceptionsFileError(path, [f"is not valid YAML{where}: {problem}"]) from None
    return parse(data, control_ids, path)


@dataclass(frozen=True)
class Exceptions:
    """A validated exceptions file as one run applies it: the entries, the warning window and the day."""

    source: str
    entries: tuple[Entry, ...]
    today: datetime.date
    warn_days: int = DEFAULT_WARN_DAYS

    def match(self, account: AccountContext, control: str, resource: str) -> Entry | None:
        """The first unexpired entry that covers the finding: the finding is accepted."""
        return next(
            (e for e in self.entries if not e.expired(self.today) and e.matches(account, control, resource)), None
        )

    def lapsed(self, account: AccountContext, control: str, resource: str) -> Entry | None:
        """The first expired entry that would cover the finding (named beside the drift it is again)."""
        return next((e for e in self.entries if e.expired(self.today) and e.matches(account, control, resource)), None)

    def expired(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.expired(self.today))

    def expiring(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.expiring(self.today, self.warn_days))

    def for_account(self, account: AccountContext) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.matches_account(account))

    def to_dict(self) -> dict:
        return {
            "file": self.source,
            "today": self.today.isoformat(),
            "warn_days": self.warn_days,
            "entries": [e.to_dict() for e in self.entries],
        }

    @classmethod
    def from_dict(cls, raw) -> Exceptions | None:
        """Read back `to_dict()` (the drift gate's result, as the report callback sees it); None when absent."""
        if not isinstance(raw, Mapping) or parse_date(raw.get("today")) is None:
            return None
        return cls(
            source=str(raw.get("file") or ""),
            entries=tuple(Entry.from_dict(e) for e in raw.get("entries") or () if isinstance(e, Mapping)),
            today=parse_date(raw["today"]),
            warn_days=int(raw.get("warn_days") or 0),
        )


def exception_text(exception: Mapping | None) -> str:
    """An accepted exception in words, for the report's formats and its OCSF export:
    "exception #0: reason; owner x; expires 2027-03-31; ticket SEC-1"."""
    if not exception:
        return ""
    text = f"exception #{exception.get('index')}: {exception.get('reason')}; owner {exception.get('owner')}; "
    text += f"expires {exception.get('expires')}"
    return text + (f"; ticket {exception['ticket']}" if exception.get("ticket") else "")
