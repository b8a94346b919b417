/**
 * The lease part of the storage contract: how processes sharing the database agree on who does a
 * piece of work, with no other service — the job scheduler, and whatever else must run once across
 * processes. Leases live in `_Leases`, Plinth's own collection (not a Parse class: never served).
 *
 * An implementation MUST make `acquireLease` atomic (of processes taking a free lease at once, one
 * gets it) and `claimScheduledRun` a compare-and-set (of processes claiming one due time, one
 * does), and SHOULD drop leases long expired.
 */
export interface LeaseStorage {
  /**
   * Takes the lease `name` for `holder` until `until` when it is free, expired at `now`, or already
   * `holder`'s (a renewal); true when `holder` holds it afterwards.
   */
  acquireLease(name: string, holder: string, until: Date, now: Date): Promise<boolean>;
  /** Gives the lease up, when `holder` holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Of `names`, those some holder holds at `now`. */
  heldLeases(names: readonly string[], now: Date): Promise<Set<string>>;
  /**
   * Records `due` (ms since the epoch) as the `_JobSchedule` object's `lastRun` when that is unset
   * or older; true when this call recorded it (its caller runs the job for that due time).
   */
  claimScheduledRun(scheduleId: string, due: number): Promise<boolean>;
}
