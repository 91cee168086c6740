# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The connection options every accountguard.aws module adds to amazon.aws's: an assumed role whose
# credentials botocore fetches and renews, and bounded timeouts.


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  assume_role_arn:
    description:
      - ARN of a role to assume in the target account. botocore assumes it with the credentials the other
        connection options lead to, caches the session credentials in O(credential_cache_dir) and renews them
        before they expire, so every task of a run shares one C(sts:AssumeRole) per account and no task
        variable holds the session credentials.
      - Unset uses the credentials the other options lead to directly.
    type: str
  assume_role_session_name:
    description: Session name of the assumed role (shows in CloudTrail).
    type: str
    default: accountguard
  assume_role_duration_seconds:
    description: Lifetime of the assumed-role session, from V(900) to V(43200) seconds.
    type: int
    default: 3600
  assume_role_external_id:
    description: External ID the role's trust policy requires, if any.
    type: str
  credential_cache_dir:
    description:
      - Folder of the file cache of assumed-role credentials (created private, mode 0700; one sub-folder per
        endpoint). The environment variable E(ACCOUNTGUARD_CREDENTIAL_CACHE_DIR) sets it too.
      - Unset uses C(~/.ansible/accountguard/sts-cache).
    type: path
  connect_timeout:
    description:
      - Seconds to wait for a connection to an AWS endpoint before the attempt fails (botocore retries it),
        from V(1) to V(900).
    type: int
    default: 10
  read_timeout:
    description:
      - Seconds to wait for an answer on an open connection before the attempt fails (botocore retries it),
        from V(1) to V(900). With the collection's 6 attempts an endpoint that never answers fails a call after
        about 6 x (O(connect_timeout) or O(read_timeout)) plus 31 seconds of backoff.
    type: int
    default: 20
"""
