from __future__ import annotations

from datetime import UTC, datetime

import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError

from ansible_collections.accountguard.aws.plugins.module_utils import _credential_report as cr
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import account as gateway

HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
ROOT = (
    "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,"
    "2024-05-01T10:00:00+00:00,not_supported,not_supported,false,true,2021-03-04T05:06:07+00:00,"
    "2024-04-30T00:00:00+00:00,us-east-1,s3,false,2022-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A"
)
ALICE = (
    "alice,arn:aws:iam::123456789012:user/alice,2023-06-01T12:00:00Z,true,no_information,"
    "2023-06-01T12:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
)
BOB = (
    "bob,arn:aws:iam::123456789012:user/bob,2023-06-02T12:00:00+00:00,false,N/A,N/A,N/A,false,true,"
    "2023-06-02T12:00:00+00:00,N/A,N/A,N/A,true,2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00,eu-west-1,"
    "iam,false,N/A,false,N/A"
)
REPORT = "\n".join([HEADER, ROOT, ALICE, BOB]) + "\n"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T10:00:00+00:00", utc(2024, 5, 1, 10)),
        ("2024-05-01T10:00:00Z", utc(2024, 5, 1, 10)),
        ("2024-05-01T12:00:00+02:00", utc(2024, 5, 1, 10)),
        ("2024-05-01T10:00:00", utc(2024, 5, 1, 10)),
        ("N/A", None),
        ("not_supported", None),
        ("no_information", None),
        ("", None),
    ],
)
def test_parse_datetime(value, expected):
    parsed = cr.parse_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("false", False), ("not_supported", None), ("N/A", None)],
)
def test_parse_bool(value, expected):
    assert cr.parse_bool(value) is expected


@pytest.mark.parametrize("content", [REPORT, REPORT.encode(), b"\xef\xbb\xbf" + REPORT.encode()])
def test_parse_report_accepts_str_bytes_and_bom(content):
    rows = cr.parse_credential_report(content)
    assert [row["user"] for row in rows] == ["<root_account>", "alice", "bob"]


def test_root_row_typed_values():
    root = cr.root_row(cr.parse_credential_report(REPORT))
    assert root["arn"] == "arn:aws:iam::123456789012:root"
    assert root["password_enabled"] is None  # not_supported for root
    assert root["password_last_used"] == utc(2024, 5, 1, 10)
    assert root["password_last_changed"] is None
    assert root["mfa_active"] is False
    assert root["access_key_1_active"] is True
    assert root["access_key_1_last_rotated"] == utc(2021, 3, 4, 5, 6, 7)
    assert root["access_key_1_last_used_service"] == "s3"
    assert root["access_key_2_active"] is False
    assert root["access_key_2_last_used_region"] is None


def test_user_rows_typed_values():
    alice, bob = cr.user_rows(cr.parse_credential_report(REPORT))
    assert alice["user"] == "alice"
    assert alice["password_enabled"] is True
    assert alice["password_last_used"] is None  # no_information
    assert alice["user_creation_time"] == utc(2023, 6, 1, 12)
    assert alice["mfa_active"] is True
    assert bob["password_enabled"] is False
    assert bob["access_key_2_last_used_date"] == utc(2024, 2, 1)


def test_report_without_root_row():
    rows = cr.parse_credential_report("\n".join([HEADER, ALICE]))
    assert cr.root_row(rows) is None
    assert len(cr.user_rows(rows)) == 1


def test_unknown_columns_stay_strings():
    rows = cr.parse_credential_report("user,arn,new_column\nx,arn:aws:iam::1:user/x,hello\n")
    assert rows[0]["new_column"] == "hello"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # active key in slot 1, inactive key in slot 2 (keeps its rotation date)
        (ROOT, [(1, True), (2, False)]),
        # no keys at all: both slots N/A
        (ALICE, []),
        (BOB, [(1, True), (2, True)]),
    ],
)
def test_access_key_slots(row, expected):
    parsed = cr.parse_credential_report("\n".join([HEADER, row]))[0]
    assert [(key["slot"], key["active"]) for key in cr.access_key_slots(parsed)] == expected


