import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import type { Bundle } from 'fhir/r4';
import { Binary, type Collection, type Db } from 'mongodb';
import { logger } from '../shared/logger.js';
import {
  outboxAdded,
  outboxDead,
  outboxDelivered,
  outboxFailed,
  outboxOldestAge,
  outboxQueued,
} from '../shared/metrics.js';
import { groupBy } from '../shared/group.js';
import { ukClock } from '../shared/clock.js';
import type { Deliveries, OutboxStatus } from '../store/outbox.js';
import { insertAllNew } from '../store/mongo-errors.js';
import type { Endpoints } from './endpoints.js';
import { stableUuid } from '../shared/stable-uuid.js';
import type { GpMessage, VaccinationEvent } from './messages.js';

const compress = promisify(brotliCompress);
/** Brotli at a middling quality: JSON of many similar messages packs about a fifth smaller than gzip. */
const pack = (data: string | Buffer) =>
  compress(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
const decompress = promisify(brotliDecompress);
/** Unpacked in pieces of a mebibyte: at the default 16 KiB, handing pieces over costs more than unpacking. */
const unpack = (data: Uint8Array) => decompress(data, { chunkSize: 1 << 20 });

/** The UK calendar day of a moment (YYYY-MM-DD). */
export const ukDay = (at: string): string => ukClock(new Date(at)).date;

/**
 * Practices are spread over this many shards: a run holds one shard's messages in memory at a time
 * (a sixteenth of a day), and a chunk holds one shard's messages of one day.
 */
const SHARDS = 16;
/** Practices' batches sent at once. */
const PARALLEL = 16;
/** Chunks read and unpacked at once. */
const PARALLEL_READS = 4;
/** How long a practice's system has to take its day's batch. */
const TIMEOUT_MS = 60_000;

const COMMA = Buffer.from(',');
/** How old the metrics' view of waiting batches may be before a scrape has it read again. */
const VIEW_MS = 60_000;

/** A message as an entry of a practice's daily batch: POSTed to the practice's `$process-message`. */
const batchEntry = (message: Bundle) => ({
  resource: message,
  request: { method: 'POST', url: '$process-message' },
});

/** Connections kept open between batches: thousands of practices, a few at a time. */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * POSTs a FHIR body given in pieces and answers the status and text. Node's own client rather than
 * fetch, and the pieces written as they are: a batch's megabytes go to the socket without being copied
 * into one buffer first.
 */
function post(address: string, pieces: Buffer[]): Promise<{ status: number; body: string }> {
  const url = new URL(address);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        timeout: TIMEOUT_MS,
        headers: {
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          'content-length': pieces.reduce((sum, piece) => sum + piece.length, 0),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    // corked: the pieces leave in a few large writes of the socket, not one each
    request.cork();
    for (const piece of pieces) request.write(piece);
    request.end();
  });
}

/** A packed run of daily messages: one day, one shard of practices, from one flush of the dispatcher. */
interface ChunkDocument {
  /** `{day}|{shard}|{uuid of its message ids}`: the same messages packed again make the same chunk. */
  _id: string;
  /** Each message's event and the length of its entry in `data` (JSON, compressed), in order. */
  events: Binary;
  /**
   * Each message as the batch entry it will be sent as (`{"resource":…,"request":…}`), one after the
   * other, compressed: a day of a national service is millions of them, sent without being parsed.
   */
  data: Binary;
}

/** An event as a chunk lists it: with the byte length of its entry in the chunk's data. */
type ChunkEvent = VaccinationEvent & { bytes: number };

/** How one practice's batch of one day stands. */
interface PracticeDay {
  /** Messages stored for it (a message stored twice counts twice; the batch carries it once). */
  stored: number;
  delivered?: number;
  tries?: number;
  dead?: boolean;
  lastError?: string;
}

