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
