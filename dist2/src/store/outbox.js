import { logger } from '../shared/logger.js';
import { outboxAdded, outboxDead, outboxDelivered, outboxFailed, outboxOldestAge, outboxQueued, } from '../shared/metrics.js';
import { bulkUpdate, insertAllNew } from './mongo-errors.js';
/** Payloads read at once when pending or revived entries are picked up. */
const PARALLEL_READS = 64;
const DEFAULTS = {
    batchSize: 500,
    maxTries: 10,
    firstRetryMs: 2000,
    maxRetryMs: 3_600_000,
    tickMs: 250,
};
/**
 * An outbox for one kind of delivery: entries are stored before anyone is told, so a crash loses none; a
 * worker hands them over in batches with retries that back off, and gives up after `maxTries` (dead
 * letters, visible to staff and retried on request). Delivery is at least once: an entry handed over
 * just before a crash is handed over again, under the same id. Pending entries are read once at start
 * and then driven from memory by `_id` (no polling by filter). Each entry is two documents: its state
 * (`outbox_{topic}`, rewritten at each try, small) and its payload (`outbox_{topic}_payloads`, a whole
 * GP message say, written once): on FerretDB a rewrite costs as much as the document is long, and the
 * scan at start reads only the states.
 */
export class Outbox {
    topic;
    deliver;
    entries;
    payloads;
    options;
    /** Pending entries this process hands over, by id. */
    queue = new Map();
    timer;
    busy;
    unwatch;
    constructor(db, topic, deliver, options = {}) {
        this.topic = topic;
        this.deliver = deliver;
        this.entries = db.collection(`outbox_${topic}`);
        this.payloads = db.collection(`outbox_${topic}_payloads`);
        this.options = { ...DEFAULTS, ...options };
    }
    /** Picks up what a previous process left pending (one scan), then hands entries over as they come. */
    async start() {
        await this.pickUp(await this.entries.find({ state: 'pending' }).toArray());
        this.counted();
        this.unwatch = outboxOldestAge.watch({ topic: this.topic }, () => this.oldestAgeSeconds());
        this.timer = setInterval(() => void this.tick(), this.options.tickMs);
        this.timer.unref();
    }
    /** How long the oldest entry this process hands over has waited (0 when none waits). */
    oldestAgeSeconds() {
        let oldest;
        // ISO times of one format compare as text: one parse, however long the queue
        for (const entry of this.queue.values())
            if (oldest === undefined || entry.createdAt < oldest)
                oldest = entry.createdAt;
        return oldest === undefined ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000);
    }
    /** Puts entries in the queue, with their payloads. */
    async pickUp(states) {
        for (let i = 0; i < states.length; i += PARALLEL_READS) {
            const batch = states.slice(i, i + PARALLEL_READS);
            const stored = await Promise.all(batch.map((state) => this.payloads.findOne({ _id: state._id })));
            batch.forEach(({ payload: inline, ...state }, k) => {
                const payload = stored[k]?.payload ?? inline;
                if (payload === undefined)
                    logger.error('outbox entry without its payload', { topic: this.topic, id: state._id });
                else
                    this.queue.set(state._id, { ...state, payload });
            });
        }
    }
    async stop() {
        clearInterval(this.timer);
        this.unwatch?.();
        await this.busy;
    }
    /**
     * Makes the pending entries this process hands over that name `from` (a reference such as
     * `Patient/{id}`) name `to` instead: a merged record's entries go to the surviving one.
     */
    async repoint(from, to) {
        const [was, now] = [JSON.stringify(from), JSON.stringify(to)];
        let changed = 0;
        for (const entry of this.queue.values()) {
            const text = JSON.stringify(entry.payload);
            if (!text.includes(was))
                continue;
            entry.payload = JSON.parse(text.replaceAll(was, now));
            await this.payloads.replaceOne({ _id: entry._id }, { payload: entry.payload }, { upsert: true });
            changed++;
        }
        return changed;
    }
    /** Stores entries to hand over; an id stored before is left as it was (the same thing, added again). */
    async add(items) {
        if (items.length === 0)
            return;
        const now = Date.now();
        // payloads first: a state is never stored without its payload (one stored twice is the same thing)
        await insertAllNew(this.payloads, items.map(({ id, payload }) => ({ _id: id, payload })));
        const states = items.map(({ id }) => ({
            _id: id,
            state: 'pending',
            tries: 0,
            createdAt: new Date(now).toISOString(),
            nextAt: now,
        }));
        const duplicates = new Set(await insertAllNew(this.entries, states));
        states.forEach((state, i) => {
            if (!duplicates.has(i))
                this.queue.set(state._id, { ...state, payload: items[i].payload });
        });
        outboxAdded.inc({ topic: this.topic }, states.length - duplicates.size);
        this.counted();
    }
    /** The queue gauge, after the queue changed. */
    counted() {
        outboxQueued.set({ topic: this.topic }, this.queue.size);
    }
    tick() {
        const run = (this.busy ??= this.handOver()
            .catch((error) => {
            logger.error('outbox delivery failed', { topic: this.topic, error: String(error) });
        })
            .finally(() => (this.busy = undefined)));
        return run;
    }
    /** Hands over the entries that are due, a batch at a time, oldest first. */
    async handOver() {
        for (;;) {
            const now = Date.now();
            const due = this.inOrder([...this.queue.values()].filter((e) => e.nextAt <= now)).slice(0, this.options.batchSize);
            if (due.length === 0)
                return;
            // a receiver that took nothing is not asked again until the first retry is due
            if ((await this.handOverBatch(due)).size === due.length)
                return;
        }
    }
    /** Hands a batch over and records how it went; answers the entries that failed, with why. */
    async handOverBatch(batch) {
        let failed;
        try {
            failed = (await this.deliver(batch)) ?? new Map();
        }
        catch (error) {
            failed = new Map(batch.map((e) => [e._id, error instanceof Error ? error.message : String(error)]));
        }
        await this.record(batch, failed);
        return failed;
    }
    /** Of the due entries, those no earlier pending entry with the same order key waits before. */
    inOrder(due) {
        const order = this.options.order;
        if (!order)
            return due;
        const first = new Map();
        for (const entry of this.queue.values()) {
            const { key, seq } = order(entry.payload);
            if (seq < (first.get(key) ?? Infinity))
                first.set(key, seq);
        }
        return due
            .filter((entry) => {
            const { key, seq } = order(entry.payload);
            return first.get(key) === seq;
        })
            .sort((a, b) => order(a.payload).seq - order(b.payload).seq);
    }
    /** Stores how a batch went: delivered, or one try more (and dead after the last). */
    async record(batch, failed) {
        const now = Date.now();
        const { maxTries, firstRetryMs, maxRetryMs } = this.options;
        const updates = batch.map((entry) => {
            const error = failed.get(entry._id);
            if (error === undefined) {
                this.queue.delete(entry._id);
                return {
                    _id: entry._id,
                    $set: { state: 'delivered', deliveredAt: new Date(now).toISOString() },
                };
            }
            const tries = entry.tries + 1;
            const dead = tries >= maxTries;
            if (dead)
                this.queue.delete(entry._id);
            else
                Object.assign(entry, { tries, nextAt: now + Math.min(maxRetryMs, firstRetryMs * 2 ** (tries - 1)) });
            if (dead)
                logger.warn('outbox entry given up after its last try', { topic: this.topic, id: entry._id, tries });
            return {
                _id: entry._id,
                $set: {
                    state: dead ? 'dead' : 'pending',
                    tries,
                    nextAt: entry.nextAt,
                    lastError: error,
                },
            };
        });
        await bulkUpdate(this.entries, updates.map(({ _id, $set }) => ({ updateOne: { filter: { _id }, update: { $set } } })));
        const topic = { topic: this.topic };
        outboxDelivered.inc(topic, batch.length - failed.size);
        outboxFailed.inc(topic, failed.size);
        outboxDead.inc(topic, updates.filter((u) => u.$set.state === 'dead').length);
        this.counted();
    }
    /** The state of one entry (undefined: no such entry). */
    async stateOf(id) {
        return (await this.entries.findOne({ _id: id }, { projection: { state: 1 } }))?.state;
    }
    /** Counts by state and the dead entries (up to `limit`): a scan, for staff, not for the hot path. */
    async status(limit = 100) {
        const counts = { pending: 0, delivered: 0, dead: 0 };
        const deadEntries = [];
        // entries stored before payloads had their own collection carry it: not read here
        for await (const entry of this.entries.find({}, { projection: { payload: 0 } })) {
            counts[entry.state]++;
            if (entry.state === 'dead' && deadEntries.length < limit)
                deadEntries.push({
                    _id: entry._id,
                    tries: entry.tries,
                    createdAt: entry.createdAt,
                    ...(entry.lastError ? { lastError: entry.lastError } : {}),
                });
        }
        return { topic: this.topic, ...counts, deadEntries };
    }
    /** Gives dead entries (these, or all) a fresh set of tries; answers how many. */
    async retryDead(ids) {
        const dead = ids
            ? (await Promise.all(ids.map((_id) => this.entries.findOne({ _id, state: 'dead' })))).filter((e) => e !== null)
            : await this.entries.find({ state: 'dead' }).toArray();
        const now = Date.now();
        for (const entry of dead)
            await this.entries.updateOne({ _id: entry._id, state: 'dead' }, { $set: { state: 'pending', tries: 0, nextAt: now } });
        await this.pickUp(dead.map((entry) => ({ ...entry, state: 'pending', tries: 0, nextAt: now })));
        this.counted();
        return dead.length;
    }
}
//# sourceMappingURL=outbox.js.map