/**
 * The idempotency part of the storage contract: the request ids already seen (`X-Parse-Request-Id`
 * with `idempotencyOptions`), in `_Idempotency` as parse-server keeps them (`reqId`, unique;
 * `expire`, a TTL index), so that a repeat reaching any process is recognised.
 *
 * An implementation MUST make `recordRequestId` atomic (of two processes recording one id at once,
 * one succeeds) and MUST treat an entry whose `expire` has passed as absent.
 */
export interface IdempotencyStorage {
  /** Records `reqId` until `expiresAt`; false when it is recorded and not expired at `now`. */
  recordRequestId(reqId: string, expiresAt: Date, now: Date): Promise<boolean>;
}
