"""Emulator honesty: what the AWS documentation says each action answers, replayed against the emulator.

Every test of the collection runs against the emulator (tests/emulator/), so a misunderstanding of an AWS
API shared by the collection and the emulator would pass every test and break users. Each file
``tests/emulator/honesty/<service>/<Action>.yml`` holds, for one action the collection calls, the documented
example (request parameters, the response's field names and types, the page it comes from) as one or more
cases. A case seeds the state the example presupposes with the test's own clients, replays the request with
an ordinary client, and checks the answer three ways: against the documented fields, values and formats;
against botocore's service model (every required member present, every member of the right type, enum
values known); and, for writes, by reading the effect back.

The collection's AWS actions are not listed by hand: ``collection_actions()`` scans ``plugins/`` at test time,
and ``test_every_action_the_collection_calls_has_a_case`` fails when one has no case, so the suite cannot
fall behind the code. See tests/emulator/README.md, section "Honesty suite".
"""

from __future__ import annotations

import ast
import csv
import functools
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"
HONESTY_DIR = ROOT / "tests" / "emulator" / "honesty"
SERVICES = ("iam", "sts", "organizations", "account", "accessanalyzer", "securityhub")
# Calls whose string argument names an operation: client.get_paginator("list_users"),
# amazon.aws's paginated_query_with_retries(client, "list_users"), getattr(client, "list_users").
NAME_TAKING_CALLS = frozenset({"get_paginator", "can_paginate", "paginated_query_with_retries", "paginated", "getattr"})
# A receiver named like this decides an operation name that two services share (create_policy, ...).
RECEIVER_HINTS = {
    "iam": "iam",
    "sts": "sts",
    "org": "organizations",
    "analyzer": "accessanalyzer",
    "account": "account",
}
# Services whose operations share names with the others' (list_tags_for_resource): an ambiguous name is theirs
# only when the receiver says so.
HINTED_ONLY = ("accessanalyzer:", "account:")

CASE_KEYS = frozenset(
    {
        "name",
        "note",
        "given",
        "account",
        "region",
        "request",
        "response",
        "values",
        "patterns",
        "absent",
        "within_seconds",
    }
    | {"csv", "raw_patterns", "paginate", "error", "then", "xfail", "xfail_in_given", "model_exceptions"}
)
STEP_KEYS = frozenset({"call", "emulator", "account", "region", "args", "save", "values", "contains", "error"})
PY_TYPES = {
    "string": str,
    "integer": int,
    "long": int,
    "boolean": bool,
    "timestamp": datetime,
    "blob": bytes,
    "float": float,
    "double": float,
    "list": list,
    "map": dict,
    "structure": dict,
}


# ----- the actions the collection calls --------------------------------------------------------------------


@functools.cache
def _session():
    return botocore.session.get_session()


@functools.cache
def service_model(service: str):
    return _session().get_service_model(service)


@functools.cache
def operation_names() -> dict[str, frozenset[str]]:
    """boto3 method name (``list_users``) -> the ``service:Action`` it calls, for the services we use."""
    names: dict[str, set[str]] = {}
    for service in SERVICES:
        for action in service_model(service).operation_names:
            names.setdefault(xform_name(action), set()).add(f"{service}:{action}")
    return {name: frozenset(actions) for name, actions in names.items()}


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _narrow(actions: frozenset[str], receiver: ast.expr | None) -> frozenset[str]:
    if len(actions) < 2 or receiver is None:
        return actions
    text = ast.unparse(receiver).lower()
    for hint, service in RECEIVER_HINTS.items():
        chosen = frozenset(a for a in actions if a.startswith(service + ":"))
        if hint in text and chosen:
            return chosen
    return frozenset(a for a in actions if not a.startswith(HINTED_ONLY)) or actions


def actions_in_source(text: str, where: str = "<source>") -> dict[str, set[str]]:
    """``service:Action`` -> {"file:line"} for every AWS operation a Python source mentions.

    An attribute named like an operation counts whether it is called (``client.get_account_summary(
    aws_retry=True)``) or handed on (``paginate(client.list_roots, ...)``); so does an operation name given
    as a string to get_paginator and its kin. Over-counting (a helper that happens to share an operation's
    name) only asks for one case too many; under-counting would let a call go unchecked.
    """
    names = operation_names()
    found: dict[str, set[str]] = {}
    lowered = text.lower()

    def record(actions, node):
        # An operation name two services share (ListTagsForResource: organizations, securityhub) counts only for
        # the services the file mentions at all, when it mentions any of them.
        mentioned = frozenset(a for a in actions if a.split(":", 1)[0] in lowered)
        if len(actions) > 1 and mentioned:
            actions = mentioned
        for action in actions:
            found.setdefault(action, set()).add(f"{where}:{node.lineno}")

    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Attribute) and node.attr in names:
            record(_narrow(names[node.attr], node.value), node)
        elif isinstance(node, ast.Call) and _called_name(node.func) in NAME_TAKING_CALLS:
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            for arg in [*node.args, *(keyword.value for keyword in node.keywords)]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value in names:
                    if receiver is None and node.args and node.args[0] is not arg:
                        receiver = node.args[0]
                    record(_narrow(names[arg.value], receiver), node)
    return found


