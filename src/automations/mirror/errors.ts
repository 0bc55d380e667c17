/**
 * The mirror slice's errors: API errors (AppError subclasses the HTTP layer turns into responses)
 * and sync failures, which carry what the sync status needs — a stable code, whether retrying can
 * help, and which side (GitHub or the target) has to be fixed.
 *
 * Glossary:
 * - transient: network errors, timeouts, 5xx, a target that moved under us — retried with backoff;
 * - auth / permission: a credential was refused — never retried on its own; the message names the
 *   credential to fix, and a retry (API, CLI) or a changed target resets it;
 * - config: something only an administrator can fix (an invalid name, a refused address).
 */
import { AppError } from '../../http/app-error.js';

export class MirrorTargetNotFound extends AppError {
  constructor(what: string) {
    super('MIRROR_TARGET_NOT_FOUND', 404, `Mirror target ${what} not found`);
  }
}

export class MirrorTargetNameTaken extends AppError {
  constructor(name: string) {
    super('MIRROR_TARGET_NAME_TAKEN', 409, `A mirror target named ${name} already exists`);
  }
}

export class MirrorRuleNotFound extends AppError {
  constructor(id: string) {
    super('MIRROR_RULE_NOT_FOUND', 404, `Mirror rule ${id} not found`);
  }
}

export class MirrorNotFound extends AppError {
  constructor(what: string) {
    super('MIRROR_NOT_FOUND', 404, `${what} is not mirrored`);
  }
}

export class MirrorInvalid extends AppError {
  constructor(message: string, code = 'MIRROR_INVALID') {
    super(code, 400, message);
  }
}

/** A target address that is not allowed (scheme, host, or an address it resolves to). */
export class MirrorUrlRefused extends AppError {
  constructor(message: string) {
    super('MIRROR_URL_REFUSED', 400, message);
  }
}

export type FailureKind = 'transient' | 'auth' | 'permission' | 'config';
export type FailureSide = 'source' | 'target' | 'local';

/** Stable codes stored in `repo_mirrors.error_code` and `sync_logs.error_code`. */
export const FAILURE_CODES = {
  sourceAuth: 'MIRROR_SOURCE_AUTH_FAILED',
  sourceForbidden: 'MIRROR_SOURCE_FORBIDDEN',
  sourceNotFound: 'MIRROR_SOURCE_NOT_FOUND',
  sourceUnreachable: 'MIRROR_SOURCE_UNREACHABLE',
  targetAuth: 'MIRROR_TARGET_AUTH_FAILED',
  targetForbidden: 'MIRROR_TARGET_FORBIDDEN',
  targetRejected: 'MIRROR_TARGET_REJECTED',
  targetUnreachable: 'MIRROR_TARGET_UNREACHABLE',
  targetInvalid: 'MIRROR_TARGET_INVALID',
  targetConflict: 'MIRROR_TARGET_CONFLICT',
  addressRefused: 'MIRROR_ADDRESS_REFUSED',
  pathTaken: 'MIRROR_TARGET_PATH_TAKEN',
  noInstallation: 'MIRROR_NO_INSTALLATION',
  timeout: 'MIRROR_TIMEOUT',
  leaseLost: 'MIRROR_LEASE_LOST',
  git: 'MIRROR_GIT_FAILED',
  internal: 'MIRROR_INTERNAL',
} as const;

export type FailureCode = (typeof FAILURE_CODES)[keyof typeof FAILURE_CODES];

/** A sync step failed; `message` is fit to show an administrator and holds no secret. */
export class SyncFailure extends Error {
  constructor(
    readonly code: FailureCode,
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SyncFailure';
  }

  /** True when trying again later can succeed without anyone changing anything. */
  get retryable(): boolean {
    return this.kind === 'transient';
  }
}
