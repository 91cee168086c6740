# Copyright: (c) 2026, accountguard.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run this collection's modules inside the Ansible worker process instead of as a new Python process.

Why: every target of this collection is an AWS account reached over the ``local`` connection, so a module
execution normally costs a new interpreter, AnsiballZ, and fresh imports of Ansible's module utilities,
boto3 and botocore: about 1 CPU second, against milliseconds of AWS calls (bench/RESULTS.md, scenario t).
The worker that runs a task is already a fork of the controller, on the same machine, with the same Python
and the same collections; running the module's ``main()`` there gives the same result for a fraction of
the cost.

How: nothing in the module changes. The arguments are serialised exactly as for a module process (the same
internal ``_ansible_*`` arguments and the same serialisation profile), the module reads them through
``AnsibleModule`` as usual, prints its result, and that output is parsed by the same
``ActionBase._parse_returned_data`` that parses a module process's output. Only the process boundary is
gone. ansible.netcommon does the same for network modules ("direct execution").

boto3 and botocore are imported, and the botocore models of IAM and STS parsed, when the controller loads
the action plugin, before it forks the worker that runs a task, so each task does not pay for that either.

When not: the module runs the usual way (``ActionBase._execute_module``) if the connection is not
``local``, the task uses ``async`` or ``become``, boto3/botocore cannot be imported on the controller, or the
host variable ``accountguard_direct_execution`` is false (the switch for users who want the module process,
for example to use an ``ansible_python_interpreter`` other than the controller's Python).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import json
import os
import sys
import traceback

from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

# Imported here, not in the module: the strategy loads the action plugin class in the controller's main
# process, so every worker forked after it starts with boto3 and botocore already imported (about 0.2 CPU s
# per task otherwise).
try:
    import boto3  # noqa: F401  pylint: disable=unused-import
    import botocore.session
except ImportError:
    HAS_AWS_LIBRARIES = False
else:
    HAS_AWS_LIBRARIES = True

# The services the collection's modules call. Their botocore models are parsed once, here, into one loader
# that the workers inherit: a client built from a fresh loader re-reads the JSON models (about 0.1 CPU s
# per client), one built from the warm loader costs about 0.01 s.
_SERVICES = ("iam", "sts")
_SHARED_LOADER = None


def _warm_loader():
    """A botocore data loader holding the models of _SERVICES, or None if they cannot be loaded."""
    loader = botocore.session.create_loader()
    session = botocore.session.Session()
    session.register_component("data_loader", loader)
    try:
        for service in _SERVICES:
            # no request is sent: building a client only reads the models
            session.create_client(
                service, region_name="us-east-1", aws_access_key_id="warm-up", aws_secret_access_key="warm-up"
            )
    except Exception:  # pylint: disable=broad-except
        return None
    return loader


if HAS_AWS_LIBRARIES:
    _SHARED_LOADER = _warm_loader()


@contextlib.contextmanager
def _shared_botocore_loader():
    """Let every botocore session created by the module use the warm loader, unless AWS_DATA_PATH is set."""
    if _SHARED_LOADER is None:
        yield
        return
    original = botocore.session.create_loader
    search_paths = list(_SHARED_LOADER.search_paths)

    def create_loader(search_path_string=None):
        return _SHARED_LOADER if search_path_string is None else original(search_path_string)

    botocore.session.create_loader = create_loader
    try:
        yield
    finally:
        botocore.session.create_loader = original
        # boto3 appends its own data directory to the loader of every session it creates
        _SHARED_LOADER.search_paths[:] = search_paths


display = Display()

SWITCH_VARIABLE = "accountguard_direct_execution"

# Modules without serialisation metadata use this profile in a module process (ansible-core module_common).
_PROFILE = "legacy"


def module_import_name(action_import_name: str) -> str | None:
    """The Python name of the module an action plugin of this collection stands for, or None.

    ``ansible_collections.accountguard.aws.plugins.action.iam_users`` -> ``...plugins.modules.iam_users``.
    """
    prefix, sep, name = action_import_name.rpartition(".plugins.action.")
    if not sep or not prefix.startswith("ansible_collections.") or not name:
        return None
    return f"{prefix}.plugins.modules.{name}"


def ineligibility(*, transport: str, async_val: int, become: bool, switch: bool, libraries_found: bool) -> str | None:
    """Why a task must run as a module process, or None when it can run in the worker."""
    if not switch:
        return f"{SWITCH_VARIABLE} is false"
    if transport != "local":
        return f"connection {transport!r} is not local"
    if async_val:
        return "the task is async"
    if become:
        return "the task uses become"
    if not libraries_found:
        return "boto3/botocore are not importable on the controller"
    return None


@contextlib.contextmanager
def _module_process_state(args_json: bytes):
    """Give the module what a module process gives it, and take back every global it may change.

    The worker may run several loop items, so module arguments, warnings, the environment, the working
    directory, stdout and stderr are restored after each run. What the module prints goes, as from a module
    process, to the two buffers yielded (stdout, stderr).
    """
    # pylint: disable=protected-access
    from ansible.module_utils import basic
    from ansible.module_utils.common import warnings as module_warnings

    saved_basic = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, getattr(basic, "_PARSED_MODULE_ARGS", None))
    saved_warnings = dict(module_warnings._global_warnings)
    saved_deprecations = dict(module_warnings._global_deprecations)
    saved_environ = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = (sys.stdout, sys.stderr)
    captured = (io.StringIO(), io.StringIO())
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = args_json, _PROFILE
    sys.stdout, sys.stderr = captured
    try:
        yield captured
    finally:
        sys.stdout, sys.stderr = saved_streams
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, parsed = saved_basic
        if hasattr(basic, "_PARSED_MODULE_ARGS"):
            basic._PARSED_MODULE_ARGS = parsed
        module_warnings._global_warnings.clear()
        module_warnings._global_warnings.update(saved_warnings)
        module_warnings._global_deprecations.clear()
        module_warnings._global_deprecations.update(saved_deprecations)
        os.environ.clear()
        os.environ.update(saved_environ)
        with contextlib.suppress(OSError):
            os.chdir(saved_cwd)


