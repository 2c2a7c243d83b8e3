import type { Db } from 'mongodb';
import { insertAllNew } from '../store/mongo-errors.js';

/** Members a stored document holds: a national cohort is thousands of documents, never one. */
const CHUNK = 10_000;

interface MembersDocument {
  /** `{group id}/{chunk number}`, so members are read in order by `_id` alone. */
  _id: string;
  group: string;
  chunk: number;
  patients: string[];
}

/** The members (Patient ids) of selected cohorts, in their own collection, chunk by chunk. */
export class CohortMembers {
  private readonly collection;

  constructor(db: Db) {
    this.collection = db.collection<MembersDocument>('cohort_members');
  }

  /** Stores a cohort's members, given as a count and slices of Patient ids, a few chunks at a time. */
  async save(
    groupId: string,
    members: { size: number; ids(from: number, to: number): string[] },
  ): Promise<void> {
    const PER_INSERT = 20;
    for (let start = 0, chunk = 0; start < members.size; start += CHUNK * PER_INSERT) {
      const docs: MembersDocument[] = [];
      for (
        let from = start;
        from < Math.min(members.size, start + CHUNK * PER_INSERT);
        from += CHUNK, chunk++
      )
        docs.push({
          _id: `${groupId}/${chunk}`,
          group: groupId,
          chunk,
          patients: members.ids(from, from + CHUNK),
        });
      // a chunk stored before (a save that was cut off and is done again) stays as it was
      await insertAllNew(this.collection, docs);
    }
  }

  /** A cohort's members in the order they were stored. */
  async *read(groupId: string): AsyncGenerator<string> {
    for (let chunk = 0; ; chunk++) {
      const doc = await this.collection.findOne({ _id: `${groupId}/${chunk}` });
      if (!doc) return;
      yield* doc.patients;
    }
  }

  /**
   * Puts `to` in place of `from` in every cohort that has `from` (a merged record): one read of the
   * chunks that hold it, a write of each.
   */
  async repoint(from: string, to: string): Promise<number> {
    let changed = 0;
    for await (const chunk of this.collection.find({ patients: from })) {
      const patients = [...new Set(chunk.patients.map((p) => (p === from ? to : p)))];
      await this.collection.updateOne({ _id: chunk._id }, { $set: { patients } });
      changed++;
    }
    return changed;
  }
}
