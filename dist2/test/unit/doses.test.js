import { expect } from 'chai';
import { DoseLists } from '../../src/cohort/doses.js';
const dose = (day, extra = {}) => ({
    programmes: ['covid-19'],
    day,
    mismatch: false,
    ...extra,
});
describe('dose lists of the cohort index', () => {
    it('when doses are kept, then each comes back as it went in: days before 1970, dose numbers, mismatches, programmes', () => {
        const lists = new DoseLists();
        const given = [
            dose(-3000),
            dose(20_000, { doseNumber: 3, mismatch: true }),
            dose(20_100, { programmes: ['mmr'] }),
        ];
        given.forEach((d) => lists.add(7, d));
        expect(lists.of(7)).to.deep.equal(given);
        expect(lists.of(6)).to.deep.equal([]);
        expect(lists.has(7)).to.equal(true);
        expect(lists.has(8)).to.equal(false);
    });
    it('when people’s doses arrive interleaved and lists are replaced, then every list stays whole, also after compaction and a snapshot', () => {
        const lists = new DoseLists();
        const expected = new Map();
        // 200,000 doses over 40,000 people in turn: each list moves to the end of the pool many times
        for (let i = 0; i < 200_000; i++) {
            const row = i % 40_000;
            const d = dose(19_000 + i, { doseNumber: (i % 5) + 1 });
            lists.add(row, d);
            expected.set(row, [...(expected.get(row) ?? []), d]);
        }
        for (let row = 0; row < 40_000; row += 3) {
            lists.clear(row);
            lists.add(row, dose(1));
            expected.set(row, [dose(1)]);
        }
        const check = (l) => {
            for (const [row, doses] of expected)
                expect(l.of(row)).to.deep.equal(doses);
        };
        check(lists);
        // garbage is reclaimed: the pool stays within twice what is live
        expect(lists.bytes).to.be.below(40_000 * 5 + 200_000 * 4 * 2 + 65_536 * 4 * 2);
        check(DoseLists.restore(lists.snapshot(40_000), 40_000));
    });
});
//# sourceMappingURL=doses.test.js.map