import { expect } from 'chai';
import { DISEASES, immunization, VACCINES } from '../../fixtures/records.js';
import { doseOf, findAnomalies } from '../../src/resolution/anomalies.js';
const day = (date) => Date.parse(date) / 86_400_000;
const dose = (programme, date, doseNumber) => ({
    programmes: [programme],
    day: day(date),
    ...(doseNumber !== undefined ? { doseNumber } : {}),
    mismatch: false,
});
/** The rule codes found, in order. */
const found = (doses, life = { birthDay: day('2020-01-15') }) => findAnomalies(life, doses).map((f) => f.code);
describe('anomaly rules on one person’s vaccinations', () => {
    it('when a dose numbered 2 has no earlier dose, then it is found; with one before it, it is not', () => {
        expect(found([dose('covid-19', '2025-10-01', 2)])).to.deep.equal(['dose-without-earlier']);
        expect(found([dose('covid-19', '2025-05-01', 1), dose('covid-19', '2025-10-01', 2)])).to.deep.equal([]);
        expect(found([dose('covid-19', '2025-10-01')])).to.deep.equal([]);
    });
    it('when two doses are closer than the shortest interval, then they are found; a day more is fine', () => {
        // MMR: 28 days; COVID-19: 21 days
        expect(found([dose('mmr', '2021-02-01'), dose('mmr', '2021-02-28')])).to.deep.equal([
            'interval-too-short',
        ]);
        expect(found([dose('mmr', '2021-02-01'), dose('mmr', '2021-03-01')])).to.deep.equal([]);
        expect(found([dose('covid-19', '2025-09-01'), dose('covid-19', '2025-09-21')])).to.deep.equal([
            'interval-too-short',
        ]);
        expect(found([dose('covid-19', '2025-09-01'), dose('covid-19', '2025-09-22')])).to.deep.equal([]);
    });
    it('when there are more doses than the schedule allows, then they are found (MMR for life, COVID-19 a season)', () => {
        const mmr = ['2021-02-01', '2023-06-01', '2024-06-01'].map((d) => dose('mmr', d));
        expect(found(mmr)).to.deep.equal(['too-many-doses']);
        expect(found(mmr.slice(0, 2))).to.deep.equal([]);
        const season = ['2025-09-10', '2026-01-10', '2026-04-20'].map((d) => dose('covid-19', d));
        expect(found(season)).to.deep.equal(['too-many-doses']);
        // the third falls in the next season (from 1 September)
        expect(found([...season.slice(0, 2), dose('covid-19', '2026-09-01')])).to.deep.equal([]);
    });
    it('when two records of a programme share a day, then they are one event recorded twice', () => {
        expect(found([dose('flu', '2025-10-01'), dose('flu', '2025-10-01')])).to.deep.equal(['duplicate-record']);
        expect(found([dose('flu', '2025-10-01'), dose('covid-19', '2025-10-01')])).to.deep.equal([]);
    });
    it('when a vaccination is dated before birth or after death, then it is found; on those days it is not', () => {
        const life = { birthDay: day('2020-01-15'), deathDay: day('2025-03-01') };
        expect(found([dose('flu', '2020-01-14')], life)).to.deep.equal(['before-birth']);
        expect(found([dose('flu', '2020-01-15')], life)).to.deep.equal([]);
        expect(found([dose('flu', '2025-03-02')], life)).to.deep.equal(['after-death']);
        expect(found([dose('flu', '2025-03-01')], life)).to.deep.equal([]);
    });
    it('when an MMR dose comes before 12 months, then it is found; on the first birthday it is not', () => {
        expect(found([dose('mmr', '2021-01-14')])).to.deep.equal(['before-minimum-age']);
        expect(found([dose('mmr', '2021-01-15')])).to.deep.equal([]);
        // no minimum age for flu in the rules
        expect(found([dose('flu', '2020-09-01')])).to.deep.equal([]);
    });
    it('when the product does not protect against the target disease recorded, then the record is found', () => {
        const wrong = immunization('p', {
            vaccineCode: { coding: [VACCINES.covidPfizer] },
            protocolApplied: [{ targetDisease: [{ coding: [DISEASES.flu] }] }],
        });
        expect(doseOf(wrong)).to.deep.include({ mismatch: true, programmes: ['flu'] });
        expect(doseOf(immunization('p'))).to.deep.include({ mismatch: false, programmes: ['covid-19'] });
        expect(found([doseOf(wrong)])).to.deep.equal(['product-disease-mismatch']);
    });
    it('when a record is a refusal or has no date, then it is no dose at all', () => {
        expect(doseOf(immunization('p', { status: 'not-done' }))).to.equal(undefined);
        expect(doseOf(immunization('p', { occurrenceDateTime: undefined }))).to.equal(undefined);
    });
});
//# sourceMappingURL=anomalies.test.js.map