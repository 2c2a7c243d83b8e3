import { PROGRAMMES } from './programmes.js';
/** Days are kept from 1 January 1900 (day -25567), in 18 bits: until the year 2617. */
const DAY_BASE = -25_567;
const DAY_BITS = 18;
const MAX_DOSE_NUMBER = 31;
/** A person's list stops growing here: past it, the person is suspect anyway (too many doses). */
const MAX_DOSES = 255;
function pack(programme, dose) {
    const day = Math.min((1 << DAY_BITS) - 1, Math.max(0, dose.day - DAY_BASE));
    const number = Math.min(MAX_DOSE_NUMBER, dose.doseNumber ?? 0);
    return (day | (programme << DAY_BITS) | (number << 20) | ((dose.mismatch ? 1 : 0) << 25)) >>> 0;
}
function unpack(packed) {
    const number = (packed >>> 20) & MAX_DOSE_NUMBER;
    return {
        programmes: [PROGRAMMES[(packed >>> DAY_BITS) & 3].code],
        day: (packed & ((1 << DAY_BITS) - 1)) + DAY_BASE,
        ...(number > 0 ? { doseNumber: number } : {}),
        mismatch: ((packed >>> 25) & 1) === 1,
    };
}
function grown(old, atLeast) {
    let size = Math.max(old.length, 1024);
    while (size < atLeast)
        size *= 2;
    if (size === old.length)
        return old;
    const next = new old.constructor(size);
    next.set(old);
    return next;
}
/**
 * Every person's vaccinations given, as the anomaly rules need them: one 32-bit number per dose and
 * programme (day, programme, dose number, product against another disease), in one pool, each person's
 * doses side by side. A person whose list changes gets a new place at the end; the old places are
 * reclaimed once they are half the pool. About 4 bytes a dose and 5 a person.
 */
export class DoseLists {
    start = new Int32Array(0);
    count = new Uint8Array(0);
    pool = new Uint32Array(0);
    used = 0;
    garbage = 0;
    get bytes() {
        return this.start.byteLength + this.count.byteLength + this.pool.byteLength;
    }
    /** Forgets a person's doses (before they are given again). */
    clear(row) {
        if (row >= this.count.length)
            return;
        this.garbage += this.count[row];
        this.count[row] = 0;
    }
    /** Adds a vaccination given: one entry for each programme it counts for. */
    add(row, dose) {
        for (const code of dose.programmes) {
            const programme = PROGRAMMES.findIndex((p) => p.code === code);
            this.push(row, pack(programme, dose));
        }
    }
    push(row, packed) {
        if (row >= this.count.length) {
            this.start = grown(this.start, row + 1);
            this.count = grown(this.count, row + 1);
        }
        const start = this.start[row];
        const count = this.count[row];
        if (count >= MAX_DOSES)
            return;
        if (count === 0 || start + count !== this.used) {
            // a new place at the end of the pool, the old one left as garbage
            this.pool = grown(this.pool, this.used + count + 1);
            this.pool.copyWithin(this.used, start, start + count);
            this.start[row] = this.used;
            this.used += count;
            this.garbage += count;
        }
        else
            this.pool = grown(this.pool, this.used + 1);
        this.pool[this.used++] = packed;
        this.count[row] = count + 1;
        if (this.garbage > 65_536 && this.garbage * 2 > this.used)
            this.compact();
    }
    /** A person's doses, in the order they were added. */
    of(row) {
        const count = this.count[row] ?? 0;
        const start = this.start[row] ?? 0;
        return Array.from(this.pool.subarray(start, start + count), unpack);
    }
    /**
     * The day of a person's `nth` dose (1 the first) of programme `programme` (its position in PROGRAMMES)
     * between days `from` and `to` inclusive, or undefined: without building the list.
     */
    nthDay(row, programme, from, to, nth) {
        const count = this.count[row] ?? 0;
        const start = this.start[row] ?? 0;
        // the few smallest days so far, kept in order (nth is 1 or a schedule's length)
        const smallest = [];
        for (let k = start; k < start + count; k++) {
            const packed = this.pool[k];
            if (((packed >>> DAY_BITS) & 3) !== programme)
                continue;
            const day = (packed & ((1 << DAY_BITS) - 1)) + DAY_BASE;
            if (day < from || day > to)
                continue;
            let at = smallest.length;
            while (at > 0 && smallest[at - 1] > day)
                at--;
            if (at < nth) {
                smallest.splice(at, 0, day);
                if (smallest.length > nth)
                    smallest.pop();
            }
        }
        return smallest[nth - 1];
    }
    /** Whether a person has any dose. */
    has(row) {
        return (this.count[row] ?? 0) > 0;
    }
    /** Puts every list side by side again, in row order, with nothing in between. */
    compact() {
        const next = new Uint32Array(Math.max(1024, this.used - this.garbage));
        let at = 0;
        for (let row = 0; row < this.count.length; row++) {
            const count = this.count[row];
            next.set(this.pool.subarray(this.start[row], this.start[row] + count), at);
            this.start[row] = at;
            at += count;
        }
        this.pool = next;
        this.used = at;
        this.garbage = 0;
    }
    /** The lists of rows 0 to `rows` as bytes: the counts (one byte a row), then the doses in row order. */
    snapshot(rows) {
        this.compact();
        const counts = Buffer.alloc(rows);
        counts.set(this.count.subarray(0, Math.min(rows, this.count.length)));
        const doses = counts.reduce((sum, c) => sum + c, 0);
        return Buffer.concat([counts, Buffer.from(this.pool.buffer, 0, doses * 4)]);
    }
    static restore(bytes, rows) {
        const lists = new DoseLists();
        lists.count = grown(new Uint8Array(0), rows);
        lists.count.set(bytes.subarray(0, rows));
        lists.start = grown(new Int32Array(0), rows);
        let at = 0;
        for (let row = 0; row < rows; row++) {
            lists.start[row] = at;
            at += lists.count[row];
        }
        lists.pool = grown(new Uint32Array(0), at);
        // copied out of the buffer, so the pool starts aligned
        new Uint8Array(lists.pool.buffer).set(bytes.subarray(rows, rows + at * 4));
        lists.used = at;
        return lists;
    }
}
//# sourceMappingURL=doses.js.map