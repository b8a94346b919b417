/**
 * Parse's numeric error codes, as the Parse SDKs know them (Parse.Error). Every code Plinth sends is
 * listed here and in docs/errors.md; a test keeps the two in sync.
 */
export const ErrorCode = {
  OTHER_CAUSE: -1,
  INTERNAL_SERVER_ERROR: 1,
  CONNECTION_FAILED: 100,
  OBJECT_NOT_FOUND: 101,
  INVALID_QUERY: 102,
  INVALID_CLASS_NAME: 103,
  MISSING_OBJECT_ID: 104,
  INVALID_KEY_NAME: 105,
  INVALID_POINTER: 106,
  INVALID_JSON: 107,
  COMMAND_UNAVAILABLE: 108,
  NOT_INITIALIZED: 109,
  INCORRECT_TYPE: 111,
  /** A feature's adapter is missing or cannot do what was asked (parse-server's name for it). */
  PUSH_MISCONFIGURED: 115,
  OBJECT_TOO_LARGE: 116,
  OPERATION_FORBIDDEN: 119,
  INVALID_NESTED_KEY: 121,
  INVALID_FILE_NAME: 122,
  INVALID_ACL: 123,
  INVALID_EMAIL_ADDRESS: 125,
  TIMEOUT: 124,
  FILE_TOO_LARGE: 129,
  FILE_SAVE_ERROR: 130,
  /** A device token several installations hold, registered without an installationId. */
  DEVICE_TOKEN_AMBIGUOUS: 132,
  MISSING_REQUIRED_FIELD: 135,
  CHANGED_IMMUTABLE_FIELD: 136,
  DUPLICATE_VALUE: 137,
  INVALID_ROLE_NAME: 139,
  SCRIPT_FAILED: 141,
  VALIDATION_ERROR: 142,
  /** A webhook registration (`/hooks`) that is malformed, taken or missing. */
  WEBHOOK_ERROR: 143,
  USERNAME_MISSING: 200,
  PASSWORD_MISSING: 201,
  USERNAME_TAKEN: 202,
  EMAIL_TAKEN: 203,
  EMAIL_MISSING: 204,
  EMAIL_NOT_FOUND: 205,
  SESSION_MISSING: 206,
  ACCOUNT_ALREADY_LINKED: 208,
  INVALID_SESSION_TOKEN: 209,
  LINKED_ID_MISSING: 250,
  UNSUPPORTED_SERVICE: 252,
  FILE_DELETE_ERROR: 153,
  /** Too many requests or subscriptions from one client. */
  REQUEST_LIMIT_EXCEEDED: 155,
  /** A request carrying an `X-Parse-Request-Id` already seen (`idempotencyOptions`). */
  DUPLICATE_REQUEST: 159,
  INVALID_VALUE: 162,
  INVALID_SCHEMA_OPERATION: 255,
} as const;

/** One of Parse's error codes. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The HTTP status Parse Server answers with for a code: 404 for "not found", 500 for an internal
 * error, 503 when the database cannot be reached (so SDKs retry), 400 for everything else.
 */
export function httpStatusFor(code: number): number {
  switch (code) {
    case ErrorCode.OBJECT_NOT_FOUND:
      return 404;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
    case ErrorCode.CONNECTION_FAILED:
      return 503;
    case ErrorCode.FILE_TOO_LARGE:
      return 413;
    default:
      return 400;
  }
}