/** One day of daily messages: its chunks and how each practice's batch stands. */
interface DayDocument {
  _id: string;
  chunks: string[];
  /** By practice ODS code (escaped: field names take no `.` or `$`). */
  practices: Record<string, PracticeDay>;
  /** Bumped by every flush: a run closes a day only if nothing came since it read it. */
  flushes: number;
  /** Every batch delivered: the chunks are gone, only the count stays. */
  closed?: boolean;
  delivered?: number;
}

/** A field name for a practice code (ODS codes are letters and digits; anything else is escaped). */
const key = (practice: string) => practice.replace(/[%.$]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
const practiceOf = (field: string) => decodeURIComponent(field);
const shardOf = (practice: string) => createHash('sha1').update(practice).digest().readUInt16BE(0) % SHARDS;
const isDone = (state: PracticeDay | undefined) => state?.delivered !== undefined || state?.dead === true;

/** One shard's waiting messages: practice → day → message key → its order and stored JSON. */
type ShardBatches = Map<string, Map<string, DayMessages>>;
type DayMessages = Map<string, { seq: number; entry: Buffer }>;

/** What one run did to one practice's batch of one day. */
interface Outcome {
  day: string;
  practice: string;
  messages: number;
  error?: string;
}

/**
 * The messages of practices that take one batch a day (`gp_daily_days`, `gp_daily_chunks`): stored as
 * they are made, packed into large compressed chunks per day and shard of practices (a day can be millions
 * of messages, and the database reads documents, not bytes, slowly), and sent once a day as one `batch`
 * Bundle per practice and day, each entry a `POST $process-message` of one message, a person's messages
 * in the order they happened. A practice's batch that fails is tried again by the next run (its later
 * days wait behind it, to keep each person's order), and given up (dead) after `maxTries` runs.
 */
export class GpDailyOutbox implements Deliveries {
  readonly topic = 'gp_daily';
  private readonly days: Collection<DayDocument>;
  private readonly chunks: Collection<ChunkDocument>;
  /** Runs in this process, one after another. */
  private running: Promise<unknown> = Promise.resolve();
  /** What the metrics say of the waiting batches: from the day documents, read when a scrape finds it old. */
  private view: { pending: number; oldestDay?: string; at: number; reading: boolean } = {
    pending: 0,
    at: 0,
    reading: false,
  };
  private unwatch: (() => void) | undefined;

  constructor(
    db: Db,
    private readonly endpoints: Endpoints,
    private readonly maxTries: number,
  ) {
    this.days = db.collection<DayDocument>('gp_daily_days');
    this.chunks = db.collection<ChunkDocument>('gp_daily_chunks');
  }

  start(): Promise<void> {
    this.unwatch = outboxOldestAge.watch({ topic: this.topic }, () => {
      this.refreshView();
      const { oldestDay } = this.view;
      return oldestDay ? Math.max(0, (Date.now() - Date.parse(`${oldestDay}T00:00:00Z`)) / 1000) : 0;
    });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.unwatch?.();
    return this.running.then(() => undefined);
  }

  /**
   * Reads how many messages wait for a batch and the oldest day they are of, when the view is older
   * than a minute; the scrape that asks is answered from the view it had (a scrape never waits on the
   * database, and reads it at most once a minute).
   */
  private refreshView(): void {
    if (this.view.reading || Date.now() - this.view.at < VIEW_MS) return;
    this.view.reading = true;
    (async () => {
      let pending = 0;
      let oldestDay: string | undefined;
      // the chunk list of a day can be thousands of ids; the counts are all this needs
      const open = this.days.find({ closed: { $ne: true } }, { projection: { practices: 1 } });
      for await (const day of open) {
        const waiting = Object.values(day.practices)
          .filter((state) => !isDone(state))
          .reduce((sum, state) => sum + state.stored, 0);
        pending += waiting;
        if (waiting > 0 && (oldestDay === undefined || day._id < oldestDay)) oldestDay = day._id;
      }
      this.view = { pending, ...(oldestDay ? { oldestDay } : {}), at: Date.now(), reading: false };
      outboxQueued.set({ topic: this.topic }, pending);
    })().catch((error: unknown) => {
      this.view.reading = false;
      logger.warn('GP daily batches not counted for the metrics', { error: String(error) });
    });
  }

  /** Stores messages for their practices' next daily batch, packed per day and shard. */
  async add(messages: GpMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byDay = groupBy(messages, (m) => ukDay(m.event.at));
    for (const [day, ofDay] of byDay) {
      const chunks = await Promise.all(
        [...groupBy(ofDay, (m) => String(shardOf(m.event.practice)))].map(async ([shard, inShard]) => {
          const ordered = inShard.sort((a, b) => a.event.seq - b.event.seq);
          const ids = ordered.map((m) => m.message.id!).join(',');
          const entries = ordered.map((m) => Buffer.from(JSON.stringify(batchEntry(m.message))));
          const events: ChunkEvent[] = ordered.map((m, i) => ({ ...m.event, bytes: entries[i]!.length }));
          return {
            _id: `${day}|${shard}|${stableUuid(ids)}`,
            events: new Binary(await pack(JSON.stringify(events))),
            data: new Binary(await pack(Buffer.concat(entries))),
          };
        }),
      );
      await insertAllNew(this.chunks, chunks);
      const stored: Record<string, number> = {};
      for (const m of ofDay) {
        const field = `practices.${key(m.event.practice)}.stored`;
        stored[field] = (stored[field] ?? 0) + 1;
      }
      // the chunks first: a day never names a chunk that is not there
      await this.days.updateOne(
        { _id: day },
        {
          $addToSet: { chunks: { $each: chunks.map((c) => c._id) } },
          $inc: { ...stored, flushes: 1 },
          // a late message for a day already sent opens it again
          $set: { closed: false },
        },
        { upsert: true },
      );
    }
    outboxAdded.inc({ topic: this.topic }, messages.length);
  }

  /**
   * Sends each practice one batch per day of its waiting messages of `day` and the days before, shard by
   * shard; answers how many messages were delivered and how many wait (or were given up).
   */
  run(day: string): Promise<{ delivered: number; failed: number }> {
    const run = this.running.then(() => this.send(day));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async send(upTo: string): Promise<{ delivered: number; failed: number }> {
    const days = (await this.days.find({ closed: { $ne: true } }).toArray())
      .filter((d) => d._id <= upTo)
      .sort((a, b) => a._id.localeCompare(b._id));
    const totals = { delivered: 0, failed: 0 };
    const outcomes: Outcome[] = [];
    // the next shard is read and unpacked while this one is sent: the database and the receivers work at once
    let next = this.readShard(days, 0);
    for (let shard = 0; shard < SHARDS; shard++) {
      const batches = await next;
      if (shard + 1 < SHARDS) {
        next = this.readShard(days, shard + 1);
        // a failed read is thrown when it is awaited, not as an unhandled rejection meanwhile
        next.catch(() => undefined);
      }
      for (const outcome of await this.sendShard(batches)) {
        totals[outcome.error === undefined ? 'delivered' : 'failed'] += outcome.messages;
        outcomes.push(outcome);
      }
    }
    // one write a day for the whole run (a run cut short sends again; receivers drop what they have)
    await this.record(days, outcomes);
    await Promise.all(days.map((day) => this.closeIfDone(day)));
    logger.info('GP daily batches sent', { upTo, ...totals });
    return totals;
  }

  /**
   * The waiting messages of one shard of practices: practice → day → the day's messages (each once, by
   * record and version), read a few chunks at a time.
   */
  private async readShard(days: DayDocument[], shard: number): Promise<ShardBatches> {
    const batches: ShardBatches = new Map();
    const chunks = days.flatMap((day) =>
      day.chunks.filter((id) => Number(id.split('|')[1]) === shard).map((id) => ({ day, id })),
    );
    for (let i = 0; i < chunks.length; i += PARALLEL_READS) {
      const read = await Promise.all(
        chunks.slice(i, i + PARALLEL_READS).map(async ({ day, id }) => {
          const chunk = await this.chunks.findOne({ _id: id });
          if (!chunk) return undefined;
          const [data, events] = await Promise.all([unpack(chunk.data.buffer), unpack(chunk.events.buffer)]);
          return { day, data, events: JSON.parse(events.toString('utf8')) as ChunkEvent[] };
        }),
      );
      for (const { day, data, events } of read.flatMap((r) => (r ? [r] : []))) {
        let offset = 0;
        for (const event of events) {
          const entry = data.subarray(offset, (offset += event.bytes));
          if (isDone(day.practices[key(event.practice)])) continue;
          let ofPractice = batches.get(event.practice);
          if (!ofPractice) batches.set(event.practice, (ofPractice = new Map<string, DayMessages>()));
          let ofDay = ofPractice.get(day._id);
          if (!ofDay) ofPractice.set(day._id, (ofDay = new Map() as DayMessages));
          // a message stored twice (a flush made again after a crash) goes once
          ofDay.set(`${event.immunization}/${event.version}`, { seq: event.seq, entry });
        }
      }
    }
    return batches;
  }

  /** Sends the waiting batches of one shard of practices, each practice's days in order. */
  private async sendShard(batches: ShardBatches): Promise<Outcome[]> {
    const practices = [...batches.keys()];
    const outcomes: Outcome[] = [];
    const sendPractice = async (practice: string) => {
      const ofPractice = [...batches.get(practice)!].sort(([a], [b]) => a.localeCompare(b));
      let blocked: string | undefined;
      for (const [day, messages] of ofPractice) {
        const entries = [...messages.values()].sort((a, b) => a.seq - b.seq).map((m) => m.entry);
        // an earlier day that failed holds the later ones back: each person's order is kept
        const error = blocked ?? (await this.deliver(practice, day, entries));
        if (error !== undefined) blocked = `an earlier day's batch is waiting: ${error}`;
        outcomes.push({ day, practice, messages: entries.length, ...(error !== undefined ? { error } : {}) });
      }
    };
    // a pool: each sender takes the next practice as soon as it is done, none waits for the slowest
    let next = 0;
    const sender = async () => {
      while (next < practices.length) await sendPractice(practices[next++]!);
    };
    await Promise.all(Array.from({ length: PARALLEL }, sender));
    return outcomes;
  }

  /** POSTs one practice's batch of one day; answers why it was not taken, or undefined when it was. */
  private async deliver(practice: string, day: string, entries: Buffer[]): Promise<string | undefined> {
    const endpoint = await this.endpoints.of(practice);
    if (!endpoint) return `no active endpoint for practice ${practice}`;
    // the entries stay the bytes they were stored as: a batch of a thousand is not parsed to be sent
    const id = stableUuid(`daily|${practice}|${day}|${entries.length}`);
    const pieces: Buffer[] = [Buffer.from(`{"resourceType":"Bundle","id":"${id}","type":"batch","entry":[`)];
    entries.forEach((entry, i) => {
      if (i > 0) pieces.push(COMMA);
      pieces.push(entry);
    });
    pieces.push(Buffer.from(']}'));
    try {
      const response = await post(endpoint.address.replace(/\/$/, ''), pieces);
      if (response.status < 200 || response.status > 299)
        return `practice ${practice}: HTTP ${response.status}`;
      const answer = JSON.parse(response.body) as { entry?: { response?: { status?: string } }[] };
      const failed = (answer.entry ?? []).map((e) => e.response?.status ?? '').find((s) => !/^2\d\d/.test(s));
      if (failed !== undefined || (answer.entry ?? []).length !== entries.length)
        return `practice ${practice}: an entry was answered ${failed ?? 'not at all'}`;
      return undefined;
    } catch (error) {
      return `practice ${practice}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Stores how each batch went: delivered, or one try more (and dead after the last). */
  private async record(days: DayDocument[], outcomes: Outcome[]): Promise<void> {
    const topic = { topic: this.topic };
    for (const [dayId, ofDay] of groupBy(outcomes, (o) => o.day)) {
      const day = days.find((d) => d._id === dayId)!;
      const changes: Record<string, PracticeDay> = {};
      for (const outcome of ofDay) {
        const field = key(outcome.practice);
        const before = day.practices[field] ?? { stored: outcome.messages };
        let after: PracticeDay;
        if (outcome.error === undefined) {
          after = { stored: before.stored, delivered: outcome.messages, tries: (before.tries ?? 0) + 1 };
          outboxDelivered.inc(topic, outcome.messages);
        } else {
          const tries = (before.tries ?? 0) + 1;
          after = { stored: before.stored, tries, lastError: outcome.error, dead: tries >= this.maxTries };
          outboxFailed.inc(topic, outcome.messages);
          if (after.dead) {
            outboxDead.inc(topic, outcome.messages);
            logger.warn('GP daily batch given up after its last try', {
              day: dayId,
              practice: outcome.practice,
            });
          }
        }
        day.practices[field] = after;
        changes[`practices.${field}`] = after;
      }
      // one update for the whole day: the database rewrites the day's document once, not per practice
      await this.days.updateOne({ _id: dayId }, { $set: changes });
    }
  }

  /** A day whose every batch was delivered: its chunks go, its count stays; unless more came meanwhile. */
  private async closeIfDone(day: DayDocument): Promise<void> {
    const states = Object.values(day.practices);
    if (!states.every((s) => s.delivered !== undefined)) return;
    const delivered = states.reduce((sum, s) => sum + s.delivered!, 0);
    const closed = await this.days.updateOne(
      { _id: day._id, flushes: day.flushes },
      { $set: { closed: true, delivered, chunks: [], practices: {} } },
    );
    if (closed.modifiedCount === 1) for (const id of day.chunks) await this.chunks.deleteOne({ _id: id });
  }

  /** Counts of messages by state, and the dead batches (`{day}/{practice}`): from the day documents only. */
  async status(limit = 100): Promise<OutboxStatus> {
    const counts = { pending: 0, delivered: 0, dead: 0 };
    const deadEntries: OutboxStatus['deadEntries'] = [];
    for await (const day of this.days.find({})) {
      counts.delivered += day.delivered ?? 0;
      for (const [field, state] of Object.entries(day.practices)) {
        if (state.delivered !== undefined) counts.delivered += state.delivered;
        else if (state.dead) counts.dead += state.stored;
        else counts.pending += state.stored;
        if (state.dead && deadEntries.length < limit)
          deadEntries.push({
            _id: `${day._id}/${practiceOf(field)}`,
            tries: state.tries ?? 0,
            createdAt: day._id,
            ...(state.lastError ? { lastError: state.lastError } : {}),
          });
      }
    }
    return { topic: this.topic, ...counts, deadEntries };
  }

  /** Gives dead batches (these `{day}/{practice}`, or all) a fresh set of tries; answers how many. */
  async retryDead(ids?: string[]): Promise<number> {
    let count = 0;
    for await (const day of this.days.find({ closed: { $ne: true } })) {
      const revived = Object.entries(day.practices)
        .filter(([field, state]) => state.dead && (!ids || ids.includes(`${day._id}/${practiceOf(field)}`)))
        .map(([field, state]) => [`practices.${field}`, { stored: state.stored }] as const);
      if (revived.length === 0) continue;
      await this.days.updateOne({ _id: day._id }, { $set: Object.fromEntries(revived) });
      count += revived.length;
    }
    return count;
  }
}
