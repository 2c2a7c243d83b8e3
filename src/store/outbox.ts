import type { Collection, Db } from 'mongodb';
import { logger } from '../shared/logger.js';
import {
  outboxAdded,
  outboxDead,
  outboxDelivered,
  outboxFailed,
  outboxOldestAge,
  outboxQueued,
} from '../shared/metrics.js';
import { bulkUpdate, insertAllNew } from './mongo-errors.js';

/** A thing to hand to another system, kept until it was taken (or given up on). */
export interface OutboxEntry<T> {
  /** Stable: the receiver drops a second delivery of the same id. */
  _id: string;
  payload: T;
  state: 'pending' | 'delivered' | 'dead';
  tries: number;
  createdAt: string;
  /** When the next try is due (epoch ms). */
  nextAt: number;
  deliveredAt?: string;
  lastError?: string;
}

/** What is stored of an entry besides its payload: small, so that recording each try is cheap. */
type EntryState<T> = Omit<OutboxEntry<T>, 'payload'> & {
  /** Entries stored before payloads had their own collection carry it here. */
  payload?: T;
};

/** Entries' payloads, written once (and only changed by a merge's repointing). */
interface PayloadDocument<T> {
  _id: string;
  payload: T;
}

/** Payloads read at once (entries picked up at start, or due without their payload in memory). */
const PARALLEL_READS = 64;

/**
 * A pending entry as this process holds it: its state, what orders and repoints it, and its payload
 * only while few enough are held (the others are read by `_id` when due), so that a receiver down for a
 * day, with a million entries waiting for it, costs memory for their states only.
 */
type Queued<T> = Omit<OutboxEntry<T>, 'payload'> & {
  payload?: T;
  order?: { key: string; seq: number };
  about: string[];
};

/**
 * Hands a batch over. Resolves when every entry was taken; a map of entry id to error for those that
 * were not (the others were taken); throws when none was (the receiver is down, say).
 */
export type Deliver<T> = (entries: OutboxEntry<T>[]) => Promise<Map<string, string> | undefined>;

export interface OutboxOptions<T> {
  /** Entries handed over at once. */
  batchSize: number;
  /** Tries before an entry is given up on (dead, for staff to look at and retry). */
  maxTries: number;
  /** Wait before the first retry, doubling each time up to `maxRetryMs`. */
  firstRetryMs: number;
  maxRetryMs: number;
  /** How often to look for due entries. */
  tickMs: number;
  /**
   * Entries with the same key are handed over in `seq` order: one waits while an earlier one with its key
   * is still pending (a person's events reach their practice in the order they happened).
   */
  order?: (payload: T) => { key: string; seq: number };
  /** The references (`Patient/{id}`) a payload names that a merge may repoint. */
  about?: (payload: T) => string[];
  /** Payloads held in memory at most; the rest are read when due. */
  heldPayloads: number;
}

const DEFAULTS: Omit<OutboxOptions<never>, 'order' | 'about'> = {
  batchSize: 500,
  maxTries: 10,
  firstRetryMs: 2000,
  maxRetryMs: 3_600_000,
  tickMs: 250,
  heldPayloads: 10_000,
};

/** What staff and `$outbox` see of every kind of delivery to another system. */
export interface Deliveries {
  readonly topic: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(limit?: number): Promise<OutboxStatus>;
  retryDead(ids?: string[]): Promise<number>;
}

/** What staff see of an outbox: how many entries are in each state, and the dead ones. */
export interface OutboxStatus {
  topic: string;
  pending: number;
  delivered: number;
  dead: number;
  deadEntries: Pick<OutboxEntry<unknown>, '_id' | 'tries' | 'createdAt' | 'lastError'>[];
}

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
export class Outbox<T> implements Deliveries {
  private readonly entries: Collection<EntryState<T>>;
  private readonly payloads: Collection<PayloadDocument<T>>;
  private readonly options: OutboxOptions<T>;
  /** Pending entries this process hands over, by id. */
  private readonly queue = new Map<string, Queued<T>>();
  /** How many of them hold their payload. */
  private held = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private unwatch: (() => void) | undefined;

  constructor(
    db: Db,
    readonly topic: string,
    private readonly deliver: Deliver<T>,
    options: Partial<OutboxOptions<T>> = {},
  ) {
    this.entries = db.collection<EntryState<T>>(`outbox_${topic}`);
    this.payloads = db.collection<PayloadDocument<T>>(`outbox_${topic}_payloads`);
    this.options = { ...DEFAULTS, ...options };
  }

