/**
 * The one error type the HTTP layer turns into a response: a stable `code`, an HTTP `status`
 * and a message fit to show a user.
 *
 * @example
 * throw new AppError('EVENT_NOT_FOUND', 404, `No event with delivery id ${id}`);
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.headers = options?.headers;
  }

  /** Response headers that go with the error (e.g. Retry-After). */
  readonly headers: Record<string, string> | undefined;
}

export class NotFound extends AppError {
  constructor(what: string) {
    super('NOT_FOUND', 404, `${what} not found`);
  }
}

export class BadRequest extends AppError {
  constructor(message: string, code = 'BAD_REQUEST') {
    super(code, 400, message);
  }
}
