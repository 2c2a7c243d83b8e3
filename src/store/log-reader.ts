import type { ChangeDocument, ChangeLog } from './changelog.js';
import { ABANDONED_WRITE_MS } from './repository.js';

/** How long a missing change log number is looked for again (a write still under way takes this long). */
const HOLE_PATIENCE_MS = 30_000;
/**
 * How often a read looks past a missing number at the end for entries beyond it; the reads between stop
 * at the first missing number (one lookup a poll when nothing was written). Only a number lost to a crash
 * stays missing, so what comes after one waits this long at most.
 */
const STEP_OVER_EVERY_MS = 5_000;

/**
 * Reads the change log forward from where it got to, for a follower of every change (the cohort index,
 * the GP message dispatcher). A number below the last one found that is not there yet (a write still
 * under way in another process) is a hole, looked for again on each read for a while, and its entry
 * handed over when it turns up.
 */
export class LogReader {
  /** The number read up to. */
  seen: number;
  /** Numbers below `seen` not found yet, with when they were first missed. */
  private holes: Map<number, number>;
  private steppedOverAt = 0;

  constructor(
    private readonly log: ChangeLog,
    from: { seen: number; holes: number[] } = { seen: 0, holes: [] },
    private readonly stepOverEveryMs = STEP_OVER_EVERY_MS,
  ) {
    this.seen = from.seen;
    this.holes = new Map(from.holes.map((seq) => [seq, Date.now()]));
  }

  /** Where it got to, to be saved and given back to a new reader. */
  get position(): { seen: number; holes: number[] } {
    return { seen: this.seen, holes: [...this.holes.keys()] };
  }

  /** Whether `seq` is below what was read and not a hole: its entry was handed over, or never will be. */
  passed(seq: number): boolean {
    return seq <= this.seen && !this.holes.has(seq);
  }

  /**
   * For an entry whose version its follower cannot read: a first version kept only as its current copy,
   * logged and its copy not stored yet. While its write may still be under way (ABANDONED_WRITE_MS) the
   * entry is handed over again on later reads, and this answers true; after that the write is taken as
   * cut off (it stored nothing) and the entry is passed over.
   */
  awaitVersion(entry: ChangeDocument): boolean {
    if (Date.now() - Date.parse(entry.ts) >= ABANDONED_WRITE_MS) return false;
    if (!this.holes.has(entry.seq)) this.holes.set(entry.seq, Date.now());
    return true;
  }

  /** The entries written since the last read, holes that turned up included, oldest first. */
  async next(): Promise<ChangeDocument[]> {
    const now = Date.now();
    const stepOver = now - this.steppedOverAt >= this.stepOverEveryMs;
    if (stepOver) this.steppedOverAt = now;
    const retried = [...this.holes.keys()];
    const [{ entries, missing, last }, found] = await Promise.all([
      this.log.forward(this.seen, stepOver ? undefined : 1),
      retried.length > 0 ? this.log.readWritten(retried) : Promise.resolve([]),
    ]);
    // the reads go in parallel, so a number may have been read before its entry was written and a later
    // one after: read again now, every entry written before the later ones were read is there (one
    // still missing was under way at the same time as they were, so none of them came after it)
    const again = missing.length > 0 ? await this.log.readWritten(missing) : [];
    const late = [...found, ...again].flatMap((doc) => (doc ? [doc] : []));
    for (const doc of late) this.holes.delete(doc.seq);
    for (const [seq, since] of this.holes) if (now - since > HOLE_PATIENCE_MS) this.holes.delete(seq);
    const foundAgain = new Set(again.flatMap((doc) => (doc ? [doc.seq] : [])));
    for (const seq of missing) if (!foundAgain.has(seq)) this.holes.set(seq, now);
    this.seen = last;
    return [...late, ...entries].sort((a, b) => a.seq - b.seq);
  }
}
