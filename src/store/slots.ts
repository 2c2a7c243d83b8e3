import type { Collection } from 'mongodb';
import { groupBy } from '../shared/group.js';
import { bulkUpdate, findByIds, insertAllNew, isDuplicateKey } from './mongo-errors.js';

/**
 * A list kept as numbered documents `{key}#0`, `{key}#1`, ... Appending is an insert of the next number
 * (two writers racing for it: one insert wins), reading is a series of finds by `_id` (or lists of them).
 * Insert and find by `_id` are the only operations FerretDB 1.24 answers without reading the whole
 * collection, so such a list stays fast at any collection size. Entries are never removed, only made void.
 */
export interface SlotDocument {
  _id: string;
  id: string;
  at: Date;
  /** The server process that wrote the entry (see LiveProcesses), where one was named. */
  by?: string;
  /** Taken back (a failed transaction's): it lists nothing, but keeps its number, so lists have no gaps. */
  void?: boolean;
}

/** At most this many lookups at once, however long the list is known to be. */
const MAX_BATCH = 64;

export class Slots {
  /** Where the last read or append of a key ended: a hint only, other processes may have appended. */
  private readonly hints = new Map<string, number>();

  constructor(
    private readonly collection: Collection<SlotDocument>,
    private readonly maxHints = 200_000,
  ) {}

  private remember(key: string, length: number): void {
    if (this.hints.size >= this.maxHints) this.hints.delete(this.hints.keys().next().value!);
    this.hints.set(key, length);
  }

  /** How many entries `key` has at least, as far as this process has seen (lists only grow). */
  knownLength(key: string): number {
    return this.hints.get(key) ?? 0;
  }

  /**
   * Every entry of `key`, oldest first; stops after `limit` entries. A list of `limit` entries or more is
   * never `complete`, however the lookups fell.
   */
  async read(key: string, limit = Infinity): Promise<{ entries: SlotDocument[]; complete: boolean }> {
    const entries: SlotDocument[] = [];
    // what is known to exist and the slot after it are read in one round; an unknown key, its first two
    // (one command either way: most lists, the holders of a unique value, end there)
    const hint = this.hints.get(key);
    let batch = hint === undefined ? 2 : Math.min(hint + 1, MAX_BATCH);
    // an unknown list that goes on is read on in fours: one more round for most such lists (a person's
    // few vaccinations), at the price of a lookup or two that find nothing
    let probe = hint === undefined ? 4 : 1;
    for (;;) {
      const start = entries.length;
      const slotIds = Array.from({ length: batch }, (_, i) => `${key}#${start + i}`);
      const byId = new Map((await findByIds(this.collection, slotIds)).map((doc) => [doc._id, doc]));
      const found = slotIds.map((id) => byId.get(id) ?? null);
      const missing = found.indexOf(null);
      entries.push(...(found.slice(0, missing < 0 ? found.length : missing) as SlotDocument[]));
      if (missing >= 0) break;
      if (entries.length >= limit) return { entries, complete: false };
      // keep reading what is known to exist in large rounds, then probe beyond it in growing ones: most
      // lists (the holders of a unique value) have one entry, and every lookup costs the database
      const knownLeft = hint === undefined ? 0 : hint + 1 - entries.length;
      batch = knownLeft > 0 ? Math.min(knownLeft, MAX_BATCH) : probe;
      if (knownLeft <= 0) probe = Math.min(probe * 2, MAX_BATCH);
    }
    this.remember(key, entries.length);
    return { entries, complete: entries.length < limit };
  }

