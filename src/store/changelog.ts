import type { Collection, Db } from 'mongodb';

/** One stored version, in the order versions were stored: `_id` is a sequence number. */
export interface ChangeDocument {
  _id: number;
  type: string;
  id: string;
  v: number;
  ts: string;
}

interface Counter {
  _id: string;
  seq: number;
}

/**
 * The change log behind system and type history: entries are addressed by sequence number, so reading
 * it backwards or forwards is a series of `_id` lookups, fast on every store.
 */
export class ChangeLog {
  private readonly changes: Collection<ChangeDocument>;
  private readonly counters: Collection<Counter>;

  constructor(db: Db) {
    this.changes = db.collection<ChangeDocument>('changes');
    this.counters = db.collection<Counter>('counters');
  }

  async append(entry: Omit<ChangeDocument, '_id'>): Promise<number> {
    const counter = await this.counters.findOneAndUpdate(
      { _id: 'changes' },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    const seq = counter?.seq ?? 0;
    await this.changes.insertOne({ _id: seq, ...entry });
    return seq;
  }

  async remove(seq: number): Promise<void> {
    await this.changes.deleteOne({ _id: seq });
  }

  async last(): Promise<number> {
    return (await this.counters.findOne({ _id: 'changes' }))?.seq ?? 0;
  }

  /** Entries below `before`, newest first, read in batches by `_id`; sequence gaps are skipped. */
  async *backwards(before: number): AsyncGenerator<ChangeDocument> {
    const batch = 64;
    for (let top = before - 1; top >= 1; top -= batch) {
      const seqs = Array.from({ length: Math.min(batch, top) }, (_, i) => top - i);
      const docs = await Promise.all(seqs.map((seq) => this.changes.findOne({ _id: seq })));
      for (const doc of docs) if (doc) yield doc;
    }
  }
}
