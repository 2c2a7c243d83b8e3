import { logger } from '../shared/logger.js';
import { ukClock } from '../shared/clock.js';
/** How long a process may take over a day's batches before another takes over. */
const LEASE_MS = 30 * 60_000;
/**
 * The daily batches to practices that take their messages once a day: every morning at `at` (UK time),
 * in one process (a lease per day), the messages of the days before, and whatever an earlier run could
 * not deliver. Also run on request for a given day (`$gp-daily`, `npm run gp-daily`).
 */
export class GpDailyBatch {
    outbox;
    leases;
    at;
    flush;
    timer;
    running;
    constructor(outbox, leases, at, 
    /** Stores what the dispatcher holds for the daily batches (in the process that follows the log). */
    flush) {
        this.outbox = outbox;
        this.leases = leases;
        this.at = at;
        this.flush = flush;
    }
    start(everyMs = 60_000) {
        this.timer = setInterval(() => void this.scheduled(), everyMs);
        this.timer.unref();
    }
    async stop() {
        clearInterval(this.timer);
        await this.running;
    }
    /** Sends each practice one batch per day of its messages of `day` and the days before. */
    async run(day) {
        const result = this.flush().then(() => this.outbox.run(day));
        this.running = result.catch(() => undefined);
        return result;
    }
    async scheduled() {
        const { date, time } = ukClock(new Date());
        if (time < this.at)
            return;
        const key = `gp-daily/${date}`;
        if (!(await this.leases.claim(key, LEASE_MS)))
            return;
        try {
            const yesterday = ukClock(new Date(Date.now() - 86_400_000)).date;
            await this.run(yesterday);
            await this.leases.finish(key);
        }
        catch (error) {
            await this.leases.release(key);
            logger.error('GP daily batches failed; trying again', { error: String(error) });
        }
    }
}
//# sourceMappingURL=daily.js.map