import type { Collection, Db } from 'mongodb';
import { findByIds, insertAllNew, isDuplicateKey } from './mongo-errors.js';

/** One stored version, in the order versions were stored: `_id` is a sequence number, as text. */
export interface ChangeDocument {
  _id: string;
  seq: number;
  type: string;
  id: string;
  v: number;
  ts: string;
  /** The GP practice whose own message made the version (see HistoryDocument.origin). */
  origin?: string;
  /** What the version says that the log's followers need, when its type has a describer (change-facts.ts). */
  facts?: Record<string, unknown>;
}

/** Misses in a row after which the end of the log is taken as found (numbers lost to crashes are gaps). */
const END_MISSES = 8;
/**
 * Misses in a row after which a process starting to number entries takes the end as found: more than a
 * killed process can have taken without writing (its appends under way and one batch), so that a new
 * process never numbers below what an earlier one wrote and the numbers stay in the order of writing.
 */
const START_MISSES = 2048;
/** How far from its version's time an entry is looked for: a writer appends its entry this soon. */
const NEAR_MS = 10_000;

/** Entries this process wrote that are kept in memory for the log's readers in the same process. */
const RECENT_ENTRIES = 50_000;
/**
 * How long the log's readers in this process leave a number this process took to its write: a write
 * that failed between its steps never says so, and after this its number is read like any other.
 */
const PENDING_PATIENCE_MS = 10_000;

const logs = new WeakMap<Db, ChangeLog>();

/**
 * The change log behind system and type history. Entries are numbered 1, 2, 3, ... and each is written by
 * inserting the next number (a number another process took first is skipped), so the log needs neither a
 * counter document nor updates, and reading it in either direction is a series of `_id` lookups. The key
 * is text because FerretDB looks up only string (and ObjectId) keys without reading the collection.
 * One instance per database in a process (`ChangeLog.of`): the entries it wrote lately are read from
 * memory by the followers of the log in the same process (cohort index, GP messages), which would
 * otherwise read each of them back, each follower once.
 */
export class ChangeLog {
  private readonly changes: Collection<ChangeDocument>;
  /** The next number this process will try; found from the log on first use. */
  private counter: number | undefined;
  private starting: Promise<void> | undefined;
  /**
   * Entries lately written by this process (once their versions are current) or read by it (another
   * process's, as found in the log), oldest first: each of the log's readers here takes them from
   * memory, so an entry is looked up once however many follow the log.
   */
  private readonly recent = new Map<number, ChangeDocument>();
  /**
   * Numbers this process took for writes not yet current, with when (`performance.now()`): its readers
   * pass over them as numbers still being written, without a lookup, and take each from memory once its
   * version is current. Read earlier, the entry would send them to a current copy not yet written.
   */
  private readonly pending = new Map<number, number>();

  private constructor(db: Db) {
    this.changes = db.collection<ChangeDocument>('changes');
  }

  static of(db: Db): ChangeLog {
    let log = logs.get(db);
    if (!log) {
      log = new ChangeLog(db);
      logs.set(db, log);
    }
    return log;
  }

  /** An entry this process wrote, whose version is now current: its followers here read it from memory. */
  remember(doc: ChangeDocument): void {
    this.pending.delete(doc.seq);
    this.keep(doc);
  }

  private keep(doc: ChangeDocument): void {
    this.recent.set(doc.seq, doc);
    for (const seq of this.recent.keys()) {
      if (this.recent.size <= RECENT_ENTRIES) break;
      this.recent.delete(seq);
    }
  }

  /** The entries with these numbers from memory, the others looked up together (and kept for the other readers). */
  private async entries(seqs: number[]): Promise<(ChangeDocument | null)[]> {
    const found = new Map(
      seqs.flatMap((seq) => (this.recent.has(seq) ? [[seq, this.recent.get(seq)!]] : [])),
    );
    const unknown = seqs.filter((seq) => !found.has(seq)).map(String);
    for (const doc of await findByIds(this.changes, unknown)) {
      this.keep(doc);
      found.set(doc.seq, doc);
    }
    return seqs.map((seq) => found.get(seq) ?? null);
  }

  private exists(seq: number): Promise<boolean> {
    return this.changes.findOne({ _id: String(seq) }, { projection: { _id: 1 } }).then((d) => d !== null);
  }

