import { insertAllNew } from '../store/mongo-errors.js';
/** Members a stored document holds: a national cohort is thousands of documents, never one. */
const CHUNK = 10_000;
/** The members (Patient ids) of selected cohorts, in their own collection, chunk by chunk. */
export class CohortMembers {
    collection;
    constructor(db) {
        this.collection = db.collection('cohort_members');
    }
    /** Stores a cohort's members, given as a count and slices of Patient ids, a few chunks at a time. */
    async save(groupId, members) {
        const PER_INSERT = 20;
        for (let start = 0, chunk = 0; start < members.size; start += CHUNK * PER_INSERT) {
            const docs = [];
            for (let from = start; from < Math.min(members.size, start + CHUNK * PER_INSERT); from += CHUNK, chunk++)
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
    async *read(groupId) {
        for (let chunk = 0;; chunk++) {
            const doc = await this.collection.findOne({ _id: `${groupId}/${chunk}` });
            if (!doc)
                return;
            yield* doc.patients;
        }
    }
    /**
     * Puts `to` in place of `from` in every cohort that has `from` (a merged record): one read of the
     * chunks that hold it, a write of each.
     */
    async repoint(from, to) {
        let changed = 0;
        for await (const chunk of this.collection.find({ patients: from })) {
            const patients = [...new Set(chunk.patients.map((p) => (p === from ? to : p)))];
            await this.collection.updateOne({ _id: chunk._id }, { $set: { patients } });
            changed++;
        }
        return changed;
    }
}
//# sourceMappingURL=members.js.map