/** The one error type clients see, and the one developers see for mistakes in host code. */

/**
 * An error with a Parse error code. Thrown anywhere in the request pipeline (including hooks), it
 * reaches the client as `{ code, error }` with the matching HTTP status.
 *
 * @example
 * ```ts
 * throw new BackendError(ErrorCode.VALIDATION_ERROR, 'total cannot be negative');
 * ```
 */
export class BackendError extends Error {
  /** Parse's numeric error code (see {@link ErrorCode}). */
  readonly code: number;
  /** The HTTP status when it is not the code's usual one (429 for a rate limit). */
  readonly status: number | undefined;

  constructor(code: number, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'BackendError';
    this.code = code;
    this.status = options?.status;
  }

  /** The REST body Parse clients expect. */
  toJSON(): { code: number; error: string } {
    return { code: this.code, error: this.message };
  }
}

/**
 * A mistake in host code — a bad config, a bad hook registration — thrown at once so that it is
 * found at startup, never sent to a client.
 */
export class BackendConfigError extends Error {
  /** Each problem found, as `key: what was expected`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid Plinth configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'BackendConfigError';
    this.problems = problems;
  }
}

/**
 * A refusal that Parse Server sends without a Parse code: `403 {"error": "unauthorized"}` for bad
 * keys, `403 {"error": "unauthorized: master key is required"}` for master-only routes.
 */
export class AccessDeniedError extends Error {
  readonly status: number;

  constructor(message = 'unauthorized', status = 403) {
    super(message);
    this.name = 'AccessDeniedError';
    this.status = status;
  }
}
