import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { logger } from '../shared/logger.js';
import { Expiry } from './expiry.js';
/** How long a process counts as alive after it last said so; it says so three times in that time. */
const ALIVE_MS = 10_000;
/**
 * Which server processes are alive. Each renews its own document every few seconds and removes it when
 * it stops, so work one of them claimed (an idempotency key, a lease) and left behind when it was
 * killed is taken over by another within seconds, not after a timeout long enough for the slowest
 * request. One that cannot reach the database stops counting as alive: its writes fail by then too.
 */
export class LiveProcesses {
    self = `${PIDS_OF}/${process.pid}/${randomUUID().slice(0, 8)}`;
    processes;
    expiry;
    timer;
    constructor(db) {
        this.processes = db.collection('processes');
        this.expiry = new Expiry(this.processes);
    }
    async start() {
        await this.renew();
        await this.forgetGoneOnThisHost();
        this.timer = setInterval(() => {
            this.renew().catch((error) => logger.warn('could not say this process is alive', { error: String(error) }));
        }, ALIVE_MS / 3);
        this.timer.unref();
    }
    async renew() {
        const until = Date.now() + ALIVE_MS;
        // kept a day after the last renewal, for anyone looking into what held a claim
        const expires = new Date(until + 24 * 3_600_000);
        this.expiry.touch();
        await this.processes.updateOne({ _id: this.self }, { $set: { until, expires } }, { upsert: true });
    }
    /**
     * Processes of this host whose pid no longer runs are gone at once: a server restarted in place takes
     * over what it held before its crash without waiting for that to lapse (a pid taken by another
     * program since only makes it wait).
     */
    async forgetGoneOnThisHost() {
        if (!PIDS_OF.includes('~'))
            return; // pids of this process's namespace are not known to be comparable
        const host = `${PIDS_OF}/`;
        const gone = (await this.processes.find({}, { projection: { _id: 1 } }).toArray())
            .map((doc) => doc._id)
            .filter((id) => id.startsWith(host) && id !== this.self && !running(Number(id.split('/')[1])));
        if (gone.length > 0)
            await this.processes.deleteMany({ _id: { $in: gone } });
    }
    /** Whether `holder` still says it is alive (this process always is). */
    async alive(holder) {
        if (holder === this.self)
            return true;
        const doc = await this.processes.findOne({ _id: holder }, { projection: { until: 1 } });
        return doc !== null && doc.until > Date.now();
    }
    /** Says this process is gone: what it held is free at once. */
    async stop() {
        clearInterval(this.timer);
        await this.processes.deleteOne({ _id: this.self }).catch(() => undefined);
    }
}
/**
 * Where this process's pid means something: the host name and, on Linux, the pid namespace (containers
 * on one host may share a name but not their pids).
 */
const PIDS_OF = (() => {
    try {
        return `${hostname()}~${readlinkSync('/proc/self/ns/pid').replace(/\D/g, '')}`;
    }
    catch {
        return hostname();
    }
})();
/** Whether a process with this pid runs in this pid namespace. */
function running(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (error) {
        // EPERM: it runs, as another user
        return error.code === 'EPERM';
    }
}
//# sourceMappingURL=processes.js.map