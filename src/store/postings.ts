import type { Collection } from 'mongodb';
import { fail } from '../fhir/errors.js';
import { postingKey } from '../search/criteria.js';
import { parametersOf } from '../search/parameters.js';
import { isDuplicateKey } from './mongo-errors.js';

/**
 * Postings: for selective search parameters, one document per (type, parameter, value) whose `_id` is that
 * key and whose `ids` are the matching resources. Every store finds a document by `_id` quickly, so a search
 * on these parameters never scans. Unique values (an NHS number, an Immunization identifier) are claims:
 * the first insert of the key wins.
 */
export interface PostingDocument {
  _id: string;
  ids: string[];
  unique?: boolean;
  at: Date;
}

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
    const values = (idx[param.name] as string[] | undefined) ?? [];
    for (const value of values) {
      // token postings need a system: `|code` and bare codes are searched by scan
      if (param.type === 'token' && value.startsWith('|')) continue;
      const key = postingKey(type, param.name, value);
      all.push(key);
      const system = value.slice(0, value.indexOf('|'));
      if (param.unique === 'any' || param.unique?.includes(system)) unique.add(key);
    }
  }
  return { all, unique };
}

/** A claim older than this whose holder does not exist is left over from a crashed write. */
const ABANDONED_CLAIM_MS = 60_000;

export class Postings {
  constructor(
    private readonly collection: Collection<PostingDocument>,
    /** Whether `holder` still carries the value of `key` (its current version, not deleted). */
    private readonly holds: (key: string, holder: string) => Promise<'yes' | 'no' | 'absent'>,
  ) {}

  async get(keys: string[]): Promise<Map<string, string[]>> {
    const docs = await Promise.all(keys.map((key) => this.collection.findOne({ _id: key })));
    return new Map(keys.map((key, i) => [key, docs[i]?.ids ?? []]));
  }

  /** Lists `id` under `keys`; fails with 422 when a unique key belongs to another live resource. */
  async add(keys: string[], unique: Set<string>, id: string): Promise<void> {
    const done: string[] = [];
    try {
      for (const key of keys) {
        if (unique.has(key)) await this.claim(key, id);
        else
          await this.collection.updateOne(
            { _id: key },
            { $addToSet: { ids: id }, $set: { at: new Date() } },
            { upsert: true },
          );
        done.push(key);
      }
    } catch (error) {
      await this.remove(done, id);
      throw error;
    }
  }

  async remove(keys: string[], id: string): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const doc = await this.collection.findOne({ _id: key });
        if (!doc?.ids.includes(id)) return;
        if (doc.unique) await this.collection.deleteOne({ _id: key });
        else await this.collection.updateOne({ _id: key }, { $pull: { ids: id } });
      }),
    );
  }

  private async claim(key: string, id: string, retried = false): Promise<void> {
    try {
      await this.collection.insertOne({ _id: key, ids: [id], unique: true, at: new Date() });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const existing = await this.collection.findOne({ _id: key });
    if (!existing) {
      if (retried) fail('version-conflict', 'Another request is writing the same identifier; try again');
      return this.claim(key, id, true);
    }
    const holder = existing.ids[0];
    if (holder === undefined || holder === id) return;
    const state = await this.holds(key, holder);
    const abandoned =
      state === 'no' || (state === 'absent' && Date.now() - existing.at.getTime() > ABANDONED_CLAIM_MS);
    if (!abandoned || retried) {
      const value = key.split('|').slice(2).join('|');
      fail('duplicate-identifier', `Identifier ${value} is already used by another resource`, [
        `${key.split('|')[0]}.identifier`,
      ]);
    }
    await this.collection.deleteOne({ _id: key });
    return this.claim(key, id, true);
  }
}