class DirectExecutionAction(ActionBase):
    """Action plugin base: run the module of the same name in the worker when that is safe."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no effect since ansible-core 2.5, as for every action plugin
        task_vars = task_vars or {}
        module_name = module_import_name(type(self).__module__)
        reason = self._ineligibility(task_vars) if module_name else "not an action plugin of a collection"
        if reason:
            display.vvv(f"accountguard direct execution: off ({reason}), running the module process")
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv(f"accountguard direct execution: running {module_name} in the worker process")
        return merge_hash(result, self._execute_directly(module_name, task_vars))

    def _ineligibility(self, task_vars) -> str | None:
        switch = boolean(self._templar.template(task_vars.get(SWITCH_VARIABLE, True)), strict=False)
        return ineligibility(
            transport=getattr(self._connection, "transport", ""),
            async_val=self._task.async_val,
            become=bool(self._play_context.become),
            switch=switch,
            libraries_found=HAS_AWS_LIBRARIES,
        )

    def _execute_directly(self, module_name: str, task_vars) -> dict:
        module_args = copy.deepcopy(self._task.args)
        self._update_module_args(self._task.resolved_action or self._task.action, module_args, task_vars)
        encoder = get_module_encoder(_PROFILE, Direction.CONTROLLER_TO_MODULE)
        args_json = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder).encode()
        environment = {}
        self._compute_environment_string(environment)  # the task's `environment:`, as a module process gets it

        with _module_process_state(args_json) as (stdout, stderr), _shared_botocore_loader():
            os.environ.update({key: str(value) for key, value in environment.items()})
            try:
                module = importlib.import_module(module_name)
                module.main()
            except SystemExit:
                pass  # exit_json / fail_json: the result is on stdout
            except Exception as exc:  # pylint: disable=broad-except
                # What a module process reports as MODULE FAILURE: keep the host failed with the cause.
                return {
                    "failed": True,
                    "msg": f"{module_name.rsplit('.', 1)[-1]} raised {type(exc).__name__}: {exc}",
                    "exception": traceback.format_exc(),
                }
            output, errors = stdout.getvalue(), stderr.getvalue()

        return self._result_of(output, errors)

    def _result_of(self, output: str, errors: str = "") -> dict:
        """The task result, parsed and cleaned as ActionBase._execute_module does for a module process."""
        res = {"rc": 0, "stdout": output, "stdout_lines": output.splitlines(), "stderr": errors}
        res["stderr_lines"] = errors.splitlines()
        parsed = self._parse_returned_data(res, _PROFILE)
        if hasattr(parsed, "as_result_dict"):  # ansible-core 2.21+: a task result object
            parsed.remove_internal_keys()
            return parsed.as_result_dict(for_round_trip=True)
        # ansible-core 2.19 and 2.20: a dict
        from ansible.vars.clean import remove_internal_keys  # pylint: disable=import-outside-toplevel

        parsed.pop("_ansible_suppress_tmpdir_delete", None)
        remove_internal_keys(parsed)
        return parsed
