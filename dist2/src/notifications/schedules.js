import { SERVER_CONTEXT } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { isDuplicateKey } from '../store/mongo-errors.js';
import { startCallRecall } from './call-recall.js';
import { ukClock } from '../shared/clock.js';
import { dailyAtOf, settingsOf } from './runs.js';
/** How long a process may take to start a day's run before another takes over. */
const LEASE_MS = 10 * 60_000;
/**
 * Starts each standing call and recall schedule's run once a day, at its time (UK), in one process only
 * (a lease per schedule and day). The schedules are Tasks; their ids are kept in `call_recall_schedules`,
 * a handful of documents read whole each minute. A schedule whose Task was cancelled, completed or
 * deleted is dropped; one on hold is skipped until resumed.
 */
export class CallRecallScheduler {
    services;
    leases;
    now;
    schedules;
    timer;
    ticking;
    constructor(db, services, leases, now = () => new Date()) {
        this.services = services;
        this.leases = leases;
        this.now = now;
        this.schedules = db.collection('call_recall_schedules');
    }
    start(everyMs = 60_000) {
        this.timer = setInterval(() => void this.tick(), everyMs);
        this.timer.unref();
    }
    async stop() {
        clearInterval(this.timer);
        await this.ticking;
    }
    /** Takes a schedule Task on. */
    async add(taskId) {
        try {
            await this.schedules.insertOne({ _id: taskId });
        }
        catch (error) {
            if (!isDuplicateKey(error))
                throw error;
        }
    }
    /** Starts the runs that are due now; one pass at a time. */
    tick() {
        const pass = (this.ticking ??= this.startDue()
            .catch((error) => {
            logger.error('call and recall schedule pass failed', { error: String(error) });
        })
            .finally(() => (this.ticking = undefined)));
        return pass;
    }
    async startDue() {
        const now = this.now();
        const { date, time } = ukClock(now);
        for (const { _id: id } of await this.schedules.find({}).toArray()) {
            const task = (await this.services.service.readIfExists('Task', id))?.resource;
            if (!task || ['cancelled', 'completed', 'failed', 'entered-in-error'].includes(task.status)) {
                await this.schedules.deleteOne({ _id: id });
                continue;
            }
            const dailyAt = dailyAtOf(task);
            if (task.status !== 'in-progress' || !dailyAt || time < dailyAt)
                continue;
            const settings = settingsOf(task);
            if (!settings.callRecall)
                continue;
            // a process still building its index would only hold the lease without being able to select
            await this.services.cohorts.whenReady();
            const key = `${id}/${date}`;
            if (!(await this.leases.claim(key, LEASE_MS)))
                continue;
            try {
                const { task: run, counts } = await startCallRecall(this.services, { ...settings, callRecall: settings.callRecall }, now, SERVER_CONTEXT, { schedule: id, day: date });
                await this.leases.finish(key);
                logger.info('call and recall run started', { schedule: id, run: run.id, people: counts.total });
            }
            catch (error) {
                await this.leases.release(key);
                throw error;
            }
        }
    }
}
//# sourceMappingURL=schedules.js.map