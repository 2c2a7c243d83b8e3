import type { Collection } from 'mongodb';
import { groupBy } from '../shared/group.js';
import { bulkUpdate, insertAllNew, isDuplicateKey } from './mongo-errors.js';

/**
 * A list kept as numbered documents `{key}#0`, `{key}#1`, ... Appending is an insert of the next number
 * (two writers racing for it: one insert wins), reading is a series of finds by `_id`. Insert and find by
 * `_id` are the only operations FerretDB 1.24 answers without reading the whole collection, so such a
 * list stays fast at any collection size. Entries are never removed.
 */
export interface SlotDocument {
  _id: string;
  id: string;
  at: Date;
  /** The server process that wrote the entry (see LiveProcesses), where one was named. */
  by?: string;
  /**
   * On entry 0 only: true when it was written as the list's only entry. A writer of entry 1 sets it
   * false first, so a reader that finds it true has the whole list in one lookup (most lists, the
   * holders of a unique value, have one entry). Absent says nothing, and the reader looks further.
   */
  only?: boolean;
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

  /** Every entry of `key`, oldest first; stops after `limit` entries (then `complete` is false). */
  async read(key: string, limit = Infinity): Promise<{ entries: SlotDocument[]; complete: boolean }> {
    const entries: SlotDocument[] = [];
    // what is known to exist and the slot after it are read in one parallel round; an unknown key, one slot
    const hint = this.hints.get(key);
    let batch = hint === undefined ? 1 : Math.min(hint + 1, MAX_BATCH);
    let probe = 1;
    for (;;) {
      const start = entries.length;
      const found = await Promise.all(
        Array.from({ length: batch }, (_, i) => this.collection.findOne({ _id: `${key}#${start + i}` })),
      );
      const missing = found.indexOf(null);
      entries.push(...(found.slice(0, missing < 0 ? found.length : missing) as SlotDocument[]));
      if (missing >= 0 || (entries.length === 1 && entries[0]!.only === true)) break;
      if (entries.length >= limit) return { entries, complete: false };
      // keep reading what is known to exist in large rounds, then probe beyond it in growing ones: most
      // lists (the holders of a unique value) have one entry, and every lookup costs the database
      const knownLeft = hint === undefined ? 0 : hint + 1 - entries.length;
      batch = knownLeft > 0 ? Math.min(knownLeft, MAX_BATCH) : probe;
      if (knownLeft <= 0) probe = Math.min(probe * 2, MAX_BATCH);
    }
    this.remember(key, entries.length);
    return { entries, complete: true };
  }

  /** Takes number `n` of `key` for `id` (by the process `by`); false when another writer took it first. */
  async insertAt(key: string, id: string, n: number, by?: string): Promise<boolean> {
    if (n === 1) await this.notOnly([key]);
    try {
      await this.collection.insertOne(entry(key, n, id, by, n === 0));
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

  /** Entry 0 of each key is no longer the only one: said before entry 1 is written. */
  private async notOnly(keys: string[]): Promise<void> {
    await bulkUpdate(
      this.collection,
      keys.map((key) => ({ updateOne: { filter: { _id: `${key}#0` }, update: { $set: { only: false } } } })),
    );
  }

  private async exists(key: string, n: number): Promise<boolean> {
    const doc = await this.collection.findOne({ _id: `${key}#${n}` }, { projection: { _id: 1 } });
    return doc !== null;
  }

  /** The number of entries of `key`, found in a few lookups (galloping from the hint, then bisecting). */
  async length(key: string): Promise<number> {
    let lo = this.hints.get(key) ?? 0; // a slot below `lo` is known taken (entries are never removed)
    if (lo > 0 && !(await this.exists(key, lo - 1))) lo = 0;
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
   * in a second: a taken entry 0 may say it is the only one, and nothing may follow it while it says so.
   * Slots found taken are appended after the list's real end instead. Answers the slot each entry took.
   */
  async appendNew(entries: { key: string; id: string }[]): Promise<string[]> {
    const ofKey = groupBy(
      entries.map((e, index) => ({ ...e, index })),
      (e) => e.key,
    );
    const docs: SlotDocument[] = [];
    for (const [key, ofThis] of ofKey) {
      const start = this.hints.get(key) ?? 0;
      ofThis.forEach(({ id, index }, k) => {
        docs[index] = entry(key, start + k, id, undefined, start === 0 && ofThis.length === 1);
      });
      this.remember(key, start + ofThis.length);
    }
    const slots = docs.map((d) => d._id);
    const firsts = [...ofKey.values()].map((ofThis) => ofThis[0]!);
    await this.notOnly(firsts.filter((e) => docs[e.index]!._id.endsWith('#1')).map((e) => e.key));
    const refused = new Set(
      (
        await insertAllNew(
          this.collection,
          firsts.map((e) => docs[e.index]!),
        )
      ).map((i) => firsts[i]!.key),
    );
    const rest = [...ofKey.values()].flatMap((ofThis) =>
      refused.has(ofThis[0]!.key) ? [] : ofThis.slice(1),
    );
    const retry = new Map<string, number[]>();
    for (const { key, index } of [...ofKey.values()].flat())
      if (refused.has(key)) retry.set(key, [...(retry.get(key) ?? []), index]);
    for (const i of await insertAllNew(
      this.collection,
      rest.map((e) => docs[e.index]!),
    )) {
      const { key, index } = rest[i]!;
      retry.set(key, [...(retry.get(key) ?? []), index]);
    }
    await Promise.all(
      [...retry].map(async ([key, indexes]) => {
        this.hints.delete(key);
        let from = await this.length(key);
        for (const index of indexes.sort((a, b) => a - b)) {
          const slot = await this.append(key, entries[index]!.id, from);
          slots[index] = slot;
          from = Number(slot.slice(slot.lastIndexOf('#') + 1)) + 1;
        }
      }),
    );
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
    const docs = fresh.map(({ key, id }) => entry(key, 0, id, by, true));
    for (const index of await insertAllNew(this.collection, docs)) refused.add(fresh[index]!.key);
    for (const { key } of fresh) if (!refused.has(key)) this.remember(key, 1);
    return refused;
  }

  /** Removes entries by their exact `_id` (only to take back a failed transaction). */
  async remove(slotIds: string[]): Promise<void> {
    await Promise.all(slotIds.map((slot) => this.collection.deleteOne({ _id: slot })));
    for (const slot of slotIds) this.hints.delete(slot.slice(0, slot.lastIndexOf('#')));
  }
}

/** Entry `n` of `key`; a claim names the process that made it (`by`), so a dead one's is known free. */
function entry(key: string, n: number, id: string, by?: string, only?: boolean): SlotDocument {
  return { _id: `${key}#${n}`, id, at: new Date(), ...(by ? { by } : {}), ...(only ? { only } : {}) };
}
