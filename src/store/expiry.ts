import type { Collection, Filter } from 'mongodb';

/** How often expired documents are swept away where the database does not do it itself. */
const SWEEP_EVERY_MS = 10 * 60_000;

/** Collections whose documents carry an `expires` date after which they are of no use. */
export const EXPIRING_COLLECTIONS = [
  'auth_jti',
  'preference_verifications',
  'preference_counters',
  'preference_web_sessions',
  'idempotency_keys',
  'export_jobs',
  'export_files',
  'processes',
];

/**
 * Removes a collection's documents past their `expires`. MongoDB does it by itself (a TTL index on
 * `expires`, see ensureIndexes); FerretDB has no TTL indexes, so each use may start a sweep, at most
 * one every ten minutes, in the background.
 */
export class Expiry<T extends { expires: Date }> {
  /**
   * As if the last sweep was at a random moment of the last ten minutes: a sweep reads the whole
   * collection, and processes that start together (or one restarted again and again) must not all sweep
   * at once on their first request.
   */
  private lastSweep = Date.now() - Math.random() * SWEEP_EVERY_MS;

  constructor(private readonly collection: Collection<T>) {}

  touch(): void {
    if (Date.now() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = Date.now();
    const expired = { expires: { $lt: new Date() } } as Filter<T>;
    void this.collection.deleteMany(expired).catch(() => undefined);
  }
}
