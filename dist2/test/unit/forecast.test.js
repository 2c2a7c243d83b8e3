import { expect } from 'chai';
import { addMonths, forecast } from '../../src/forecast/forecast.js';
/** The status (and earliest day) the forecast gives; the edges of every rule, a day either side. */
const status = (...args) => {
    const f = forecast(...args);
    return f.earliest ? `${f.status} ${f.earliest}` : f.status;
};
describe('forecast of the next dose', () => {
    it('when a month has fewer days than the birthday, then the age is reached on its last day', () => {
        expect(addMonths('2024-02-29', 12)).to.equal('2025-02-28');
        expect(addMonths('2025-01-31', 1)).to.equal('2025-02-28');
        expect(addMonths('2025-01-31', 40)).to.equal('2028-05-31');
    });
    describe('MMR: 12 months, then 40 months and 28 days after the first', () => {
        const born = '2025-01-31';
        it('when a child is a day short of one year, then dose 1 is not due until the birthday', () => {
            expect(status('mmr', born, [], '2026-01-30')).to.equal('too-young 2026-01-31');
            expect(status('mmr', born, [], '2026-01-31')).to.equal('due 2026-01-31');
        });
        it('when dose 1 waits 90 days past its date, then it is overdue', () => {
            expect(forecast('mmr', born, [], '2026-05-01').status).to.equal('overdue');
            expect(forecast('mmr', born, [], '2026-04-30').status).to.equal('due');
        });
        it('when dose 1 came late, then dose 2 waits 28 days after it even past 40 months', () => {
            expect(status('mmr', born, ['2028-05-20'], '2028-05-30')).to.equal('too-young 2028-06-17');
            expect(status('mmr', born, ['2028-05-20'], '2028-06-16')).to.equal('too-soon 2028-06-17');
            expect(status('mmr', born, ['2028-05-20'], '2028-06-17')).to.equal('due 2028-06-17');
        });
        it('when both doses were given, then the series is complete', () => {
            const done = forecast('mmr', born, ['2026-02-01', '2028-06-01'], '2030-01-01');
            expect(done).to.deep.include({ status: 'complete', doseNumber: 2, seriesDoses: 2 });
        });
    });
    describe('COVID-19: one dose a season from 1 October to 31 January, aged 75, 84 days after the last', () => {
        it('when a person turns 75 on the day, then they are due from it and not the day before', () => {
            expect(status('covid-19', '1951-10-15', [], '2026-10-14')).to.equal('too-young 2026-10-15');
            expect(status('covid-19', '1951-10-15', [], '2026-10-15')).to.equal('due 2026-10-15');
        });
        it('when a person turns 75 only after the offer closes, then they are not eligible this season', () => {
            expect(forecast('covid-19', '1952-03-01', [], '2026-11-01').status).to.equal('not-eligible');
            expect(forecast('covid-19', '1952-01-31', [], '2026-11-01').status).to.equal('too-young');
        });
        it('when the offer has not opened or has closed, then the next opening is the earliest day', () => {
            expect(status('covid-19', '1940-01-01', [], '2026-09-30')).to.equal('out-of-season 2026-10-01');
            expect(status('covid-19', '1940-01-01', [], '2026-10-01')).to.equal('due 2026-10-01');
            expect(status('covid-19', '1940-01-01', [], '2027-01-31')).to.equal('overdue 2026-10-01');
            expect(status('covid-19', '1940-01-01', [], '2027-02-01')).to.equal('out-of-season 2027-10-01');
        });
        it('when the last dose was less than 84 days ago, then the dose is too soon until then', () => {
            expect(status('covid-19', '1940-01-01', ['2026-08-01'], '2026-10-23')).to.equal('too-soon 2026-10-24');
            expect(status('covid-19', '1940-01-01', ['2026-08-01'], '2026-10-24')).to.equal('due 2026-10-24');
        });
        it('when a dose was given since the season began on 1 September, then the season is complete', () => {
            expect(forecast('covid-19', '1940-01-01', ['2026-09-15'], '2026-11-01').status).to.equal('complete');
            expect(forecast('covid-19', '1940-01-01', ['2026-08-31'], '2026-11-25').status).to.equal('due');
        });
        it('when 60 days of the offer passed without a dose, then it is overdue', () => {
            expect(forecast('covid-19', '1940-01-01', [], '2026-11-29').status).to.equal('due');
            expect(forecast('covid-19', '1940-01-01', [], '2026-11-30').status).to.equal('overdue');
        });
    });
});
//# sourceMappingURL=forecast.test.js.map