class FakeIAM:
    """Scripted GenerateCredentialReport states, then GetCredentialReport answers."""

    def __init__(self, states, gets=None):
        self.states = list(states)
        self.gets = list(gets or [])
        self.calls = []

    def generate_credential_report(self, aws_retry=False):
        assert aws_retry is True
        self.calls.append("generate")
        return {"State": self.states.pop(0) if len(self.states) > 1 else self.states[0]}

    def get_credential_report(self, aws_retry=False):
        assert aws_retry is True
        self.calls.append("get")
        if self.gets and isinstance(self.gets[0], Exception):
            raise self.gets.pop(0)
        return self.gets.pop(0) if self.gets else {"Content": REPORT.encode(), "GeneratedTime": utc(2024, 5, 2)}


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def fetch(client, **options):
    """What the credential_report source reader does: the gateway's calls, polled, as (rows, generated time)."""
    response = cr.poll_credential_report(
        lambda: gateway.generate_credential_report(client), lambda: gateway.get_credential_report(client), **options
    )
    return cr.from_source(cr.to_source(response))


def client_error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "GetCredentialReport")


def test_fetch_polls_with_sleep_until_complete():
    client = FakeIAM(["STARTED", "INPROGRESS", "COMPLETE"], [client_error("ReportInProgress")])
    clock = FakeClock()
    rows, generated = fetch(client, max_wait=30, sleep=2, sleeper=clock.sleep, clock=clock)
    # a just-started report is tried once at once; after that only COMPLETE is worth a get
    assert client.calls == ["generate", "get", "generate", "generate", "get"]
    assert clock.sleeps == [0.25, 0.5]
    assert generated == utc(2024, 5, 2)
    assert len(rows) == 3


def test_fetch_complete_at_once_makes_two_calls_and_never_sleeps():
    client, clock = FakeIAM(["COMPLETE"]), FakeClock()
    fetch(client, sleeper=clock.sleep, clock=clock)
    assert client.calls == ["generate", "get"]
    assert clock.sleeps == []


def test_fetch_naive_generated_time_becomes_utc():
    client, clock = FakeIAM(["COMPLETE"], [{"Content": REPORT, "GeneratedTime": datetime(2024, 5, 2)}]), FakeClock()
    generated = fetch(client, sleeper=clock.sleep, clock=clock)[1]
    assert generated == utc(2024, 5, 2)


def test_fetch_retries_a_report_not_ready_on_get():
    client = FakeIAM(["COMPLETE"], [client_error("ReportInProgress")])
    clock = FakeClock()
    rows = fetch(client, sleep=1, sleeper=clock.sleep, clock=clock)[0]
    assert client.calls == ["generate", "get", "generate", "get"]
    assert rows


def test_fetch_a_fresh_report_ready_at_once_costs_one_generate_and_one_get():
    client, clock = FakeIAM(["STARTED"]), FakeClock()
    fetch(client, sleeper=clock.sleep, clock=clock)
    assert client.calls == ["generate", "get"]
    assert clock.sleeps == []


def test_fetch_pause_doubles_up_to_sleep():
    client, clock = FakeIAM(["STARTED"] * 7 + ["COMPLETE"], [client_error("ReportInProgress")]), FakeClock()
    fetch(client, max_wait=60, sleep=2, sleeper=clock.sleep, clock=clock)
    assert clock.sleeps == [0.25, 0.5, 1, 2, 2, 2, 2]


def test_fetch_gives_up_after_max_wait():
    client, clock = FakeIAM(["INPROGRESS"]), FakeClock()
    with pytest.raises(cr.CredentialReportTimeout, match="Timeout waiting 10s"):
        fetch(client, max_wait=10, sleep=3, sleeper=clock.sleep, clock=clock)
    assert clock.now <= 10
    assert "get" not in client.calls


def test_fetch_maps_other_errors():
    client = FakeIAM(["COMPLETE"], [client_error("AccessDenied")])
    clock = FakeClock()
    with pytest.raises(AnsibleIAMError, match="credential report") as exc:
        fetch(client, sleeper=clock.sleep, clock=clock)
    assert exc.value.exception.response["Error"]["Code"] == "AccessDenied"


def test_source_is_json_safe_and_round_trips():
    source = cr.to_source({"Content": ("\ufeff" + REPORT).encode(), "GeneratedTime": datetime(2024, 5, 2)})
    assert source == {"generated_time": "2024-05-02T00:00:00+00:00", "content": REPORT}
    rows, generated = cr.from_source(source)
    assert generated == utc(2024, 5, 2)
    assert [row["user"] for row in rows] == ["<root_account>", "alice", "bob"]