  /** Picks up what a previous process left pending (one scan), then hands entries over as they come. */
  async start(): Promise<void> {
    await this.pickUp(await this.entries.find({ state: 'pending' }).toArray());
    this.counted();
    this.unwatch = outboxOldestAge.watch({ topic: this.topic }, () => this.oldestAgeSeconds());
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  /** How long the oldest entry this process hands over has waited (0 when none waits). */
  private oldestAgeSeconds(): number {
    let oldest: string | undefined;
    // ISO times of one format compare as text: one parse, however long the queue
    for (const entry of this.queue.values())
      if (oldest === undefined || entry.createdAt < oldest) oldest = entry.createdAt;
    return oldest === undefined ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000);
  }

  /** Puts entries in the queue, with their payloads. */
  private async pickUp(states: EntryState<T>[]): Promise<void> {
    for (let i = 0; i < states.length; i += PARALLEL_READS) {
      const batch = states.slice(i, i + PARALLEL_READS);
      const stored = await Promise.all(batch.map((state) => this.payloads.findOne({ _id: state._id })));
      batch.forEach(({ payload: inline, ...state }, k) => {
        const payload = stored[k]?.payload ?? inline;
        if (payload === undefined)
          logger.error('outbox entry without its payload', { topic: this.topic, id: state._id });
        else this.enqueue(state, payload);
      });
    }
  }

  /** Puts an entry in the queue, with what orders and repoints it, and its payload while there is room. */
  private enqueue(state: Omit<OutboxEntry<T>, 'payload'>, payload: T): void {
    const { order, about, heldPayloads } = this.options;
    const queued = this.queue.get(state._id);
    if (queued) this.dequeue(queued);
    const holds = this.held < heldPayloads;
    if (holds) this.held++;
    this.queue.set(state._id, {
      ...state,
      ...(order ? { order: order(payload) } : {}),
      about: about?.(payload) ?? [],
      ...(holds ? { payload } : {}),
    });
  }

  /** Takes an entry out of the queue (delivered, or given up on). */
  private dequeue(entry: Queued<T>): void {
    if (entry.payload !== undefined) this.held--;
    this.queue.delete(entry._id);
  }

  /** Queued entries with their payloads, read by `_id` where not held. */
  private async withPayloads(entries: Queued<T>[]): Promise<OutboxEntry<T>[]> {
    const whole: OutboxEntry<T>[] = [];
    for (let i = 0; i < entries.length; i += PARALLEL_READS) {
      const batch = entries.slice(i, i + PARALLEL_READS);
      const read = await Promise.all(
        batch.map((e) => (e.payload === undefined ? this.payloadOf(e._id) : Promise.resolve(e.payload))),
      );
      batch.forEach(({ order: _order, about: _about, ...entry }, k) =>
        whole.push({ ...entry, payload: read[k]! }),
      );
    }
    return whole;
  }

  private async payloadOf(id: string): Promise<T> {
    const stored = await this.payloads.findOne({ _id: id });
    // entries stored before payloads had their own collection carry it on their state
    const payload = stored?.payload ?? (await this.entries.findOne({ _id: id }))?.payload;
    if (payload === undefined) throw new Error(`outbox ${this.topic}: entry ${id} has no payload`);
    return payload;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unwatch?.();
    await this.busy;
  }

  /**
   * Makes the pending entries this process hands over that name `from` (a reference such as
   * `Patient/{id}`) name `to` instead: a merged record's entries go to the surviving one.
   */
  async repoint(from: string, to: string): Promise<number> {
    const [was, now] = [JSON.stringify(from), JSON.stringify(to)];
    let changed = 0;
    for (const entry of this.queue.values()) {
      if (!entry.about.includes(from)) continue;
      const text = JSON.stringify(entry.payload ?? (await this.payloadOf(entry._id)));
      const payload = JSON.parse(text.replaceAll(was, now)) as T;
      await this.payloads.replaceOne({ _id: entry._id }, { payload }, { upsert: true });
      if (entry.payload !== undefined) entry.payload = payload;
      entry.about = entry.about.map((reference) => (reference === from ? to : reference));
      changed++;
    }
    return changed;
  }

  /** Stores entries to hand over; an id stored before is left as it was (the same thing, added again). */
  async add(items: { id: string; payload: T }[]): Promise<void> {
    if (items.length === 0) return;
    const now = Date.now();
    // payloads first: a state is never stored without its payload (one stored twice is the same thing)
    await insertAllNew(
      this.payloads,
      items.map(({ id, payload }) => ({ _id: id, payload })),
    );
    const states: EntryState<T>[] = items.map(({ id }) => ({
      _id: id,
      state: 'pending',
      tries: 0,
      createdAt: new Date(now).toISOString(),
      nextAt: now,
    }));
    const duplicates = new Set(await insertAllNew(this.entries, states));
    states.forEach((state, i) => {
      if (!duplicates.has(i)) this.enqueue(state, items[i]!.payload);
    });
    outboxAdded.inc({ topic: this.topic }, states.length - duplicates.size);
    this.counted();
  }

