import { insertAllNew, isDuplicateKey } from './mongo-errors.js';
/** Misses in a row after which the end of the log is taken as found (numbers lost to crashes are gaps). */
const END_MISSES = 8;
/**
 * Misses in a row after which a process starting to number entries takes the end as found: more than a
 * killed process can have taken without writing (its appends under way and one batch), so that a new
 * process never numbers below what an earlier one wrote and the numbers stay in the order of writing.
 */
const START_MISSES = 2048;
/** How far from its version's time an entry is looked for: a writer appends its entry this soon. */
const NEAR_MS = 10_000;
/** Entries this process wrote that are kept in memory for the log's readers in the same process. */
const RECENT_ENTRIES = 50_000;
/**
 * How long the log's readers in this process wait for a number this process took to become current: a
 * write that failed between its steps never says so, and after this its number is read like any other.
 */
const PENDING_PATIENCE_MS = 10_000;
const logs = new WeakMap();
/**
 * The change log behind system and type history. Entries are numbered 1, 2, 3, ... and each is written by
 * inserting the next number (a number another process took first is skipped), so the log needs neither a
 * counter document nor updates, and reading it in either direction is a series of `_id` lookups. The key
 * is text because FerretDB looks up only string (and ObjectId) keys without reading the collection.
 * One instance per database in a process (`ChangeLog.of`): the entries it wrote lately are read from
 * memory by the followers of the log in the same process (cohort index, GP messages), which would
 * otherwise read each of them back, each follower once.
 */
