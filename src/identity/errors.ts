/** The identity slice's errors: each has a stable code and an HTTP status (see src/http/app-error.ts). */
import { AppError } from '../http/app-error.js';

export class InvalidCredentials extends AppError {
  constructor() {
    super('INVALID_CREDENTIALS', 401, 'Unknown username or wrong password');
  }
}

export class TwoFactorRequired extends AppError {
  constructor() {
    super('TWO_FACTOR_REQUIRED', 401, 'This account has two-factor authentication: send totp_code (or a recovery_code)');
  }
}

export class TwoFactorInvalid extends AppError {
  constructor() {
    super('TWO_FACTOR_INVALID', 401, 'The two-factor code is wrong, expired or already used');
  }
}

export class TwoFactorLocked extends AppError {
  constructor(retryAfterSeconds: number) {
    super('TWO_FACTOR_LOCKED', 429, `Too many wrong two-factor codes: try again in ${Math.ceil(retryAfterSeconds / 60)} minutes`, { headers: { 'retry-after': String(Math.ceil(retryAfterSeconds)) } });
  }
}

export class RateLimited extends AppError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', 429, `Too many attempts: try again in ${retryAfterSeconds} seconds`, { headers: { 'retry-after': String(Math.ceil(retryAfterSeconds)) } });
  }
}

export class Unauthenticated extends AppError {
  constructor(message = 'Sign in first, or send a bearer token (Authorization: Bearer <token>)') {
    super('UNAUTHORIZED', 401, message);
  }
}

export class Forbidden extends AppError {
  constructor(message = 'Only an administrator may do this') {
    super('FORBIDDEN', 403, message);
  }
}

export class CsrfRejected extends AppError {
  constructor() {
    super('CSRF_REJECTED', 403, 'A cookie-authenticated change needs the X-CSRF-Token header (from GET /api/me or the sy_csrf cookie)');
  }
}

export class Conflict extends AppError {
  constructor(code: string, message: string) {
    super(code, 409, message);
  }
}

export { BadRequest, NotFound } from '../http/app-error.js';

/** Every wrong setup code gets this same answer (status and body), whatever was wrong with it. */
export class SetupCodeInvalid extends AppError {
  constructor() {
    super('SETUP_CODE_INVALID', 403, 'This is not the setup code. It is printed in the server’s log at start (and by `switchyard doctor` on the server’s shell).');
  }
}

export class SetupCodeRequired extends AppError {
  constructor() {
    super('SETUP_CODE_REQUIRED', 403, 'This server has no administrator yet: enter the setup code first (it is printed in the server’s log at start, and by `switchyard doctor`).');
  }
}

export class SetupDone extends AppError {
  constructor() {
    super('SETUP_DONE', 409, 'This server already has an administrator: sign in instead.');
  }
}
