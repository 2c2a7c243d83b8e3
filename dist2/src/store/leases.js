import { isDuplicateKey } from './mongo-errors.js';
/** A standing lease renewed this recently is taken as still held, without asking the database. */
const RECHECK_MS = 2000;
/**
 * Leases on scheduled jobs, so that of several server processes exactly one runs each occasion: the
 * first to insert the occasion's document holds it; a holder that stopped before finishing is taken
 * over once its lease runs out or the holder is no longer alive (compare-and-set on `until`).
 */
export class Leases {
    processes;
    leases;
    /** Who this process is, in the lease documents. */
    holder;
    /** Standing leases this process holds, with when each was last renewed (epoch ms). */
    held = new Map();
    constructor(db, processes) {
        this.processes = processes;
        this.leases = db.collection('job_leases');
        this.holder = processes.self;
    }
    /** Whether this process now holds `key` for `forMs` (false: done already, or another holds it). */
    async claim(key, forMs) {
        const until = Date.now() + forMs;
        try {
            await this.leases.insertOne({ _id: key, holder: this.holder, until, done: false });
            return true;
        }
        catch (error) {
            if (!isDuplicateKey(error))
                throw error;
        }
        const lease = await this.leases.findOne({ _id: key });
        if (!lease || lease.done)
            return false;
        if (lease.until > Date.now() && (await this.processes.alive(lease.holder)))
            return false;
        const taken = await this.leases.updateOne({ _id: key, until: lease.until, done: false }, { $set: { holder: this.holder, until } });
        return taken.modifiedCount === 1;
    }
    /**
     * Holds a standing lease (a job only one process runs at a time, such as following the change log):
     * true when this process held it or has now taken it (it was free or ran out), extended for `forMs`.
     */
    async hold(key, forMs) {
        const now = Date.now();
        // callers ask often (each pass over the change log): a lease with most of its time left is held
        if (now - (this.held.get(key) ?? -Infinity) < Math.min(RECHECK_MS, forMs / 3))
            return true;
        const holding = await this.renew(key, forMs);
        if (holding)
            this.held.set(key, now);
        else
            this.held.delete(key);
        return holding;
    }
    async renew(key, forMs) {
        if (await this.claim(key, forMs))
            return true;
        const lease = await this.leases.findOne({ _id: key });
        if (lease?.holder !== this.holder)
            return false;
        const renewed = await this.leases.updateOne({ _id: key, holder: this.holder, until: lease.until }, { $set: { until: Date.now() + forMs } });
        return renewed.modifiedCount === 1;
    }
    /** Gives the lease up (the occasion failed, or the process stops): the next to claim it takes it. */
    async release(key) {
        this.held.delete(key);
        await this.leases.updateOne({ _id: key, holder: this.holder, done: false }, { $set: { until: 0 } });
    }
    /** Marks the occasion done: nobody runs it again. */
    async finish(key) {
        await this.leases.updateOne({ _id: key, holder: this.holder }, { $set: { done: true } });
    }
}
//# sourceMappingURL=leases.js.map