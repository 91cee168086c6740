# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The option through which a module takes the account sources the account session already read.


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  account_sources:
    description:
      - The account's shared sources as M(accountguard.aws.account_session) returned them
        (its RV(accountguard.aws.account_session#module:sources) return, read once per run).
        The module reads none of the sources given here again; a source missing from the dictionary is read
        by the module itself.
      - Unset reads every source the module needs.
    type: dict
"""
