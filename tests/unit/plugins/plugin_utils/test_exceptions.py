"""Accepted exceptions (plugin_utils._exceptions): parse and validate, match, expiry, path resolution, load."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS
from ansible_collections.accountguard.aws.plugins.plugin_utils import _exceptions
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import (
    AccountContext,
    Entry,
    Exceptions,
    ExceptionsFileError,
    parse,
)

TODAY = datetime.date(2026, 6, 15)
GOOD = {
    "account": "111111111111",
    "control": "user_mfa",
    "resource": "arn:aws:iam::111111111111:user/break-glass",
    "reason": "break-glass user; its hardware token is in the safe",
    "owner": "security@example.com",
    "expires": datetime.date(2027, 3, 31),
    "ticket": "SEC-1234",
}
PROD = AccountContext("111111111111", "prod", "Root/Workloads/Prod", {"environment": "prod", "owner": "platform"})
SANDBOX = AccountContext("333333333333", "sandbox", "Root/Sandbox", {"environment": "sandbox"})
BARE = AccountContext("444444444444")  # a static inventory: only aws_account_id


def doc(*entries, **top):
    return {"schema_version": 1, "exceptions": list(entries), **top}


def entry(**changes):
    raw = {**GOOD, **changes}
    return {k: v for k, v in raw.items() if v is not ...}


# -- parse and validate -----------------------------------------------------------------------------------------
def test_a_good_file_parses_to_entries_with_their_index():
    entries = parse(doc(entry(), entry(account="*", resource=..., ticket=..., expires="2026-01-01")), CONTROLS, "f")
    assert entries == (
        Entry(
            0,
            "111111111111",
            "user_mfa",
            GOOD["reason"],
            GOOD["owner"],
            datetime.date(2027, 3, 31),
            GOOD["resource"],
            "SEC-1234",
        ),
        # an expired date is valid: the entry no longer matches and the report lists it as expired
        Entry(1, "*", "user_mfa", GOOD["reason"], GOOD["owner"], datetime.date(2026, 1, 1)),
    )


@pytest.mark.parametrize(
    "data",
    [
        doc(),
        {"schema_version": 1, "exceptions": None},
        doc(entry(ticket=4711)),
        doc(entry(account="ou:Root/Workloads/*")),
        doc(entry(account="ou:*/Prod")),
        doc(entry(account="tag:environment=sandbox")),
        doc(entry(account="tag:environment=*")),
        doc(entry(account="prod")),
        doc(entry(account="team-*")),
        doc(entry(resource="*")),
        doc(entry(resource="arn:aws:iam::*:user/*")),
    ],
)
def test_valid_files(data):
    parse(data, CONTROLS)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (None, "the file is empty"),
        (["x"], "the file is a list"),
        ({**doc(), "version": 1}, "version: unknown key"),
        ({"exceptions": []}, "schema_version: required"),
        (doc(schema_version=2), "schema_version: 2 is not supported"),
        (doc(schema_version="1"), "schema_version: '1' is not supported"),
        (doc(schema_version=True), "schema_version: True is not supported"),
        ({"schema_version": 1}, "exceptions: required"),
        ({"schema_version": 1, "exceptions": {"a": 1}}, "exceptions: must be a list"),
        (doc("x"), "exceptions[0]: must be a mapping"),
        (doc(entry(), entry(acount="x")), "exceptions[1].acount: unknown key"),
        (doc(entry(reason=...)), "exceptions[0].reason: required"),
        (doc(entry(reason="")), "exceptions[0].reason: required"),
        (doc(entry(reason="   ")), "exceptions[0].reason: must be non-empty text"),
        (doc(entry(owner=...)), "exceptions[0].owner: required"),
        (doc(entry(owner=["a"])), "exceptions[0].owner: must be non-empty text"),
        (doc(entry(expires=...)), "exceptions[0].expires: required"),
        (doc(entry(account=...)), "exceptions[0].account: required"),
        (doc(entry(control=...)), "exceptions[0].control: required"),
        (doc(entry(expires="next year")), "exceptions[0].expires: 'next year' is not a date"),
        (doc(entry(expires="2027-02-30")), "exceptions[0].expires: '2027-02-30' is not a date"),
        (doc(entry(expires="20270331")), "is not a date written YYYY-MM-DD"),
        (doc(entry(expires=datetime.datetime(2027, 1, 1, 12))), "is not a date"),
        (doc(entry(expires=20270331)), "is not a date"),
        (doc(entry(control="mfa")), "exceptions[0].control: unknown control id 'mfa'; expected one of password_policy"),
        (doc(entry(account=111111111111)), "exceptions[0].account: must be a string, got int (quote account ids"),
        (doc(entry(account="11111")), "exceptions[0].account: '11111': an account id has 12 digits"),
        (doc(entry(account="ou:Workloads/*")), "an OU path starts at the root"),
        (doc(entry(account="ou:")), "an OU path starts at the root"),
        (doc(entry(account="ou:Root//Prod")), "no empty level"),
        (doc(entry(account="tag:environment")), "a tag pattern is 'tag:<key>=<value>'"),
        (doc(entry(account="tag:=x")), "a tag pattern is 'tag:<key>=<value>'"),
        (doc(entry(account="tags:env=x")), "unknown kind 'tags'"),
        (doc(entry(account=" prod")), "surrounding spaces"),
        (doc(entry(resource="user/break-glass")), "exceptions[0].resource: 'user/break-glass' is not an ARN pattern"),
        (doc(entry(resource="arn:aws:iam")), "is not an ARN pattern"),
        (doc(entry(resource=["arn:aws:iam::1:user/x"])), "exceptions[0].resource: must be a string"),
        (doc(entry(ticket={"id": 1})), "exceptions[0].ticket: must be text"),
    ],
)
def test_invalid_files_name_the_entry_and_key(data, fragment):
    with pytest.raises(ExceptionsFileError) as caught:
        parse(data, CONTROLS, "/inv/exceptions.yml")
    assert str(caught.value).startswith("/inv/exceptions.yml: ")
    assert fragment in str(caught.value)


def test_every_problem_is_reported_at_once_and_long_lists_are_cut():
    with pytest.raises(ExceptionsFileError) as caught:
        parse(doc(entry(reason=..., owner=...), *[entry(control="x")] * 30), CONTROLS)
    assert caught.value.problems[:2] == ["exceptions[0].reason: required", "exceptions[0].owner: required"]
    assert len(caught.value.problems) == 32
    assert str(caught.value).endswith("; ... and 12 more")


def test_control_ids_are_the_ones_known_at_run_time():
    # A control another part of the collection adds to CONTROLS is valid without touching this module.
    data = doc(entry(control="future_control"))
    with pytest.raises(ExceptionsFileError):
        parse(data, CONTROLS)
    assert parse(data, [*CONTROLS, "future_control"])[0].control == "future_control"


# -- match ------------------------------------------------------------------------------------------------------
BREAK_GLASS = "arn:aws:iam::111111111111:user/break-glass"


@pytest.mark.parametrize(
    ("account", "context", "expected"),
    [
        ("*", BARE, True),
        ("111111111111", PROD, True),
        ("111111111111", SANDBOX, False),
        ("prod", PROD, True),
        ("prod", SANDBOX, False),
        ("prod", BARE, False),  # no name known: a name pattern matches nothing
        ("pro*", PROD, True),
        ("ou:Root/Workloads/*", PROD, True),
        ("ou:Root/Workloads", PROD, True),  # an OU matches the accounts in it and beneath it
        ("ou:Root/Workloads/", PROD, True),
        ("ou:Root/Workloads/*", SANDBOX, False),
        ("ou:Root/Workloads/Dev", PROD, False),
        ("ou:Root", SANDBOX, True),
        ("ou:*/Prod", PROD, True),
        ("ou:Root/Workloads/*", BARE, False),  # no OU path known
        ("tag:environment=sandbox", SANDBOX, True),
        ("tag:environment=sandbox", PROD, False),
        ("tag:environment=*", PROD, True),
        ("tag:team=*", PROD, False),  # the account has no such tag
        ("tag:environment=sandbox", BARE, False),
        ("tag:Environment=sandbox", SANDBOX, False),  # tag keys are case-sensitive, as in AWS
    ],
)
def test_account_patterns(account, context, expected):
    item = parse(doc(entry(account=account)), CONTROLS)[0]
    assert item.matches_account(context) is expected


@pytest.mark.parametrize(
    ("resource", "control", "arn", "expected"),
    [
        (BREAK_GLASS, "user_mfa", BREAK_GLASS, True),
        (BREAK_GLASS, "root_mfa", BREAK_GLASS, False),  # one control only
        (BREAK_GLASS, "user_mfa", BREAK_GLASS + "-2", False),
        (..., "user_mfa", "arn:aws:iam::111111111111:user/anyone", True),  # absent: every resource of the control
        ("*", "user_mfa", "arn:aws:iam::111111111111:user/anyone", True),
        ("arn:aws:iam::*:user/break-*", "user_mfa", BREAK_GLASS, True),
        ("arn:aws:iam::111111111111:user/*", "user_mfa", "arn:aws:iam::111111111111:user/path/x", True),
        ("arn:aws:iam::111111111111:user/BREAK-GLASS", "user_mfa", BREAK_GLASS, False),  # case-sensitive
    ],
)
def test_control_and_resource(resource, control, arn, expected):
    item = parse(doc(entry(resource=resource)), CONTROLS)[0]
    assert item.matches(PROD, control, arn) is expected


# -- expiry -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expires", "warn_days", "expired", "expiring", "days_left"),
    [
        (datetime.date(2026, 6, 14), 14, True, False, -1),
        (datetime.date(2026, 6, 15), 14, False, True, 0),  # applies through its expires day
        (datetime.date(2026, 6, 29), 14, False, True, 14),
        (datetime.date(2026, 6, 30), 14, False, False, 15),
        (datetime.date(2026, 6, 16), 0, False, False, 1),
        (datetime.date(2026, 6, 15), 0, False, True, 0),
    ],
)
def test_expiry(expires, warn_days, expired, expiring, days_left):
    item = parse(doc(entry(expires=expires)), CONTROLS)[0]
    assert (item.expired(TODAY), item.expiring(TODAY, warn_days), item.days_left(TODAY)) == (
        expired,
        expiring,
        days_left,
    )


def test_a_finding_matches_the_first_unexpired_entry_and_an_expired_one_only_as_lapsed():
    lapsed, other, current = parse(
        doc(
            entry(expires="2026-06-14", reason="old"),
            entry(control="root_mfa"),
            entry(resource=..., reason="every user", ticket=...),
        ),
        CONTROLS,
    )
    exceptions = Exceptions("f", (lapsed, other, current), TODAY, 14)
    assert exceptions.match(PROD, "user_mfa", BREAK_GLASS) == current
    assert exceptions.lapsed(PROD, "user_mfa", BREAK_GLASS) == lapsed
    assert exceptions.match(SANDBOX, "user_mfa", BREAK_GLASS) is None
    assert exceptions.expired() == (lapsed,)
    assert exceptions.expiring() == ()
    assert exceptions.for_account(SANDBOX) == ()
    assert current.exception() == {
        "index": 2,
        "reason": "every user",
        "owner": GOOD["owner"],
        "expires": "2027-03-31",
        "ticket": None,
    }


def test_round_trip_through_a_task_result():
    entries = parse(doc(entry(), entry(account="ou:Root/*", resource=..., ticket=...)), CONTROLS)
    exceptions = Exceptions("/inv/exceptions.yml", entries, TODAY, 7)
    assert Exceptions.from_dict(exceptions.to_dict()) == exceptions
    assert AccountContext.from_dict(PROD.to_dict()) == PROD
    assert Exceptions.from_dict(None) is None
    assert Exceptions.from_dict({"entries": []}) is None


# -- path and file ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [
        ("exceptions.yml", "/inv/demo", "/inv/demo/exceptions.yml"),
        ("../shared/exceptions.yml", "/inv/demo", "/inv/shared/exceptions.yml"),
        ("/etc/accountguard/exceptions.yml", "/inv/demo", "/etc/accountguard/exceptions.yml"),
    ],
)
def test_a_relative_path_is_relative_to_the_base_directory(path, base, expected):
    assert _exceptions.resolve_path(path, base) == expected


def test_without_a_base_directory_a_relative_path_is_relative_to_the_current_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _exceptions.resolve_path("exceptions.yml", None) == str(tmp_path / "exceptions.yml")


def test_load_reads_yaml_dates_and_names_the_file(tmp_path):
    path = tmp_path / "exceptions.yml"
    path.write_text(
        "schema_version: 1\nexceptions:\n  - account: '111111111111'\n    control: user_mfa\n"
        "    reason: r\n    owner: o\n    expires: 2027-03-31\n",
        encoding="utf-8",
    )
    assert _exceptions.load(str(path), CONTROLS)[0].expires == datetime.date(2027, 3, 31)
    path.write_text("schema_version: 1\nexceptions: [\n", encoding="utf-8")
    with pytest.raises(ExceptionsFileError, match=r"exceptions\.yml: is not valid YAML at line \d+"):
        _exceptions.load(str(path), CONTROLS)
    with pytest.raises(ExceptionsFileError, match=r"missing\.yml: cannot be read: No such file"):
        _exceptions.load(str(tmp_path / "missing.yml"), CONTROLS)
