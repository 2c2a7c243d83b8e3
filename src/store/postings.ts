import type { Collection } from 'mongodb';
import { fail } from '../fhir/errors.js';
import { postingKey } from '../search/criteria.js';
import { valuesOf } from '../search/index-values.js';
import { parametersOf, type SearchParamDef } from '../search/parameters.js';
import type { LiveProcesses } from './processes.js';
import { Slots, type SlotDocument } from './slots.js';

/**
 * Postings: for selective search parameters, a list per (type, parameter, value) of the resources that had
 * that value, kept as slots addressed by `_id` (see slots.ts). Entries are never removed: a resource that
 * no longer has the value stays listed, and every search re-checks each candidate's current version, so
 * an extra entry costs a lookup, never a wrong answer. Unique values (an NHS number, an Immunization
 * identifier) admit a new holder only when no live resource holds the value.
 */
export interface PostingKeys {
  all: string[];
  unique: Set<string>;
}

/** Keys a resource with these search values is listed under. */
export function postingKeysOf(type: string, idx: Record<string, unknown>): PostingKeys {
  const all: string[] = [];
  const unique = new Set<string>();
  for (const param of parametersOf(type)) {
    if (!param.posting) continue;
    const values = valuesOf(idx, param.name);
    const claimed = valuesOf(idx, `${param.name}:unique`);
    for (const value of values) {
      // token postings need a system: `|code` and bare codes are searched by scan
      if (param.type === 'token' && value.startsWith('|')) continue;
      const key = postingKey(type, param.name, value);
      // parameters of one expression share a list (see postingKey)
      if (all.includes(key)) continue;
      all.push(key);
      if (isUniqueValue(param, value) && claimed.includes(value)) unique.add(key);
    }
  }
  return { all, unique };
}

function isUniqueValue(param: SearchParamDef, value: string): boolean {
  return param.unique === 'any' || (param.unique?.includes(value.slice(0, value.indexOf('|'))) ?? false);
}

function isUniqueKey(key: string): boolean {
  const [type, name] = key.split('|') as [string, string];
  const param = parametersOf(type).find((p) => p.name === name);
  return param !== undefined && isUniqueValue(param, key.slice(type.length + name.length + 2));
}

/**
 * A holder that does not exist yet may be a write in progress, unless the process that claimed for it
 * died; after this long it is an abandoned one in any case.
 */
const ABANDONED_CLAIM_MS = 60_000;
/** A key listing this many resources or more is not selective: searches on it read the collection instead. */
export const MAX_POSTING_ENTRIES = 1000;

export type Holding = 'yes' | 'no' | 'absent';

/** Unique values whose holder is remembered (an NHS number looked up again answers from memory). */
const MAX_REMEMBERED_HOLDERS = 1_000_000;

export class Postings {
  private readonly slots: Slots;
  /** Last known holder of each unique key: a hint that searches re-check, never an answer on its own. */
  private readonly holders = new Map<string, string>();

  constructor(
    collection: Collection<SlotDocument>,
    /**
     * Whether `holder`'s current version carries the value of `key`; `writerGone` when the process that
     * was writing it died (a version it stored is completed at once, not after a delay).
     */
    private readonly holds: (key: string, holder: string, writerGone: boolean) => Promise<Holding>,
    /** This server process and the others still alive, when known: a claim by a dead one is free. */
    private readonly processes?: Pick<LiveProcesses, 'self' | 'alive'>,
  ) {
    this.slots = new Slots(collection);
  }

  /**
   * Ids listed under each key; undefined for a key with too many entries to be worth reading. With
   * `useCache`, a unique key answers with its last known holder without a read (`cached` says so): the
   * caller re-checks the holder and asks again without the cache when the holder let the value go.
   */
  async get(
    keys: string[],
    useCache = false,
  ): Promise<{ lists: Map<string, string[] | undefined>; cached: boolean }> {
    let cached = false;
    const lists = await Promise.all(
      keys.map(async (key) => {
        const holder = useCache ? this.holders.get(key) : undefined;
        if (holder !== undefined) {
          cached = true;
          return [holder];
        }
        const { entries, complete } = await this.slots.read(key, MAX_POSTING_ENTRIES);
        if (!complete) return undefined;
        const ids = [...new Set(entries.flatMap((e) => (e.void ? [] : [e.id])))];
        // one holder is remembered; a value some hold as `old` (a merged record) is read each time
        if (ids.length === 1 && isUniqueKey(key)) this.remember(key, ids[0]!);
        return ids;
      }),
    );
    return { lists: new Map(keys.map((key, i) => [key, lists[i]])), cached };
  }

  private remember(key: string, holder: string): void {
    if (this.holders.size >= MAX_REMEMBERED_HOLDERS && !this.holders.has(key)) {
      this.holders.delete(this.holders.keys().next().value!);
    }
    this.holders.set(key, holder);
  }