  /** The queue gauge, after the queue changed. */
  private counted(): void {
    outboxQueued.set({ topic: this.topic }, this.queue.size);
  }

  private tick(): Promise<void> {
    const run = (this.busy ??= this.handOver()
      .catch((error: unknown) => {
        logger.error('outbox delivery failed', { topic: this.topic, error: String(error) });
      })
      .finally(() => (this.busy = undefined)));
    return run;
  }

  /** Hands over the entries that are due, a batch at a time, oldest first. */
  private async handOver(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const due = this.inOrder([...this.queue.values()].filter((e) => e.nextAt <= now)).slice(
        0,
        this.options.batchSize,
      );
      if (due.length === 0) return;
      // a receiver that took nothing is not asked again until the first retry is due
      if ((await this.handOverBatch(due)).size === due.length) return;
    }
  }

  /** Hands a batch over and records how it went; answers the entries that failed, with why. */
  private async handOverBatch(batch: Queued<T>[]): Promise<Map<string, string>> {
    let failed: Map<string, string>;
    try {
      failed = (await this.deliver(await this.withPayloads(batch))) ?? new Map<string, string>();
    } catch (error) {
      failed = new Map(batch.map((e) => [e._id, error instanceof Error ? error.message : String(error)]));
    }
    await this.record(batch, failed);
    return failed;
  }

  /** Of the due entries, those no earlier pending entry with the same order key waits before. */
  private inOrder(due: Queued<T>[]): Queued<T>[] {
    if (!this.options.order) return due;
    const first = new Map<string, number>();
    for (const { order } of this.queue.values())
      if (order && order.seq < (first.get(order.key) ?? Infinity)) first.set(order.key, order.seq);
    return due
      .filter(({ order }) => first.get(order!.key) === order!.seq)
      .sort((a, b) => a.order!.seq - b.order!.seq);
  }

  /** Stores how a batch went: delivered, or one try more (and dead after the last). */
  private async record(batch: Queued<T>[], failed: Map<string, string>): Promise<void> {
    const now = Date.now();
    const { maxTries, firstRetryMs, maxRetryMs } = this.options;
    const updates = batch.map((entry) => {
      const error = failed.get(entry._id);
      if (error === undefined) {
        this.dequeue(entry);
        return {
          _id: entry._id,
          $set: { state: 'delivered' as const, deliveredAt: new Date(now).toISOString() },
        };
      }
      const tries = entry.tries + 1;
      const dead = tries >= maxTries;
      if (dead) this.dequeue(entry);
      else
        Object.assign(entry, { tries, nextAt: now + Math.min(maxRetryMs, firstRetryMs * 2 ** (tries - 1)) });
      if (dead)
        logger.warn('outbox entry given up after its last try', { topic: this.topic, id: entry._id, tries });
      return {
        _id: entry._id,
        $set: {
          state: dead ? ('dead' as const) : ('pending' as const),
          tries,
          nextAt: entry.nextAt,
          lastError: error,
        },
      };
    });
    await bulkUpdate(
      this.entries,
      updates.map(({ _id, $set }) => ({ updateOne: { filter: { _id }, update: { $set } } })),
    );
    const topic = { topic: this.topic };
    outboxDelivered.inc(topic, batch.length - failed.size);
    outboxFailed.inc(topic, failed.size);
    outboxDead.inc(topic, updates.filter((u) => u.$set.state === 'dead').length);
    this.counted();
  }

  /** The state of one entry (undefined: no such entry). */
  async stateOf(id: string): Promise<OutboxEntry<T>['state'] | undefined> {
    return (await this.entries.findOne({ _id: id }, { projection: { state: 1 } }))?.state;
  }

  /** Counts by state and the dead entries (up to `limit`): a scan, for staff, not for the hot path. */
  async status(limit = 100): Promise<OutboxStatus> {
    const counts = { pending: 0, delivered: 0, dead: 0 };
    const deadEntries: OutboxStatus['deadEntries'] = [];
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
  async retryDead(ids?: string[]): Promise<number> {
    const dead = ids
      ? (await Promise.all(ids.map((_id) => this.entries.findOne({ _id, state: 'dead' })))).filter(
          (e) => e !== null,
        )
      : await this.entries.find({ state: 'dead' }).toArray();
    const now = Date.now();
    for (const entry of dead)
      await this.entries.updateOne(
        { _id: entry._id, state: 'dead' },
        { $set: { state: 'pending', tries: 0, nextAt: now } },
      );
    await this.pickUp(dead.map((entry) => ({ ...entry, state: 'pending', tries: 0, nextAt: now })));
    this.counted();
    return dead.length;
  }
}