export class ChangeLog {
    changes;
    /** The next number this process will try; found from the log on first use. */
    counter;
    starting;
    /** Entries written by this process whose versions are current, in the order they became so. */
    recent = new Map();
    /**
     * Numbers this process took for writes not yet current, with when: readers stop before them (the
     * entry comes from memory once its version is current; read earlier, it would send the reader to a
     * current copy not yet written, and to the database for what memory will hold a moment later).
     */
    pending = new Map();
    constructor(db) {
        this.changes = db.collection('changes');
    }
    static of(db) {
        let log = logs.get(db);
        if (!log) {
            log = new ChangeLog(db);
            logs.set(db, log);
        }
        return log;
    }
    /** An entry this process wrote, whose version is now current: its followers here read it from memory. */
    remember(doc) {
        this.pending.delete(doc.seq);
        this.recent.set(doc.seq, doc);
        for (const seq of this.recent.keys()) {
            if (this.recent.size <= RECENT_ENTRIES)
                break;
            this.recent.delete(seq);
        }
    }
    exists(seq) {
        return this.changes.findOne({ _id: String(seq) }, { projection: { _id: 1 } }).then((d) => d !== null);
    }
    /**
     * The highest sequence number written, found by doubling then bisecting, then stepping over gaps of
     * fewer than `reach` numbers.
     */
    async last(from = 0, reach = END_MISSES) {
        let known = from;
        if (known === 0) {
            if (!(await this.exists(1)))
                return 0;
            let step = 1;
            while (await this.exists(step * 2))
                step *= 2;
            let lo = step;
            let hi = step * 2;
            while (hi - lo > 1) {
                const mid = Math.floor((lo + hi) / 2);
                if (await this.exists(mid))
                    lo = mid;
                else
                    hi = mid;
            }
            known = lo;
        }
        for (;;) {
            const ahead = await Promise.all(Array.from({ length: reach }, (_, i) => this.exists(known + 1 + i)));
            const furthest = ahead.lastIndexOf(true);
            if (furthest < 0)
                return known;
            known += furthest + 1;
        }
    }
    async take() {
        if (this.counter === undefined) {
            this.starting ??= this.last(0, START_MISSES)
                .then((n) => {
                this.counter ??= n + 1;
            })
                .finally(() => {
                this.starting = undefined;
            });
            await this.starting;
        }
        const seq = this.counter++;
        // numbers of writes that failed between their steps are let go here when no reader does it
        if (this.pending.size > RECENT_ENTRIES)
            this.firstPending(Infinity);
        this.pending.set(seq, Date.now());
        return seq;
    }
    /** The first number from `seq` on that this process took for a write still under way (patiently). */
    firstPending(seq) {
        let first = Infinity;
        const now = Date.now();
        for (const [n, since] of this.pending) {
            if (now - since > PENDING_PATIENCE_MS)
                this.pending.delete(n);
            else if (n >= seq && n < first)
                first = n;
        }
        return first;
    }
    async append(entry) {
        for (;;) {
            const seq = await this.take();
            try {
                await this.changes.insertOne({ _id: String(seq), seq, ...entry });
                return seq;
            }
            catch (error) {
                this.pending.delete(seq);
                if (!isDuplicateKey(error))
                    throw error;
                // another process wrote this number: continue after the end it has reached
                const end = await this.last(seq);
                this.counter = Math.max(this.counter ?? 0, end + 1);
            }
        }
    }
    /**
     * Appends many entries in one insert; numbers another process took meanwhile are retried one by one.
     * Answers each entry's number.
     */
    async appendMany(entries) {
        if (entries.length === 0)
            return [];
        const first = await this.take();
        this.counter = first + entries.length;
        const docs = entries.map((entry, i) => ({ _id: String(first + i), seq: first + i, ...entry }));
        const numbers = docs.map((d) => d.seq);
        for (const seq of numbers)
            this.pending.set(seq, Date.now());
        let taken;
        try {
            taken = await insertAllNew(this.changes, docs);
        }
        catch (error) {
            for (const seq of numbers)
                this.pending.delete(seq);
            throw error;
        }
        // numbers another process took meanwhile: those entries go after the end it has reached
        for (const index of taken) {
            this.pending.delete(numbers[index]);
            numbers[index] = await this.append(entries[index]);
        }
        return numbers;
    }
    /**
     * The entries after `after`, read forward by `_id` in batches (widening while they are full) until
     * `reach` numbers in a row are missing, and the numbers below the last entry found that were missing
     * (not yet written, or lost to a crash). A reach of 1 stops at the first number missing after the
     * last entry: one lookup when nothing was written, but no step over a number lost for good.
     */
    async forward(after, reach = END_MISSES) {
        const entries = [];
        const missing = [];
        let last = after;
        let width = reach;
        for (;;) {
            // entries this process wrote are taken from memory, without lookups
            for (let doc = this.recent.get(last + 1); doc; doc = this.recent.get(last + 1)) {
                entries.push(doc);
                last = doc.seq;
            }
            // nothing is read from a number this process is still writing on: it comes from memory soon
            const before = this.firstPending(last + 1);
            const seqs = range(last + 1, Math.min(width, before - last - 1));
            if (seqs.length === 0)
                return { entries, missing, last };
            const docs = await this.read(seqs);
            let furthest = docs.length - 1;
            while (furthest >= 0 && docs[furthest] === null)
                furthest--;
            if (furthest < 0)
                return { entries, missing, last };
            docs.slice(0, furthest + 1).forEach((doc, i) => {
                if (doc)
                    entries.push(doc);
                else
                    missing.push(seqs[i]);
            });
            last = seqs[furthest];
            if (seqs.length < width)
                return { entries, missing, last };
            const trailing = width - 1 - furthest;
            if (trailing >= reach)
                return { entries, missing, last };
            // a full batch: the log goes on; one that ended early: its end is near
            width = trailing === 0 ? Math.min(width * 2, 512) : reach;
        }
    }
    /**
     * The number of the entry for this version, if the log has one. Entries are numbered in about the
     * order of their times, so it is looked for among those near `ts`: the first of them found by
     * bisection, then read forward until they are later than that.
     */
    async find(entry) {
        const at = Date.parse(entry.ts);
        const end = await this.last();
        let [lo, hi] = [1, end + 1];
        while (lo < hi) {
            const mid = Math.floor((lo + hi) / 2);
            const doc = (await this.read(range(mid, Math.min(END_MISSES, hi - mid)))).find((d) => d !== null);
            if (!doc || Date.parse(doc.ts) >= at - NEAR_MS)
                hi = mid;
            else
                lo = doc.seq + 1;
        }
        for (let seq = lo; seq <= end; seq += 64) {
            const docs = (await this.read(range(seq, Math.min(64, end - seq + 1)))).filter((d) => d !== null);
            const found = docs.find((d) => d.type === entry.type && d.id === entry.id && d.v === entry.v);
            if (found)
                return found.seq;
            if (docs.length > 0 && Date.parse(docs.at(-1).ts) > at + NEAR_MS)
                return undefined;
        }
        return undefined;
    }
    /** The entries with these numbers, null where there is none. */
    read(seqs) {
        return Promise.all(seqs.map(async (seq) => this.recent.get(seq) ?? (await this.changes.findOne({ _id: String(seq) }))));
    }
    async remove(seq) {
        this.recent.delete(seq);
        this.pending.delete(seq);
        await this.changes.deleteOne({ _id: String(seq) });
    }
    /** Entries below `before` and at or above `floor`, newest first, read in batches by `_id`; gaps are skipped. */
    async *backwards(before, floor = 1) {
        const batch = 64;
        const bottom = Math.max(1, floor);
        for (let top = before - 1; top >= bottom; top -= batch) {
            const seqs = Array.from({ length: Math.min(batch, top - bottom + 1) }, (_, i) => top - i);
            for (const doc of await this.read(seqs))
                if (doc)
                    yield doc;
        }
    }
}
/** `count` numbers from `first` on. */
const range = (first, count) => Array.from({ length: count }, (_, i) => first + i);
//# sourceMappingURL=changelog.js.map