  /**
   * Lists `id` under `keys`; fails with 422 when a unique key belongs to another live resource.
   * Returns the slots written, so a failed transaction can take them back.
   */
  async add(keys: string[], unique: Set<string>, id: string): Promise<string[]> {
    const written: string[] = [];
    for (const key of keys) {
      const slot = unique.has(key) ? await this.claim(key, id) : await this.list(key, id);
      if (slot) written.push(slot);
    }
    return written;
  }

  /**
   * Lists resources under keys they were not listed under (a new resource's keys, or the keys a new
   * version adds), in bulk: values nobody has held are claimed in one insert, other keys appended in
   * another, without reading the lists (an entry listed again costs searches a repeated id, never a wrong
   * answer). Answers the ids refused, which take the one-by-one path (`add`): a unique value someone held
   * before, where earlier holders are checked (claims they did make stay theirs, and that path finds them
   * so), or a unique value an earlier item of the same call claims. Answers also the slots written for
   * each of the others, so a failed transaction can take them back.
   */
  async addMany(
    items: { id: string; keys: PostingKeys }[],
  ): Promise<{ refused: Set<string>; slots: Map<string, string[]> }> {
    const refused = new Set<string>();
    const claimed = new Set<string>();
    for (const { id, keys } of items) {
      if ([...keys.unique].some((key) => claimed.has(key))) refused.add(id);
      for (const key of keys.unique) claimed.add(key);
    }
    const claims = items
      .filter(({ id }) => !refused.has(id))
      .flatMap(({ id, keys }) => [...keys.unique].map((key) => ({ key, id })));
    const refusedKeys = await this.slots.claimFirst(claims, this.processes?.self);
    for (const claim of claims) if (refusedKeys.has(claim.key)) refused.add(claim.id);
    const slots = new Map<string, string[]>();
    for (const { key, id } of claims) {
      if (refused.has(id)) continue;
      this.remember(key, id);
      slots.set(id, [...(slots.get(id) ?? []), `${key}#0`]);
    }
    const listed = items
      .filter(({ id }) => !refused.has(id))
      .flatMap(({ id, keys }) => keys.all.filter((key) => !keys.unique.has(key)).map((key) => ({ key, id })));
    const taken = await this.addNew(listed);
    listed.forEach(({ id }, i) => {
      const slot = taken[i];
      if (slot) slots.set(id, [...(slots.get(id) ?? []), slot]);
    });
    return { refused, slots };
  }

  /**
   * Lists new resources (ones that cannot be listed yet) under non-unique keys, without reading the lists;
   * answers the slot each entry took (none for a list left alone). A list known to hold
   * MAX_POSTING_ENTRIES already (the audit events of a record read thousands of times) gets no more:
   * searches never read past that many, and lists only grow, so its key is searched by reading the
   * collection from then on whatever is added.
   */
  async addNew(entries: { key: string; id: string }[]): Promise<(string | undefined)[]> {
    const wanted = entries.filter(({ key }) => this.slots.knownLength(key) < MAX_POSTING_ENTRIES);
    const taken = wanted.length > 0 ? await this.slots.appendNew(wanted) : [];
    const slotOf = new Map(wanted.map((entry, i) => [entry, taken[i]]));
    return entries.map((entry) => slotOf.get(entry));
  }

  async remove(slotIds: string[]): Promise<void> {
    await this.slots.remove(slotIds);
  }

  private async list(key: string, id: string): Promise<string | undefined> {
    // a unique value listed without a claim (kept as `old`) has more than the one holder now
    this.holders.delete(key);
    const { entries } = await this.slots.read(key);
    if (entries.some((e) => e.id === id && !e.void)) return undefined;
    return this.slots.append(key, id, entries.length);
  }

  private async claim(key: string, id: string): Promise<string | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { entries } = await this.slots.read(key);
      const last = entries.filter((e) => !e.void).at(-1);
      if (last?.id === id) return undefined;
      for (const entry of entries) {
        if (entry.id === id || entry.void) continue;
        // a claim by a process that died will be written no further: what it got to is completed now
        const claimantGone =
          entry.by !== undefined && this.processes !== undefined && !(await this.processes.alive(entry.by));
        const state = await this.holds(key, entry.id, claimantGone);
        const inFlight =
          state === 'absent' && !claimantGone && Date.now() - entry.at.getTime() < ABANDONED_CLAIM_MS;
        // the value itself is not repeated in either answer: it may be a person's NHS number
        const [type, param] = key.split('|') as [string, string];
        if (state === 'yes')
          fail('duplicate-identifier', `Another ${type} already holds this ${param} value`, [
            `${type}.${param}`,
          ]);
        if (inFlight)
          fail(
            'version-conflict',
            `Another request is storing a ${type} with this ${param} value; try again shortly`,
            [`${type}.${param}`],
          );
      }
      if (await this.slots.insertAt(key, id, entries.length, this.processes?.self)) {
        this.remember(key, id);
        return `${key}#${entries.length}`;
      }
      // another claim landed between our read and our insert: look again at who holds the value
    }
    fail('version-conflict', 'Other requests are writing the same identifier; try again');
  }
}
