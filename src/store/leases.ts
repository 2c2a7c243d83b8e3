import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './mongo-errors.js';

interface LeaseDocument {
  /** The job and its occasion: `{schedule}/{day}`. */
  _id: string;
  holder: string;
  /** Until when the holder may work on it undisturbed (epoch ms). */
  until: number;
  done: boolean;
}

/**
 * Leases on scheduled jobs, so that of several server processes exactly one runs each occasion: the
 * first to insert the occasion's document holds it; a holder that stopped before finishing is taken
 * over once its lease runs out (compare-and-set on `until`).
 */
export class Leases {
  private readonly leases: Collection<LeaseDocument>;

  constructor(
    db: Db,
    /** Who this process is, in the lease documents. */
    private readonly holder: string,
  ) {
    this.leases = db.collection<LeaseDocument>('job_leases');
  }

  /** Whether this process now holds `key` for `forMs` (false: done already, or another holds it). */
  async claim(key: string, forMs: number): Promise<boolean> {
    const until = Date.now() + forMs;
    try {
      await this.leases.insertOne({ _id: key, holder: this.holder, until, done: false });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const lease = await this.leases.findOne({ _id: key });
    if (!lease || lease.done || lease.until > Date.now()) return false;
    const taken = await this.leases.updateOne(
      { _id: key, until: lease.until, done: false },
      { $set: { holder: this.holder, until } },
    );
    return taken.modifiedCount === 1;
  }

  /** Gives the occasion up (it failed): the next to claim it runs it. */
  async release(key: string): Promise<void> {
    await this.leases.updateOne({ _id: key, holder: this.holder, done: false }, { $set: { until: 0 } });
  }

  /** Marks the occasion done: nobody runs it again. */
  async finish(key: string): Promise<void> {
    await this.leases.updateOne({ _id: key, holder: this.holder }, { $set: { done: true } });
  }
}