# Calls botocore makes on the collection's behalf, named by the botocore class the code hands the work to.
IMPLICIT_ACTIONS = {"AssumeRoleCredentialFetcher": "sts:AssumeRole"}


def collection_actions(root: Path = PLUGINS) -> dict[str, set[str]]:
    """Every ``service:Action`` that Python code anywhere under plugins/ (subpackages included) mentions, and
    the calls botocore makes for it (IMPLICIT_ACTIONS)."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        where = str(path.relative_to(root.parent))
        text = path.read_text(encoding="utf-8")
        for action, places in actions_in_source(text, where).items():
            found.setdefault(action, set()).update(places)
        for marker, action in IMPLICIT_ACTIONS.items():
            if marker in text:
                found.setdefault(action, set()).add(f"{where} (through botocore's {marker})")
    return found


# ----- the cases -------------------------------------------------------------------------------------------


def _load_specs() -> list[tuple[Path, dict]]:
    return [(path, yaml.safe_load(path.read_text(encoding="utf-8"))) for path in sorted(HONESTY_DIR.glob("*/*.yml"))]


SPECS = _load_specs()


class EmulatorDisagrees(AssertionError):
    """The emulator's answer differs from the documentation (a failed arrangement is a plain AssertionError)."""


def _case_params():
    for _path, spec in SPECS:
        for case in spec.get("cases") or []:
            # raises=: an xfail case must fail for the documented disagreement, not because arranging broke.
            marks = (
                [pytest.mark.xfail(strict=True, raises=EmulatorDisagrees, reason=case["xfail"])]
                if case.get("xfail")
                else []
            )
            yield pytest.param(spec, case, id=f"{spec['service']}:{spec['action']}:{case['name']}", marks=marks)


def covered_actions() -> set[str]:
    return {f"{spec['service']}:{spec['action']}" for _path, spec in SPECS if spec.get("cases")}


# ----- checks ----------------------------------------------------------------------------------------------


def _type_ok(type_name: str, value) -> bool:
    if isinstance(value, bool) and type_name != "boolean":
        return False
    return isinstance(value, PY_TYPES[type_name])


def shape_problems(shape, value, path: str = "") -> list[str]:
    """What is wrong with a parsed value against a botocore shape: types, required members, enums, lengths.

    Values never appear in the messages: some members are secrets (SecretAccessKey, SessionToken).
    """
    kind = shape.type_name
    if shape.name == "policyDocumentType" and isinstance(value, dict):
        return []  # botocore's json_decode_policies handler turns the URL-encoded JSON into a dict
    if not _type_ok(kind, value):
        return [f"{path or '<response>'}: {kind} expected, got {type(value).__name__}"]
    problems = []
    if kind == "structure":
        prefix = f"{path}." if path else ""
        problems += [f"{prefix}{name}: required member missing" for name in shape.required_members if name not in value]
        for name, member in shape.members.items():
            if name in value:
                problems += shape_problems(member, value[name], prefix + name)
    elif kind == "list":
        for index, item in enumerate(value):
            problems += shape_problems(shape.member, item, f"{path}[{index}]")
    elif kind == "map":
        for key, item in value.items():
            problems += shape_problems(shape.key, key, f"{path} key")
            problems += shape_problems(shape.value, item, f"{path}.{key}")
    elif kind == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: not one of the model's {len(shape.enum)} enum values")
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            problems.append(f"{path}: length {len(value)} outside the model's {low}..{high}")
    return problems


def _model_path(problem: str) -> str:
    """``VirtualMFADevices[0].User.UserName: required ...`` -> ``VirtualMFADevices[].User.UserName``."""
    return re.sub(r"\[\d+\]", "[]", problem.split(":", 1)[0])


def resolve(data, path: str) -> list:
    """Values at a dotted path; ``Users[]`` steps into every item of a list. Missing keys yield nothing."""
    values = [data]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part[:-2] if each else part
        step = []
        for value in values:
            if isinstance(value, dict) and key in value:
                step.extend(value[key] if each and isinstance(value[key], list) else [value[key]])
        values = step
    return values


