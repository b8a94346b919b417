/**
 * An error the in-memory server returns to the driver as `{ ok: 0, code, codeName, errmsg }`,
 * with MongoDB's own numeric codes so that driver-side handling (duplicate keys, retries,
 * transient transaction errors) behaves as against a real server.
 */
export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  /** Extra fields merged into the error reply (e.g. `keyPattern`, `keyValue`, `errorLabels`). */
  readonly extra: Record<string, unknown>;

  constructor(code: number, codeName: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.codeName = codeName;
    this.extra = extra;
  }
}

/** MongoDB error codes used by the server, by name (from MongoDB's error_codes.yml). */
export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  InvalidLength: 16,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  CommandNotFound: 59,
  EmptyFieldName: 56,
  CannotCreateIndex: 67,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  NoQueryExecutionPlans: 291,
  NoMatchingDocument: 47,
  CursorKilled: 237,
  InvalidResumeToken: 260,
  OperationNotSupportedInTransaction: 263,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  CursorInUse: 292,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  DuplicateKey: 11000,
  Location16755: 16755,
  UnsupportedFeature: 115,
  InvalidPipelineOperator: 168,
} as const;

const codeNames = new Map<number, string>([
  [1, 'InternalError'],
  [2, 'BadValue'],
  [9, 'FailedToParse'],
  [14, 'TypeMismatch'],
  [16, 'InvalidLength'],
  [20, 'IllegalOperation'],
  [26, 'NamespaceNotFound'],
  [27, 'IndexNotFound'],
  [28, 'PathNotViable'],
  [40, 'ConflictingUpdateOperators'],
  [43, 'CursorNotFound'],
  [47, 'NoMatchingDocument'],
  [48, 'NamespaceExists'],
  [50, 'MaxTimeMSExpired'],
  [52, 'DollarPrefixedFieldName'],
  [53, 'InvalidIdField'],
  [56, 'EmptyFieldName'],
  [59, 'CommandNotFound'],
  [67, 'CannotCreateIndex'],
  [66, 'ImmutableField'],
  [72, 'InvalidOptions'],
  [73, 'InvalidNamespace'],
  [85, 'IndexOptionsConflict'],
  [86, 'IndexKeySpecsConflict'],
  [112, 'WriteConflict'],
  [115, 'CommandNotSupported'],
  [168, 'InvalidPipelineOperator'],
  [237, 'CursorKilled'],
  [251, 'NoSuchTransaction'],
  [256, 'TransactionCommitted'],
  [260, 'InvalidResumeToken'],
  [263, 'OperationNotSupportedInTransaction'],
  [280, 'ChangeStreamFatalError'],
  [286, 'ChangeStreamHistoryLost'],
  [291, 'NoQueryExecutionPlans'],
  [292, 'CursorInUse'],
  [11000, 'DuplicateKey'],
  [16755, 'Location16755'],
]);

/**
 * Builds a {@link CommandError} from a code, looking up MongoDB's code name; codes of plain
 * assertions (not in MongoDB's catalogue of named errors) are named `Location<code>`, as mongod does.
 */
export function commandError(code: number, message: string, extra?: Record<string, unknown>): CommandError {
  return new CommandError(code, codeNames.get(code) ?? `Location${code}`, message, extra);
}

/** A `BadValue` error: the usual answer to a malformed argument. */
export function badValue(message: string): CommandError {
  return commandError(ErrorCode.BadValue, message);
}