  /**
   * The highest sequence number written, found by doubling then bisecting, then stepping over gaps of
   * fewer than `reach` numbers.
   */
  async last(from = 0, reach = END_MISSES): Promise<number> {
    let known = from;
    if (known === 0) {
      if (!(await this.exists(1))) return 0;
      let step = 1;
      while (await this.exists(step * 2)) step *= 2;
      let lo = step;
      let hi = step * 2;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await this.exists(mid)) lo = mid;
        else hi = mid;
      }
      known = lo;
    }
    for (;;) {
      // the numbers ahead in one lookup: another process appending meanwhile makes this run often
      const ahead = await findByIds(this.changes, range(known + 1, reach).map(String), {
        projection: { _id: 1 },
      });
      const furthest = Math.max(known, ...ahead.map((doc) => Number(doc._id)));
      if (furthest === known) return known;
      known = furthest;
    }
  }

  /** Takes `count` numbers in a row for this process's writes. */
  private async take(count = 1): Promise<number> {
    if (this.counter === undefined) {
      this.starting ??= this.last(0, START_MISSES)
        .then((n) => {
          this.counter ??= n + 1;
        })
        .finally(() => {
          this.starting = undefined;
        });
      await this.starting;
    }
    // from here on nothing waits: no other caller can take the same numbers
    const first = this.counter!;
    this.counter = first + count;
    const now = performance.now();
    // numbers of writes that failed between their steps are let go here when no reader does it
    if (this.pending.size > RECENT_ENTRIES)
      for (const [seq, since] of this.pending)
        if (now - since > PENDING_PATIENCE_MS) this.pending.delete(seq);
    for (let seq = first; seq < first + count; seq++) this.pending.set(seq, now);
    return first;
  }

  /** Whether this process took `seq` for a write still under way (for at most PENDING_PATIENCE_MS). */
  private isPending(seq: number): boolean {
    const since = this.pending.get(seq);
    if (since === undefined) return false;
    if (performance.now() - since <= PENDING_PATIENCE_MS) return true;
    this.pending.delete(seq);
    return false;
  }

  async append(entry: Omit<ChangeDocument, '_id' | 'seq'>): Promise<number> {
    for (;;) {
      const seq = await this.take();
      try {
        await this.changes.insertOne({ _id: String(seq), seq, ...entry });
        return seq;
      } catch (error) {
        this.pending.delete(seq);
        if (!isDuplicateKey(error)) throw error;
        // another process wrote this number: continue after the end it has reached
        const end = await this.last(seq);
        this.counter = Math.max(this.counter ?? 0, end + 1);
      }
    }
  }

  /**
   * Appends many entries in one insert; numbers another process took meanwhile are retried one by one.
   * Answers each entry's number.
   */
  async appendMany(entries: Omit<ChangeDocument, '_id' | 'seq'>[]): Promise<number[]> {
    if (entries.length === 0) return [];
    const first = await this.take(entries.length);
    const docs = entries.map((entry, i) => ({ _id: String(first + i), seq: first + i, ...entry }));
    const numbers = docs.map((d) => d.seq);
    let taken: number[];
    try {
      taken = await insertAllNew(this.changes, docs);
    } catch (error) {
      for (const seq of numbers) this.pending.delete(seq);
      throw error;
    }
    if (taken.length === 0) return numbers;
    // numbers another process took meanwhile: those entries go together after the end it has reached
    for (const index of taken) this.pending.delete(numbers[index]!);
    const end = await this.last(Math.max(...taken.map((index) => numbers[index]!)));
    this.counter = Math.max(this.counter ?? 0, end + 1);
    const again = await this.appendMany(taken.map((index) => entries[index]!));
    taken.forEach((index, i) => (numbers[index] = again[i]!));
    return numbers;
  }

  /**
   * The entries after `after`, read forward by `_id` in batches (widening while they are full) until
   * `reach` numbers in a row are missing, and the numbers below the last entry found that were missing
   * (not yet written, or lost to a crash). A reach of 1 stops at the first number missing after the
   * last entry: one lookup when nothing was written, but no step over a number lost for good. A number
   * this process is still writing counts as missing, but not towards `reach`: the log goes on after it.
   */
  async forward(
    after: number,
    reach = END_MISSES,
  ): Promise<{ entries: ChangeDocument[]; missing: number[]; last: number }> {
    const entries: ChangeDocument[] = [];
    const missing: number[] = [];
    let last = after;
    let width = reach;
    for (;;) {
      // entries this process wrote are taken from memory, without lookups
      for (let doc = this.recent.get(last + 1); doc; doc = this.recent.get(last + 1)) {
        entries.push(doc);
        last = doc.seq;
      }
      const seqs = this.toLookUp(last + 1, width);
      const docs = await this.readWritten(seqs);
      const goesOn = (i: number) => docs[i] !== null || this.isPending(seqs[i]!);
      let furthest = docs.length - 1;
      while (furthest >= 0 && !goesOn(furthest)) furthest--;
      if (furthest < 0) return { entries, missing, last };
      docs.slice(0, furthest + 1).forEach((doc, i) => {
        if (doc) entries.push(doc);
        else missing.push(seqs[i]!);
      });
      last = seqs[furthest]!;
      const trailing = seqs.length - 1 - furthest;
      if (trailing >= reach) return { entries, missing, last };
      // a full batch: the log goes on; one that ended early: its end is near
      width = trailing === 0 ? Math.min(width * 2, 512) : reach;
    }
  }

  /**
   * Numbers from `first` on, as many as hold `lookups` numbers to look up: numbers this process is still
   * writing and entries it holds in memory are passed on the way without counting. A bulk write under way
   * holds thousands of numbers; counted, they would widen the batch and send its lookups past the end.
   */
  private toLookUp(first: number, lookups: number): number[] {
    const seqs: number[] = [];
    for (let seq = first, left = lookups; left > 0; seq++) {
      seqs.push(seq);
      if (!this.isPending(seq) && !this.recent.has(seq)) left--;
    }
    return seqs;
  }

  /**
   * The number of the entry for this version, if the log has one. Entries are numbered in about the
   * order of their times, so it is looked for among those near `ts`: the first of them found by
   * bisection, then read forward until they are later than that.
   */
  async find(entry: Omit<ChangeDocument, '_id' | 'seq'>): Promise<number | undefined> {
    const at = Date.parse(entry.ts);
    const end = await this.last();
    let [lo, hi] = [1, end + 1];
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const doc = (await this.read(range(mid, Math.min(END_MISSES, hi - mid)))).find((d) => d !== null);
      if (!doc || Date.parse(doc.ts) >= at - NEAR_MS) hi = mid;
      else lo = doc.seq + 1;
    }
    for (let seq = lo; seq <= end; seq += 64) {
      const docs = (await this.read(range(seq, Math.min(64, end - seq + 1)))).filter((d) => d !== null);
      const found = docs.find((d) => d.type === entry.type && d.id === entry.id && d.v === entry.v);
      if (found) return found.seq;
      if (docs.length > 0 && Date.parse(docs.at(-1)!.ts) > at + NEAR_MS) return undefined;
    }
    return undefined;
  }

  /**
   * The entries with these numbers as the log's readers in this process see them: null where there is
   * none, and, without a lookup, where this process is still writing one.
   */
  async readWritten(seqs: number[]): Promise<(ChangeDocument | null)[]> {
    const written = await this.entries(seqs.filter((seq) => !this.isPending(seq)));
    const bySeq = new Map(written.flatMap((doc) => (doc ? [[doc.seq, doc]] : [])));
    return seqs.map((seq) => bySeq.get(seq) ?? null);
  }

  /** The entries with these numbers, null where there is none. */
  read(seqs: number[]): Promise<(ChangeDocument | null)[]> {
    return this.entries(seqs);
  }

  async remove(seq: number): Promise<void> {
    this.recent.delete(seq);
    this.pending.delete(seq);
    await this.changes.deleteOne({ _id: String(seq) });
  }

  /**
   * The number of the newest entry below `before` whose version's time is earlier than `time` (epoch
   * ms), looking back over at most `limit` entries; the one below the lowest looked at when none is.
   */
  async loggedBefore(time: number, before: number, limit: number): Promise<number> {
    const floor = Math.max(1, before - limit);
    for await (const entry of this.backwards(before, floor))
      if (Date.parse(entry.ts) < time) return entry.seq;
    return floor - 1;
  }

  /** Entries below `before` and at or above `floor`, newest first, read in batches by `_id`; gaps are skipped. */
  async *backwards(before: number, floor = 1): AsyncGenerator<ChangeDocument> {
    const batch = 64;
    const bottom = Math.max(1, floor);
    for (let top = before - 1; top >= bottom; top -= batch) {
      const seqs = Array.from({ length: Math.min(batch, top - bottom + 1) }, (_, i) => top - i);
      for (const doc of await this.read(seqs)) if (doc) yield doc;
    }
  }
}

/** `count` numbers from `first` on. */
const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);