def field_problems(response: dict, fields: dict[str, str]) -> list[str]:
    problems = []
    for path, type_name in fields.items():
        values = resolve(response, path)
        if not values:
            problems.append(f"{path}: documented, missing")
        problems += [
            f"{path}: documented as {type_name}, got {type(v).__name__}" for v in values if not _type_ok(type_name, v)
        ]
    return problems


def value_problems(response, values: dict | None, patterns: dict | None) -> list[str]:
    problems = []
    for path, expected in (values or {}).items():
        found = resolve(response, path)
        if not found:
            problems.append(f"{path}: missing, expected {expected!r}")
        problems += [f"{path}: {v!r}, expected {expected!r}" for v in found if v != expected]
    for path, pattern in (patterns or {}).items():
        found = resolve(response, path)
        if not found:
            problems.append(f"{path}: missing, expected to match {pattern}")
        # Only the pattern is shown: the value may be a secret.
        problems += [f"{path}: does not match {pattern}" for v in found if not re.fullmatch(pattern, str(v))]
    return problems


def within_problems(response, within: dict | None) -> list[str]:
    """Timestamps expected between ``low`` and ``high`` seconds from now (negative: in the past)."""
    problems = []
    now = datetime.now(UTC)
    for path, (low, high) in (within or {}).items():
        found = resolve(response, path)
        if not found:
            problems.append(f"{path}: missing")
        for value in found:
            offset = (value - now).total_seconds() if isinstance(value, datetime) else None
            if offset is None or not low <= offset <= high:
                problems.append(f"{path}: {offset} s from now, expected {low}..{high}")
    return problems


