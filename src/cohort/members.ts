import type { Db } from 'mongodb';

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

  /** Stores a cohort's members; answers how many chunks they took. */
  async save(groupId: string, patientIds: string[]): Promise<number> {
    const docs: MembersDocument[] = [];
    for (let start = 0; start < patientIds.length; start += CHUNK)
      docs.push({
        _id: `${groupId}/${docs.length}`,
        group: groupId,
        chunk: docs.length,
        patients: patientIds.slice(start, start + CHUNK),
      });
    for (let start = 0; start < docs.length; start += 20)
      await this.collection.insertMany(docs.slice(start, start + 20), { ordered: false });
    return docs.length;
  }

  /** A cohort's members in the order they were stored. */
  async *read(groupId: string): AsyncGenerator<string> {
    for (let chunk = 0; ; chunk++) {
      const doc = await this.collection.findOne({ _id: `${groupId}/${chunk}` });
      if (!doc) return;
      yield* doc.patients;
    }
  }
}
