import { randomUUID } from 'node:crypto';
import { Binary } from 'mongodb';
import { AreaTree } from './areas.js';
import { CohortIndex } from './index.js';
/** Bytes a part holds: well under the 16 MiB a document may have. */
const PART_BYTES = 4 * 1024 * 1024;
/**
 * Snapshots of the cohort index in the database, so that a server starts from a few large documents
 * and the change log after them instead of reading every person. A snapshot is written under a new
 * generation, then the head is pointed at it, then the old one is removed; a reader that finds a part
 * missing (a newer snapshot replaced it meanwhile) builds from scratch instead.
 */
export class CohortSnapshots {
    collection;
    constructor(db) {
        this.collection = db.collection('cohort_snapshots');
    }
    async save(state) {
        const { meta, data } = state.index.snapshot();
        const description = Buffer.from(JSON.stringify({ index: meta, areas: state.areas.snapshot() }));
        const whole = Buffer.concat([description, data]);
        const generation = randomUUID();
        const parts = Math.ceil(whole.length / PART_BYTES);
        for (let k = 0; k < parts; k++)
            await this.collection.insertOne({
                _id: `${generation}/${k}`,
                data: new Binary(whole.subarray(k * PART_BYTES, (k + 1) * PART_BYTES)),
            });
        const previous = (await this.collection.findOne({ _id: 'head' }));
        const head = {
            _id: 'head',
            generation,
            seen: state.seen,
            holes: state.holes,
            parts,
            metaBytes: description.length,
            savedAt: new Date().toISOString(),
        };
        await this.collection.replaceOne({ _id: 'head' }, head, { upsert: true });
        for (let k = 0; k < (previous?.parts ?? 0); k++)
            await this.collection.deleteOne({ _id: `${previous.generation}/${k}` });
    }
    /** The latest snapshot, or undefined when there is none, it is incomplete, or of another version. */
    async load() {
        const head = (await this.collection.findOne({ _id: 'head' }));
        if (!head)
            return undefined;
        const chunks = [];
        for (let k = 0; k < head.parts; k++) {
            const part = (await this.collection.findOne({ _id: `${head.generation}/${k}` }));
            if (!part)
                return undefined;
            chunks.push(Buffer.from(part.data.buffer));
        }
        const whole = Buffer.concat(chunks);
        const { index: meta, areas } = JSON.parse(whole.subarray(0, head.metaBytes).toString());
        const index = CohortIndex.restore(meta, whole.subarray(head.metaBytes));
        if (!index)
            return undefined;
        return {
            index,
            areas: AreaTree.restore(areas),
            seen: head.seen,
            holes: head.holes,
            savedAt: head.savedAt,
        };
    }
}
//# sourceMappingURL=snapshots.js.map