  /** Takes number `n` of `key` for `id` (by the process `by`); false when another writer took it first. */
  async insertAt(key: string, id: string, n: number, by?: string): Promise<boolean> {
    try {
      await this.collection.insertOne(slotEntry(key, n, id, by));
      this.remember(key, n + 1);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** Appends `id` at the first free number at or after `from`; returns the `_id` it took. */
  async append(key: string, id: string, from: number): Promise<string> {
    for (let n = from; ; n++) {
      if (await this.insertAt(key, id, n)) return `${key}#${n}`;
    }
  }

  /** Slots asked about since the last lookup, each with who waits for the answer. */
  private asked = new Map<
    string,
    { resolve: (taken: boolean) => void; reject: (error: unknown) => void }[]
  >();

  /**
   * Whether slot `n` of `key` is taken. The questions asked in one turn of the event loop go to the
   * database together: the ends of many lists (an invitation batch's people) are looked for at once.
   */
  private exists(key: string, n: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const id = `${key}#${n}`;
      if (this.asked.size === 0) setImmediate(() => void this.lookUpAsked());
      this.asked.set(id, [...(this.asked.get(id) ?? []), { resolve, reject }]);
    });
  }

  private async lookUpAsked(): Promise<void> {
    const asked = this.asked;
    this.asked = new Map();
    try {
      const taken = new Set(
        (await findByIds(this.collection, [...asked.keys()], { projection: { _id: 1 } })).map((d) => d._id),
      );
      for (const [id, waiting] of asked) for (const w of waiting) w.resolve(taken.has(id));
    } catch (error) {
      for (const waiting of asked.values()) for (const w of waiting) w.reject(error);
    }
  }

