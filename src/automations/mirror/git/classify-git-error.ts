/**
 * Turns a failed git run into a SyncFailure: which side failed (GitHub or the target), whether
 * retrying can help, and a message that says what to fix.
 */
import { FAILURE_CODES, SyncFailure } from '../errors.js';
import { GitCommandFailed } from '../../../git/index.js';

const AUTH = [/authentication failed/i, /returned error: 401/i, /could not read (username|password)/i, /HTTP Basic: Access denied/i, /invalid credentials/i, /terminal prompts disabled/i];
const FORBIDDEN = [/returned error: 403/i, /permission to .* denied/i, /do not have permission/i, /not allowed to push/i];
const NOT_FOUND = [/returned error: 404/i, /repository .* not found/i, /not found/i, /does not appear to be a git repository/i];
const REJECTED = [/pre-receive hook declined/i, /protected branch/i, /\[remote rejected\]/i, /denying non-fast-forward/i, /deny(Deletes|NonFastForwards)/i];
const STALE = [/stale info/i, /fetch first/i, /failed to update ref/i, /cannot lock ref/i];
const NETWORK = [
  /could not resolve host/i,
  /failed to connect/i,
  /connection refused/i,
  /connection reset/i,
  /connection timed out/i,
  /operation timed out/i,
  /operation too slow/i,
  /timed out/i,
  /returned error: 5\d\d/i,
  /returned error: 429/i,
  /early EOF/i,
  /RPC failed/i,
  /remote end hung up/i,
  /unexpected disconnect/i,
  /transfer closed/i,
  /Empty reply from server/i,
];
const CERTIFICATE = [/SSL certificate problem/i, /certificate verify failed/i, /server certificate verification failed/i];

const any = (patterns: RegExp[], text: string) => patterns.some((p) => p.test(text));

/**
 * Classifies a git failure on one side. `who` names the credential in messages, e.g.
 * "the GitHub App's installation token" or "the token of mirror target onedev".
 */
export function classifyGitError(err: unknown, side: 'source' | 'target', who: { place: string; credential: string }): SyncFailure {
  if (err instanceof SyncFailure) return err;
  if (!(err instanceof GitCommandFailed)) {
    const msg = err instanceof Error ? err.message : String(err);
    return new SyncFailure(FAILURE_CODES.git, 'transient', `git could not run: ${msg}`, { cause: err });
  }
  const text = `${err.stderr}\n${err.stdout}`;
  const detail = err.message.replace(/^git \S+ failed( \(exit \d+\))?: /, '');
  const src = side === 'source';
  if (err.canceled) return new SyncFailure(FAILURE_CODES.timeout, 'transient', `git ${err.command} was stopped (timeout or shutdown) while talking to ${who.place}`, { cause: err });
  if (any(AUTH, text)) {
    return new SyncFailure(src ? FAILURE_CODES.sourceAuth : FAILURE_CODES.targetAuth, 'auth', `${who.place} refused the credentials (${detail}): check ${who.credential}`, { cause: err });
  }
  if (any(FORBIDDEN, text)) {
    return new SyncFailure(
      src ? FAILURE_CODES.sourceForbidden : FAILURE_CODES.targetForbidden,
      'permission',
      `${who.place} denied access (${detail}): ${who.credential} lacks the permission to ${src ? 'read the repository' : 'push to it'}`,
      { cause: err },
    );
  }
  if (!src && any(STALE, text)) {
    return new SyncFailure(FAILURE_CODES.targetConflict, 'transient', `the target changed while Switchyard pushed (${detail}); it will try again`, { cause: err });
  }
  if (!src && any(REJECTED, text)) {
    return new SyncFailure(FAILURE_CODES.targetRejected, 'permission', `${who.place} rejected the push (${detail}): allow ${who.credential} to force-push and delete branches, or lift the branch protection`, { cause: err });
  }
  if (any(CERTIFICATE, text)) {
    return new SyncFailure(src ? FAILURE_CODES.sourceUnreachable : FAILURE_CODES.targetInvalid, 'config', `${who.place} presented a certificate git does not trust (${detail}): install its CA (GIT_SSL_CAINFO / http.sslCAInfo)`, { cause: err });
  }
  if (any(NETWORK, text)) {
    return new SyncFailure(src ? FAILURE_CODES.sourceUnreachable : FAILURE_CODES.targetUnreachable, 'transient', `${who.place} could not be reached (${detail})`, { cause: err });
  }
  if (any(NOT_FOUND, text)) {
    return src
      ? new SyncFailure(FAILURE_CODES.sourceNotFound, 'permission', `${who.place} says the repository does not exist (${detail}): was it deleted, or is it no longer in the installation?`, { cause: err })
      : new SyncFailure(FAILURE_CODES.targetInvalid, 'transient', `the repository is missing on ${who.place} (${detail}); Switchyard will create it again`, { cause: err });
  }
  return new SyncFailure(FAILURE_CODES.git, 'transient', `git ${err.command} failed against ${who.place}: ${detail}`, { cause: err });
}
