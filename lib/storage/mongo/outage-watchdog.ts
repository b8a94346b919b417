/**
 * Bounds the database operations caught in a lost connection. The MongoDB driver can leave an
 * operation pending for ever when its connection closes after the operation took it but before the
 * command is written (the write then waits for a `drain` that a closed socket never emits). When an
 * operation fails because the database could not be reached, every operation in flight at that
 * moment gets `graceMs` more to settle; past it, it fails with the error `lost()` makes, so no
 * request waits for ever. Part of the MongoDB storage.
 */
export class OutageWatchdog {
  private readonly inFlight = new Set<(err: Error) => void>();

  constructor(
    private readonly graceMs: number,
    private readonly lost: () => Error,
  ) {}

  /** `operation`, failed with `lost()` if it is still pending `graceMs` after a connection loss. */
  watch<T>(operation: Promise<T>): Promise<T> {
    let fail!: (err: Error) => void;
    const abandoned = new Promise<never>((_, reject) => {
      fail = reject;
    });
    this.inFlight.add(fail);
    return Promise.race([operation, abandoned]).finally(() => this.inFlight.delete(fail));
  }

  /** A connection was lost: the operations in flight now have `graceMs` to settle. */
  connectionLost(): void {
    if (this.inFlight.size === 0) return;
    const caught = [...this.inFlight];
    setTimeout(() => {
      for (const fail of caught) if (this.inFlight.has(fail)) fail(this.lost());
    }, this.graceMs).unref();
  }
}