  /**
   * The number of entries of `key`, found in a few lookups (galloping from the hint, then bisecting);
   * `atLeast`: entries known to exist (a slot found taken), looked up no more.
   */
  async length(key: string, atLeast = 0): Promise<number> {
    let lo = this.hints.get(key) ?? 0; // a slot below `lo` is known taken (entries are never removed)
    if (lo > atLeast && !(await this.exists(key, lo - 1))) lo = 0;
    lo = Math.max(lo, atLeast);
    let step = 1;
    while (await this.exists(key, lo + step - 1)) {
      lo += step;
      step *= 2;
    }
    let hi = lo + step - 1; // slot `hi` is free
    while (hi > lo) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.exists(key, mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Appends ids known not to be listed yet (new resources) without reading the lists: each key continues
   * where this process last saw it end, or at 0 when it has not seen the key (most keys of the audit trail
   * are new). The first entry of each key goes in one insert, and the others of keys whose first went in
   * in a second, so that no list has a later entry before its entry 0 is there. Slots found taken are
   * appended after the list's real end instead. Answers the slot each entry took.
   */
  async appendNew(entries: { key: string; id: string }[]): Promise<string[]> {
    const ofKey = groupBy(
      entries.map((e, index) => ({ ...e, index })),
      (e) => e.key,
    );
    const docs: SlotDocument[] = [];
    const starts = new Map<string, number>();
    for (const [key, ofThis] of ofKey) {
      const start = this.hints.get(key) ?? 0;
      starts.set(key, start);
      ofThis.forEach(({ id, index }, k) => {
        docs[index] = slotEntry(key, start + k, id);
      });
      this.remember(key, start + ofThis.length);
    }
    try {
      return await this.insertNew(ofKey, docs, starts);
    } catch (error) {
      // the ends remembered above were not reached: a later append must not leave a gap after them
      for (const key of ofKey.keys()) this.hints.delete(key);
      throw error;
    }
  }

  /**
   * The inserts of appendNew. A key's entries from number 1 on go in the first insert; one starting at 0
   * goes in with its entry 0 alone, and the rest in a second insert once that went in. Entries found
   * taken go after their lists' real ends, found from the slots known taken, in one more insert (and
   * again for any taken meanwhile).
   */
  private async insertNew(
    ofKey: Map<string, { key: string; id: string; index: number }[]>,
    docs: SlotDocument[],
    starts: Map<string, number>,
  ): Promise<string[]> {
    const slots = docs.map((d) => d._id);
    const startsAtZero = (key: string) => starts.get(key) === 0;
    const first = [...ofKey].flatMap(([key, ofThis]) => (startsAtZero(key) ? ofThis.slice(0, 1) : ofThis));
    const takenFirst = (
      await insertAllNew(
        this.collection,
        first.map((e) => docs[e.index]!),
      )
    ).map((i) => first[i]!);
    const zeroTaken = new Set(takenFirst.filter((e) => startsAtZero(e.key)).map((e) => e.key));
    const second = [...ofKey].flatMap(([key, ofThis]) =>
      startsAtZero(key) && !zeroTaken.has(key) ? ofThis.slice(1) : [],
    );
    const takenLater = (
      await insertAllNew(
        this.collection,
        second.map((e) => docs[e.index]!),
      )
    ).map((i) => second[i]!);
    // what was found taken: each such list is at least that long
    const known = new Map<string, number>();
    const foundTaken = (key: string, slot: string) =>
      known.set(key, Math.max(known.get(key) ?? 0, numberOf(slot) + 1));
    const found = [...takenFirst, ...takenLater];
    for (const e of found) foundTaken(e.key, docs[e.index]!._id);
    let left = groupBy(
      [
        ...found,
        // after an entry 0 found taken, the rest of its key was not tried
        ...[...zeroTaken].flatMap((key) => ofKey.get(key)!.slice(1)),
      ].sort((a, b) => a.index - b.index),
      (e) => e.key,
    );
    // where this process thought these lists ended is wrong
    for (const key of left.keys()) this.hints.delete(key);
    // the rest go after each list's real end, all lists in one insert (again for any taken meanwhile)
    while (left.size > 0) {
      const ends = new Map(
        await Promise.all(
          [...left.keys()].map(async (key) => [key, await this.length(key, known.get(key))] as const),
        ),
      );
      const tried = [...left].flatMap(([key, entries]) =>
        entries.map((e, k) => ({ ...e, doc: slotEntry(key, ends.get(key)! + k, e.id) })),
      );
      for (const [key, entries] of left) this.remember(key, ends.get(key)! + entries.length);
      const refused = new Set(
        await insertAllNew(
          this.collection,
          tried.map((t) => t.doc),
        ),
      );
      tried.forEach((t, i) => {
        if (!refused.has(i)) slots[t.index] = t.doc._id;
      });
      const again = tried.filter((_, i) => refused.has(i));
      for (const t of again) foundTaken(t.key, t.doc._id);
      left = groupBy(again, (e) => e.key);
    }
    return slots;
  }

  /**
   * Takes slot 0 of each key for its id, in one insert: a first claim of a value nobody has held. Keys
   * that already have entries (known here, or found on insert) are returned: their earlier holders must
   * be checked before a claim, one by one. Keys must be distinct.
   */
  async claimFirst(entries: { key: string; id: string }[], by?: string): Promise<Set<string>> {
    const refused = new Set(entries.filter(({ key }) => (this.hints.get(key) ?? 0) > 0).map((e) => e.key));
    const fresh = entries.filter(({ key }) => !refused.has(key));
    const docs = fresh.map(({ key, id }) => slotEntry(key, 0, id, by));
    for (const index of await insertAllNew(this.collection, docs)) refused.add(fresh[index]!.key);
    for (const { key } of fresh) if (!refused.has(key)) this.remember(key, 1);
    return refused;
  }

  /**
   * Takes entries back by their exact `_id` (a failed transaction's): each stays, void, so that no list
   * gets a gap.
   */
  async remove(slotIds: string[]): Promise<void> {
    await bulkUpdate(
      this.collection,
      slotIds.map((slot) => ({ updateOne: { filter: { _id: slot }, update: { $set: { void: true } } } })),
    );
  }
}

/** Entry `n` of `key`; a claim names the process that made it (`by`), so a dead one's is known free. */
export function slotEntry(key: string, n: number, id: string, by?: string): SlotDocument {
  return { _id: `${key}#${n}`, id, at: new Date(), ...(by ? { by } : {}) };
}

/** The number of a slot, from its `_id` (`{key}#{n}`). */
const numberOf = (slot: string) => Number(slot.slice(slot.lastIndexOf('#') + 1));
