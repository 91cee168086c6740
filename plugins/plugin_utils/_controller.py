# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The controller front end: an action plugin that runs a module's backend on the controller.

Every host of this collection is an AWS account on the ``local`` connection, so a module process (new
interpreter, AnsiballZ, imports of boto3 and botocore, botocore models parsed again: about 1 CPU second) buys
nothing. The action plugin of each module validates the task's arguments against the module's own argument
spec with ``ActionBase.validate_argument_spec`` (ansible-core's public helper for action plugins), builds the
account's clients with amazon.aws's connection resolution, runs the same backend as the module's ``main()``,
and shapes the result as a module process's (``invocation``, ``no_log`` values censored, warnings, the
failure of an AWS error with its code). boto3, botocore and the IAM/STS models are loaded once, when the
controller loads the plugin, before it forks the workers that run tasks.

The module process is used instead when the connection is not ``local``, the task is ``async`` or uses
``become``, boto3 cannot be imported on the controller, the host sets an ``ansible_python_interpreter`` other
than the controller's Python, or the option ``controller_execution`` is off (variable
``accountguard_controller_execution``, environment ``ACCOUNTGUARD_CONTROLLER_EXECUTION``, or ``ansible.cfg``
``[accountguard] controller_execution``).
"""

from __future__ import annotations

import configparser
import contextlib
import os
import sys
import traceback

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.amazon.aws.plugins.module_utils.botocore import gather_sdk_versions
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict

from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    Context,
    ControlFailure,
    ControlSpec,
    unexpected_failure_message,
)

# Imported when the controller loads the action plugin class, so every worker forked after it starts with
# boto3 and botocore imported and the models of the services we call parsed into one warm loader.
try:
    import boto3  # noqa: F401  pylint: disable=unused-import
    import botocore.session
except ImportError:
    HAS_AWS_LIBRARIES = False
else:
    HAS_AWS_LIBRARIES = True

# ansible-core 2.22 masks secrets by registering them (ansible.module_utils.secrets) and deprecates
# remove_values(); a module process there shows a no_log option's value as this placeholder.
try:
    from ansible.module_utils.secrets import mask_secrets, register_secrets
except ImportError:  # ansible-core 2.21 and earlier
    mask_secrets = register_secrets = None
REDACTED = "$REDACTED$"

display = Display()

OPTION_VARIABLE = "accountguard_controller_execution"
# The host variable of 0.2.0, still honoured: it meant the same switch.
LEGACY_VARIABLE = "accountguard_direct_execution"
OPTION_ENV = "ACCOUNTGUARD_CONTROLLER_EXECUTION"
OPTION_INI = ("accountguard", "controller_execution")
_SERVICES = ("iam", "sts", "organizations")


def _warm_loader():
    """A botocore data loader holding the models of _SERVICES (no request is sent), or None."""
    loader = botocore.session.create_loader()
    session = botocore.session.Session()
    session.register_component("data_loader", loader)
    try:
        for service in _SERVICES:
            session.create_client(
                service, region_name="us-east-1", aws_access_key_id="warm-up", aws_secret_access_key="warm-up"
            )
    except Exception:  # pylint: disable=broad-except
        return None
    return loader


SHARED_LOADER = _warm_loader() if HAS_AWS_LIBRARIES else None


def _ini_setting() -> str | None:
    path = C.CONFIG_FILE
    if not path:
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        return None
    return parser.get(*OPTION_INI, fallback=None)


def controller_execution_setting(task_vars: dict, templar=None) -> bool:
    """The option, by precedence: host/play variable, then environment, then ansible.cfg; default on.

    The variable ``accountguard_direct_execution`` of earlier releases still counts as the variable.
    """
    variable = next((name for name in (OPTION_VARIABLE, LEGACY_VARIABLE) if name in task_vars), None)
    if variable:
        value = task_vars[variable]
        if templar is not None:
            value = templar.template(value)
    elif OPTION_ENV in os.environ:
        value = os.environ[OPTION_ENV]
    else:
        value = _ini_setting()
    return True if value is None else boolean(value, strict=False)


def module_process_reason(
    *, setting: bool, transport: str, async_val: int, become: bool, interpreter: str | None, libraries: bool
) -> str | None:
    """Why a task must run as a module process, or None when it runs on the controller."""
    if not setting:
        return f"{OPTION_VARIABLE} is off"
    if transport != "local":
        return f"connection {transport!r} is not local"
    if async_val:
        return "the task is async"
    if become:
        return "the task uses become"
    if not libraries:
        return "boto3/botocore are not importable on the controller"
    if interpreter and os.path.realpath(interpreter) != os.path.realpath(sys.executable):
        return f"ansible_python_interpreter {interpreter} is not the controller's Python"
    return None


def no_log_values(argument_spec: dict, params: dict) -> set:
    """Values of every no_log option (and sub-option) that is set, to censor from the result."""
    values = set()
    for name, option in argument_spec.items():
        value = params.get(name)
        if value in (None, ""):
            continue
        if option.get("no_log"):
            values.add(to_native(value))
        sub = option.get("options")
        if sub:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    values |= no_log_values(sub, item)
    return values


def censor(result: dict, argument_spec: dict, secrets: set) -> dict:
    """The result as a module process would show it: no_log values censored, by the means of this ansible-core."""
    if register_secrets is None:
        return remove_values(result, secrets) if secrets else result
    if isinstance(result.get("invocation"), dict):
        result["invocation"] = {"module_args": _redact(argument_spec, result["invocation"]["module_args"])}
    if not secrets:
        return result
    register_secrets(secrets)
    return _masked(result)


def _redact(argument_spec: dict, params: dict) -> dict:
    """Every no_log option (and sub-option) replaced by the placeholder, by its place in the spec."""
    redacted = {}
    for name, value in params.items():
        option = argument_spec.get(name) or {}
        sub = option.get("options")
        if boolean(option.get("no_log") or False, strict=False):
            value = REDACTED
        elif sub and isinstance(value, dict):
            value = _redact(sub, value)
        elif sub and isinstance(value, list):
            value = [_redact(sub, item) if isinstance(item, dict) else item for item in value]
        redacted[name] = value
    return redacted


def _masked(value):
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {_masked(key): _masked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(item) for item in value]
    return value


def aws_failure(error: AnsibleAWSError) -> dict:
    """The failure a module process reports for an AWS error (amazon.aws's fail_json_aws_error)."""
    cause = error.exception
    if cause is None:
        return {"failed": True, "msg": error.message}
    failure = {"failed": True, "msg": f"{error.message}: {to_native(getattr(cause, 'message', cause))}"}
    failure["exception"] = "".join(traceback.format_exception(cause))
    failure.update(gather_sdk_versions())
    response = getattr(cause, "response", None)
    if response is not None:
        failure.update(camel_dict_to_snake_dict(response))
    return failure


@contextlib.contextmanager
def _task_environment(environment: dict):
    """The task's ``environment:`` as the backend's view of os.environ, as a module process gets it."""
    saved = dict(os.environ)
    os.environ.update({key: str(value) for key, value in environment.items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class ControllerAction(ActionBase):
    """Base of the collection's action plugins: subclasses set ``spec`` to their module's ControlSpec."""

    spec: ControlSpec
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no effect since ansible-core 2.5
        task_vars = task_vars or {}
        reason = module_process_reason(
            setting=controller_execution_setting(task_vars, self._templar),
            transport=getattr(self._connection, "transport", ""),
            async_val=self._task.async_val,
            become=bool(self._play_context.become),
            interpreter=self._interpreter(task_vars),
            libraries=HAS_AWS_LIBRARIES,
        )
        if reason:
            display.vvv(f"accountguard: running {self.spec.name} as a module process ({reason})")
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv(f"accountguard: running {self.spec.name} on the controller")
        environment = {}
        self._compute_environment_string(environment)
        with _task_environment(environment):
            result.update(self._run_backend(inject_invocation=self._inject_invocation(task_vars)))
        return result

    def _inject_invocation(self, task_vars: dict) -> bool:
        """Whether a module process's result would carry ``invocation``: always before ansible-core 2.21,
        since then only when its ``INJECT_INVOCATION`` setting asks, read as ansible-core's own copy action reads it."""
        if "INJECT_INVOCATION" not in C.config.get_configuration_definitions():
            return True
        value = C.config.get_config_value("INJECT_INVOCATION", variables=task_vars, templar=self._templar)
        return boolean(value, strict=False)

    def _interpreter(self, task_vars: dict) -> str | None:
        value = task_vars.get("ansible_python_interpreter")
        if value is None:
            return None
        value = self._templar.template(value)
        # "auto" and friends mean discovery: the controller's Python is as good an answer as any.
        return None if str(value).startswith("auto") else str(value)

    def _run_backend(self, *, inject_invocation: bool) -> dict:
        spec = self.spec.full_argument_spec(aws_argument_spec())
        try:
            _validation, params = self.validate_argument_spec(
                argument_spec=spec,
                mutually_exclusive=self.spec.mutually_exclusive,
                required_together=self.spec.required_together,
                required_if=self.spec.required_if,
            )
        except AnsibleActionFail as failure:
            # ActionBase names the plugin by its Python path; a module process names the module.
            message = failure.message.replace(f"({self._load_name})", f"({self._task.resolved_action})", 1)
            return {"failed": True, "msg": message}
        params = {name: params.get(name) for name in spec}
        censored = no_log_values(spec, params)
        ctx = Context(
            params,
            check_mode=bool(self._task.check_mode),
            diff_mode=bool(self._task.diff),
            connect=lambda: self._clients(params),
        )
        try:
            result = self.spec.run(ctx)
        except ControlFailure as failure:
            result = {**failure.result, "failed": True, "msg": failure.msg}
        except AnsibleAWSError as error:
            result = aws_failure(error)
        except Exception as error:  # pylint: disable=broad-except
            # What a module process reports as MODULE FAILURE: the host fails with the cause.
            result = {
                "failed": True,
                "msg": unexpected_failure_message(self.spec, error),
                "exception": traceback.format_exc(),
            }
        if ctx.warnings:
            result["warnings"] = list(ctx.warnings)
        result.setdefault("changed", False)
        if inject_invocation:
            result["invocation"] = {"module_args": params}
        return censor(result, spec, censored)

    @staticmethod
    def _clients(params: dict):
        # amazon.aws's own resolution of its connection options, through its plugin_utils helper
        from ansible_collections.amazon.aws.plugins.plugin_utils.botocore import get_aws_connection_info

        from ansible_collections.accountguard.aws.plugins.module_utils._connection import connect

        region, endpoint_url, boto_params = get_aws_connection_info(_Options(params))
        return connect(region, endpoint_url, boto_params, params, loader=SHARED_LOADER)


class _Options:
    """What amazon.aws's plugin_utils connection helper asks of a plugin: its options, and how to fail."""

    ansible_name = "accountguard.aws"

    def __init__(self, params: dict):
        self._params = params

    def get_options(self):
        return self._params

    def fail_aws(self, message, exception=None):
        raise ControlFailure(message if exception is None else f"{message}: {to_native(exception)}")
