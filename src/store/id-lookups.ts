import type { Collection, Document } from 'mongodb';
import { GroupCommit } from '../shared/group-commit.js';
import { findByIds } from './mongo-errors.js';

/** Asked for more ids than this at once, a lookup goes to the database on its own. */
const GROUP_LIMIT = 250;
/**
 * Lookups of one collection and projection under way at once. More let the database work on several
 * while the server reads the answers, but make the groups smaller; bench/crud could not tell 2 from 3 or
 * 4 (the machine's noise was larger than the difference), and 1 was a fifth slower.
 */
const PARALLEL = 2;

/**
 * Finds by `_id` in one collection. Those asked for while others are under way go to the database
 * together, as one `$in` find: under load many requests share a round trip, and each id costs the
 * database a third to a quarter of a find of its own (see findByIds). A lookup asked alone goes at once.
 * A lookup always starts after it is asked for, so it sees every write finished before it.
 */
export class IdLookups<T extends Document & { _id: string }> {
  /** Lookups wanting the same fields go together; the projection is their key. */
  private readonly projections = new Map<string, Document | undefined>();
  private readonly groups: GroupCommit<string, T | undefined>;

  constructor(private readonly collection: Collection<T>) {
    this.groups = new GroupCommit(
      async (key: string, ids: string[]) => {
        const found = await this.lookUp([...new Set(ids)], this.projections.get(key));
        // two requests asking for the same document each get their own: neither sees what the other changes
        const given = new Set<string>();
        return ids.map((id) => {
          const doc = found.get(id);
          if (!doc || !given.has(id)) {
            given.add(id);
            return doc;
          }
          return structuredClone(doc);
        });
      },
      PARALLEL,
      GROUP_LIMIT,
    );
  }

  private async lookUp(ids: string[], projection: Document | undefined): Promise<Map<string, T>> {
    const docs = await findByIds(this.collection, ids, projection ? { projection } : {});
    return new Map(docs.map((doc) => [doc._id, doc as T]));
  }

  private keyOf(projection: Document | undefined): string {
    const key = JSON.stringify(projection ?? null);
    if (!this.projections.has(key)) this.projections.set(key, projection);
    return key;
  }

  one(id: string, projection?: Document): Promise<T | undefined> {
    return this.groups.submit(this.keyOf(projection), id);
  }

  /** The documents found, in no particular order. */
  async many(ids: string[], projection?: Document): Promise<T[]> {
    const unique = [...new Set(ids)];
    if (unique.length > GROUP_LIMIT) return [...(await this.lookUp(unique, projection)).values()];
    const found = await this.groups.submitAll(this.keyOf(projection), unique);
    return found.filter((doc) => doc !== undefined);
  }
}
