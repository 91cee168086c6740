# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The contract between a control's backend and its two front ends.

A backend is a function ``run(ctx: Context) -> dict``: it reads ``ctx.params`` (already validated against
the module's argument spec), talks to AWS only through ``ctx.client(service)`` and the gateways, honours
``ctx.check_mode`` and ``ctx.diff_mode``, and returns the task result (``changed`` included). It fails by
raising :class:`ControlFailure` (a message plus result fields) or an amazon.aws ``AnsibleAWSError`` (raised by
the gateways' error handlers, carrying the botocore exception).

Two front ends run the same :class:`ControlSpec`:

- :func:`run_module`, the module's ``main()`` (a module process: any connection, any interpreter);
- ``plugin_utils/_controller.py``, the action plugin of the same name, which runs the backend on the
  controller for local-connection hosts (no module process, no AnsiballZ, boto3 imported once).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.common.warnings import warn as _core_warn
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.accountguard.aws.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC,
    connection_errors,
)

# A failed task's message stays readable with a thousand non-compliant users; the findings hold them all.
MAX_FAILURES_IN_MSG = 10


class ControlFailure(Exception):
    """The one error a backend raises itself: the task fails with ``msg`` and the given result fields."""

    def __init__(self, msg: str, **result: Any):
        super().__init__(msg)
        self.msg = msg
        self.result = result


@dataclass(frozen=True)
class ControlSpec:
    """What both front ends need to run one module: its options and its backend."""

    name: str
    argument_spec: dict
    run: Callable[[Context], dict]
    mutually_exclusive: list = field(default_factory=list)
    required_together: list = field(default_factory=list)
    required_if: list = field(default_factory=list)
    # Modules that never talk to AWS (none yet) would set this to False to drop the connection options.
    aws: bool = True

    def full_argument_spec(self, aws_spec: dict) -> dict:
        """The complete spec: amazon.aws's connection options, the collection's, then the module's own."""
        if not self.aws:
            return dict(self.argument_spec)
        return {**aws_spec, **CONNECTION_ARGUMENT_SPEC, **self.argument_spec}


class Context:
    """One task's run of a backend: parameters, modes, clients and warnings."""

    def __init__(self, params: dict, *, check_mode: bool, diff_mode: bool, connect: Callable[[], Callable]):
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings: list[str] = []
        self._connect = connect
        self._clients = None

    def client(self, service: str, region: str | None = None):
        """A client of ``service`` in this task's account (in ``region`` when given, else the task's region);
        every call on it may pass ``aws_retry=True``."""
        if self._clients is None:
            errors = connection_errors(self.params)
            if errors:
                raise ControlFailure("; ".join(errors))
            self._clients = self._connect()
        return self._clients(service) if region is None else self._clients(service, region)

    def region(self) -> str | None:
        """The task's region (the connection options', else botocore's default chain)."""
        self.client("sts")  # opens the task's connection (and checks its options) once
        return getattr(self._clients, "region", None)

    def session_client(self, service: str, credentials: dict):
        """A client of ``service`` signed with short-term credentials an STS answer returned (``sts:AssumeRoot``),
        on this task's endpoint and settings."""
        self.client("sts")  # opens the task's connection (and checks its options) once
        return self._clients.with_credentials(credentials)(service)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


# --- result helpers shared by backends -----------------------------------------------------------------


def enforced_result(ctx: Context, *, changed: bool, before, after, **result) -> dict:
    """The result of an enforcing backend: ``diff`` only under --diff, so a plain run stays quiet."""
    if ctx.diff_mode:
        result["diff"] = {"before": before, "after": after}
    result["changed"] = changed
    return result


def checked_result(ctx: Context, *, compliant: bool, **result) -> dict:
    """The result of a checking backend: non-compliance is data unless fail_on_noncompliance asks to fail."""
    result["compliant"] = compliant
    result["changed"] = False
    if not compliant and ctx.params.get("fail_on_noncompliance"):
        failing = [f["message"] for f in result.get("findings", []) if f.get("status") == "fail"]
        shown = failing[:MAX_FAILURES_IN_MSG] or ["see findings"]
        if len(failing) > MAX_FAILURES_IN_MSG:
            shown.append(f"and {len(failing) - MAX_FAILURES_IN_MSG} more (see findings)")
        raise ControlFailure("Not compliant: " + "; ".join(shown), **result)
    return result


def fail_on_errors(errors: list[str]) -> None:
    """Input validation a spec cannot express: fail before any API call."""
    if errors:
        raise ControlFailure("; ".join(errors))


# --- the module front end ------------------------------------------------------------------------------


def run_module(spec: ControlSpec) -> None:
    """The ``main()`` of every module of the collection."""
    # Imported here: the controller front end imports this file without needing the module machinery.
    from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    from ansible_collections.accountguard.aws.plugins.module_utils._connection import connect

    module = AnsibleAWSModule(
        argument_spec={**CONNECTION_ARGUMENT_SPEC, **spec.argument_spec},
        supports_check_mode=True,
        mutually_exclusive=spec.mutually_exclusive,
        required_together=spec.required_together,
        required_if=spec.required_if,
    )

    def open_clients():
        region, endpoint_url, boto_params = get_aws_connection_info(module)
        return connect(region, endpoint_url, boto_params, module.params)

    ctx = Context(module.params, check_mode=module.check_mode, diff_mode=module._diff, connect=open_clients)
    try:
        result = spec.run(ctx)
    except ControlFailure as failure:
        _emit_warnings(ctx)
        module.fail_json(msg=failure.msg, **failure.result)
    except AnsibleAWSError as error:
        _emit_warnings(ctx)
        module.fail_json_aws_error(error)
    except Exception as error:  # pylint: disable=broad-except
        # The same failure the controller front end reports for a bug, instead of a bare MODULE FAILURE.
        _emit_warnings(ctx)
        module.fail_json(msg=unexpected_failure_message(spec, error), exception=traceback.format_exc())
    _emit_warnings(ctx)
    module.exit_json(**result)


def unexpected_failure_message(spec: ControlSpec, error: BaseException) -> str:
    """The message of a failure no backend expected (a bug), the same from both front ends."""
    return f"{spec.name} raised {type(error).__name__}: {error}"


def _emit_warnings(ctx: Context) -> None:
    # The core registry, not module.warn(): amazon.aws 10 re-passes `warnings` to exit_json, which
    # ansible-core 2.19 reports as a deprecation on every run.
    for message in ctx.warnings:
        _core_warn(message)
