import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import { parametersOf } from '../search/parameters.js';
import { logger } from '../shared/logger.js';
import type { MongoRepository } from './mongo-repository.js';

/** Raise when the way index-values.ts stores values changes, so every type is indexed again. */
const INDEX_FORMAT = 3;
const PROGRESS_EVERY_MS = 10_000;
/** Each type's fingerprint, as its values were last worked out. */
const MARKS = 'search_parameters';

interface IndexedWith {
  /** The resource type. */
  _id: string;
  fingerprint: string;
  at: Date;
}

/** What a type's stored search values were worked out with: its parameter table (rules included). */
export function fingerprintOf(type: string): string {
  const table = parametersOf(type).map((p) => [
    p.name,
    p.type,
    p.expression,
    p.derive ? String(p.derive) : '',
    p.posting ?? false,
    p.unique ?? '',
  ]);
  return createHash('sha256')
    .update(JSON.stringify([INDEX_FORMAT, table]))
    .digest('hex');
}

/** Records that the stored search values of `type` are those its parameter table makes now. */
export async function markIndexed(db: Db, type: string): Promise<void> {
  await db
    .collection<IndexedWith>(MARKS)
    .replaceOne({ _id: type }, { fingerprint: fingerprintOf(type), at: new Date() }, { upsert: true });
}

/**
 * Keeps stored search values in step with the parameter table: at start, each type whose table changed
 * since its values were stored (a new parameter, a changed rule) is indexed again in the background, and
 * then marked with the new fingerprint. Until then a search on a new parameter misses older resources,
 * which for the programme narrowing of access means showing less, never more.
 */
export class SearchValues {
  private readonly marks;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly repository: MongoRepository,
  ) {
    this.marks = db.collection<IndexedWith>(MARKS);
  }

  /** Types still being indexed again (empty once all are done). */
  readonly pending = new Set<string>();

  /** Finds the types to index again and starts doing so; resolves once that work has started. */
  async start(types: string[]): Promise<void> {
    const marks = new Map((await this.marks.find({}).toArray()).map((m) => [m._id, m.fingerprint]));
    const changed = types.filter((t) => marks.get(t) !== fingerprintOf(t));
    // a type with nothing stored has nothing to work out again: it is marked at once
    const empty = await Promise.all(changed.map(async (t) => !(await this.repository.holdsAny(t))));
    for (const type of changed.filter((_, i) => empty[i])) await this.mark(type);
    const stale = changed.filter((_, i) => !empty[i]);
    for (const type of stale) this.pending.add(type);
    if (stale.length > 0) this.running = this.reindex(stale);
  }

  /** Waits for the work started to end (tests). */
  async settled(): Promise<void> {
    await this.running;
  }

  /** Stops between two batches; the types not finished are taken up again at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async mark(type: string): Promise<void> {
    await markIndexed(this.db, type);
  }

  private async reindex(types: string[]): Promise<void> {
    for (const type of types) {
      if (this.stopping) return;
      const started = Date.now();
      let last = started;
      try {
        const changed = await this.repository.reindex(type, (read) => {
          if (this.stopping) throw new Error('the server is stopping');
          if (Date.now() - last < PROGRESS_EVERY_MS) return;
          last = Date.now();
          logger.info('search values being worked out again', { type, read });
        });
        await this.mark(type);
        if (changed > 0)
          logger.info('search values worked out again', { type, changed, ms: Date.now() - started });
      } catch (error) {
        // the next start tries again; searches meanwhile see the values stored before
        if (!this.stopping)
          logger.error('search values could not be worked out again', { type, error: String(error) });
      } finally {
        this.pending.delete(type);
      }
    }
  }
}