def csv_problems(response: dict, spec: dict) -> list[str]:
    content = response.get("Content")
    if not isinstance(content, bytes):
        return ["Content: no CSV bytes to check"]
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    problems = []
    if rows[0] != spec["header"]:
        problems.append(f"CSV header {rows[0]} differs from the documented {spec['header']}")
    records = [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
    problems += [
        f"CSV row {i + 2} has {len(row)} cells, header {len(rows[0])}"
        for i, row in enumerate(rows[1:])
        if len(row) != len(rows[0])
    ]
    for index, expected in enumerate(spec.get("rows") or []):
        if index >= len(records):
            problems.append(f"CSV data row {index + 1} missing")
            continue
        for column, pattern in expected.items():
            if not re.fullmatch(pattern, records[index].get(column, "")):
                problems.append(
                    f"CSV data row {index + 1} column {column}: {records[index].get(column)!r} !~ {pattern}"
                )
    return problems


def modeled_error_codes(service: str, action: str) -> set[str]:
    operation = service_model(service).operation_model(action)
    return {shape.metadata.get("error", {}).get("code", shape.name) for shape in operation.error_shapes}


# ----- replaying -------------------------------------------------------------------------------------------


@functools.cache
def generated_material() -> dict[str, str]:
    """A self-signed certificate and an SSH public key, for the examples that upload one (never secrets)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "honesty.example.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return {
        "certificate_body": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "ssh_public_key": key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode(),
    }


def substitute(value, saved: dict):
    """``"$name"`` stands for a value saved by an earlier step (ids AWS makes up, such as access key ids)."""
    if isinstance(value, str) and value.startswith("$") and value[1:] in saved:
        return saved[value[1:]]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    return value


def strip_metadata(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def run_step(emulator, step: dict, saved: dict) -> list[str]:
    """One arranging (``given``) or read-back (``then``) step, with the test's own unlogged clients."""
    unknown = set(step) - STEP_KEYS
    assert not unknown, f"unknown step keys {sorted(unknown)}"
    args = substitute(step.get("args") or {}, saved)
    if "emulator" in step:
        result = getattr(emulator, step["emulator"])(**args)
        response = {"result": result}
    else:
        service, method = step["call"].split(".", 1)
        client = emulator.client(service, step.get("account"), region=step.get("region"))
        if "error" in step:
            try:
                getattr(client, method)(**args)
            except ClientError as error:
                code = error.response["Error"]["Code"]
                return [] if code == step["error"] else [f"then {step['call']}: error {code}, expected {step['error']}"]
            return [f"then {step['call']}: answered, expected error {step['error']}"]
        response = strip_metadata(getattr(client, method)(**args))
    for name, path in (step.get("save") or {}).items():
        found = resolve(response, path)
        assert found, f"{step.get('call') or step['emulator']}: nothing at {path} to save as {name}"
        saved[name] = found[0]
    problems = value_problems(response, substitute(step.get("values"), saved), None)
    for path, expected in substitute(step.get("contains") or {}, saved).items():
        found = resolve(response, path)
        problems += [f"{path}: {item!r} not among {found!r}" for item in expected if item not in found]
    return [f"then {step.get('call') or step['emulator']}: {p}" for p in problems]


class RawCapture:
    """The HTTP status and body of each call a client makes (botocore's parser drops unknown elements)."""

    def __init__(self, client):
        self.client = client
        self.calls: list[tuple[int, str]] = []

    def __enter__(self):
        self.client.meta.events.register("after-call", self._record, unique_id="honesty-raw")
        return self

    def __exit__(self, *exc):
        self.client.meta.events.unregister("after-call", unique_id="honesty-raw")

    def _record(self, http_response, **kwargs):
        self.calls.append((http_response.status_code, http_response.content.decode("utf-8", "replace")))


def pagination_problems(client, service: str, action: str, request: dict, spec: dict) -> list[str]:
    """Page through with one item per page and check the documented truncation fields on every page."""
    config = _session().get_paginator_model(service).get_paginator(action)
    limit_key, input_token = config["limit_key"], config["input_token"]
    output_token, result_key = config["output_token"], spec.get("result_key") or config["result_key"]
    more_key = config.get("more_results")
    method = getattr(client, xform_name(action))
    items, pages, token, problems = [], 0, None, []
    while True:
        page = method(**request, **{limit_key: 1}, **({input_token: token} if token else {}))
        pages += 1
        batch = page.get(result_key)
        if not isinstance(batch, list) or len(batch) > 1:
            problems.append(f"page {pages}: {result_key} is not a list of at most 1 item")
            break
        items.extend(batch)
        token = page.get(output_token)
        if more_key and bool(page.get(more_key)) != bool(token):
            problems.append(
                f"page {pages}: {more_key}={page.get(more_key)!r} but {output_token} {'present' if token else 'absent'}"
            )
        if not token or pages > spec["total"] + 1:
            break
    if len(items) != spec["total"] or pages < spec["total"]:
        problems.append(f"{len(items)} items in {pages} pages of 1, expected {spec['total']}")
    if len({json.dumps(item, default=str, sort_keys=True) for item in items}) != len(items):
        problems.append("an item was served on two pages")
    return problems


def replay(emulator, spec: dict, case: dict) -> list[str]:
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"unknown case keys {sorted(unknown)}"
    service, action = spec["service"], spec["action"]
    saved = dict(generated_material())
    try:
        problems = [p for step in case.get("given") or [] for p in run_step(emulator, step, saved)]
    except (ClientError, BotoCoreError, ResponseParserError) as error:
        if case.get("xfail_in_given"):
            raise EmulatorDisagrees(f"the emulator cannot build the documented state: {error}") from error
        raise
    assert not problems, f"arranging failed: {problems}"
    client = emulator.client(service, case.get("account"), logged=True, region=case.get("region"))
    request = substitute(case.get("request") or {}, saved)
    method = getattr(client, xform_name(action))
    operation = service_model(service).operation_model(action)
    with RawCapture(client) as raw:
        if "error" in case:
            expected = case["error"]
            try:
                method(**request)
                error = None
            except ClientError as caught:
                error = caught.response
            if error is None:
                problems.append(f"answered, documented error {expected['code']}")
            elif error["Error"]["Code"] != expected["code"]:
                problems.append(f"error code {error['Error']['Code']}, documented {expected['code']}")
            elif error["ResponseMetadata"]["HTTPStatusCode"] != expected["status"]:
                problems.append(f"HTTP {error['ResponseMetadata']['HTTPStatusCode']}, documented {expected['status']}")
        else:
            response = strip_metadata(method(**request))
            if operation.output_shape is not None:
                excepted = case.get("model_exceptions") or {}
                problems += [
                    p for p in shape_problems(operation.output_shape, response) if _model_path(p) not in excepted
                ]
            problems += field_problems(response, case.get("response") or {})
            problems += value_problems(response, substitute(case.get("values"), saved), case.get("patterns"))
            problems += within_problems(response, case.get("within_seconds"))
            problems += [
                f"{path}: documented as absent here, present"
                for path in case.get("absent") or []
                if resolve(response, path)
            ]
            if case.get("csv"):
                problems += csv_problems(response, case["csv"])
        for pattern in case.get("raw_patterns") or []:
            if not any(re.search(pattern, body) for _status, body in raw.calls):
                problems.append(f"wire body does not match {pattern}")
    if case.get("paginate"):
        problems += pagination_problems(client, service, action, request, case["paginate"])
    for step in case.get("then") or []:
        problems += run_step(emulator, step, saved)
    return problems


# ----- tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "case"), list(_case_params()))
def test_emulator_answers_as_documented(emulator, spec, case):
    problems = replay(emulator, spec, case)
    if problems:
        raise EmulatorDisagrees(f"{spec['action']} ({spec['source']['url']}):\n  " + "\n  ".join(problems))


def test_every_action_the_collection_calls_has_a_case():
    called = collection_actions()
    # A scan that finds nothing is broken, not clean.
    assert {"iam:GetAccountSummary", "sts:AssumeRole", "organizations:ListAccountsForParent"} <= set(called)
    missing = {action: sorted(called[action]) for action in sorted(set(called) - covered_actions())}
    assert not missing, (
        "actions the collection calls without an honesty case in tests/emulator/honesty/ "
        f"(add <service>/<Action>.yml): {json.dumps(missing, indent=1)}"
    )


def test_every_case_file_is_complete_and_names_a_real_action():
    assert SPECS, "no honesty cases found"
    for path, spec in SPECS:
        where = path.relative_to(HONESTY_DIR)
        assert where.parts[0] == spec["service"] and where.stem == spec["action"], where
        assert spec["action"] in service_model(spec["service"]).operation_names, where
        assert spec["source"]["url"].startswith("https://docs.aws.amazon.com/"), where
        assert spec["source"]["title"] and spec["source"]["example"], where
        assert spec["cases"], where
        names = [case["name"] for case in spec["cases"]]
        assert len(names) == len(set(names)), f"{where}: duplicate case names"
        for case in spec["cases"]:
            error = case.get("error")
            # An error code the model does not know for the action is a typo, or must say it is a common one.
            if error and not error.get("common"):
                assert error["code"] in modeled_error_codes(spec["service"], spec["action"]), (where, case["name"])


SCANNER_SAMPLE = """
def summary(client):
    return client.get_account_summary(aws_retry=True)["SummaryMap"]

def users(iam):
    return iam.get_paginator("list_users").paginate().build_full_result()

def roots(client):
    return paginate(client.list_roots, "Roots")

def details(client):
    return paginated_query_with_retries(client, "get_account_authorization_details", Filter=["User"])

def policies(org_client, iam):
    org_client.create_policy(Name="x")
    iam.create_policy(PolicyName="y")
    self.get_option("not_an_action")
    return {"op": "create_user"}
"""


def test_scanner_finds_calls_in_every_form_and_in_subpackages(tmp_path):
    gateway = tmp_path / "plugins" / "module_utils" / "gateways"
    gateway.mkdir(parents=True)
    (gateway / "__init__.py").write_text("")
    (gateway / "iam.py").write_text(SCANNER_SAMPLE)
    (tmp_path / "plugins" / "module_utils" / "_root.py").write_text(
        "def r(sts):\n    sts.assume_root(TaskPolicyArn={})\n"
    )
    found = collection_actions(tmp_path / "plugins")
    assert set(found) == {
        "iam:GetAccountSummary",
        "iam:ListUsers",
        "organizations:ListRoots",
        "iam:GetAccountAuthorizationDetails",
        "organizations:CreatePolicy",
        "iam:CreatePolicy",
        "sts:AssumeRoot",
    }
    assert found["iam:GetAccountSummary"] == {"plugins/module_utils/gateways/iam.py:3"}


def test_model_check_reports_missing_members_wrong_types_and_unknown_enums():
    output = service_model("iam").operation_model("ListAccessKeys").output_shape
    good = {"AccessKeyMetadata": [{"UserName": "Bob", "AccessKeyId": "AKIA" + "A" * 16, "Status": "Active"}]}
    assert shape_problems(output, good) == []
    assert shape_problems(output, {}) == ["AccessKeyMetadata: required member missing"]
    bad = {"AccessKeyMetadata": [{"UserName": "Bob", "AccessKeyId": "AKIA", "Status": "Enabled", "CreateDate": "x"}]}
    assert shape_problems(output, bad) == [
        "AccessKeyMetadata[0].AccessKeyId: length 4 outside the model's 16..128",
        "AccessKeyMetadata[0].Status: not one of the model's 3 enum values",
        "AccessKeyMetadata[0].CreateDate: timestamp expected, got str",
    ]
    assert field_problems({"IsTruncated": "false"}, {"IsTruncated": "boolean", "Marker": "string"}) == [
        "IsTruncated: documented as boolean, got str",
        "Marker: documented, missing",
    ]
