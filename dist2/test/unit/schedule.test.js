import { expect } from 'chai';
import { CohortIndex } from '../../src/cohort/index.js';
import { dayNumber } from '../../src/cohort/programmes.js';
import { recipientOf } from '../../src/notifications/recipient.js';
import { CODE_SYSTEMS } from '../../src/resources/extensions.js';
const on = new Date('2026-11-25T10:00:00Z');
const SNOMED = 'http://snomed.info/sct';
function person(birthDate, extra = {}) {
    return {
        resourceType: 'Patient',
        birthDate,
        name: [{ given: ['Sam'], family: 'Jones' }],
        generalPractitioner: [
            { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A81001' } },
        ],
        ...extra,
    };
}
function mmr(date, status = 'completed') {
    return {
        resourceType: 'Immunization',
        status,
        vaccineCode: { coding: [{ system: SNOMED, code: '61153008' }] },
        patient: { reference: 'Patient/x' },
        occurrenceDateTime: date,
        ...(status === 'not-done'
            ? {
                statusReason: {
                    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'PATOBJ' }],
                },
            }
            : {}),
    };
}
/** An index of one person with these records; answers why they are not due MMR on `on`. */
function mmrReason(birthDate, records = [], extra = {}) {
    const index = new CohortIndex();
    index.upsertPatient('p', person(birthDate, extra));
    index.setVaccinations('p', records);
    return index.reasonToSkip('p', 'mmr', on);
}
describe('MMR schedule in the cohort index', () => {
    it('when a child is 11 months 30 days old, then dose 1 is not due; at 12 months it is', () => {
        expect(mmrReason('2025-11-26')).to.equal('not-due');
        expect(mmrReason('2025-11-25')).to.equal(undefined);
    });
    it('when a child with dose 1 is 3 years 3 months old, then dose 2 is not due; at 3 years 4 months it is', () => {
        expect(mmrReason('2023-08-25', [mmr('2024-09-01')])).to.equal('not-due');
        expect(mmrReason('2023-07-26', [mmr('2024-09-01')])).to.equal('not-due');
        expect(mmrReason('2023-07-25', [mmr('2024-09-01')])).to.equal(undefined);
    });
    it('when dose 1 was given less than four weeks ago, then dose 2 waits; both doses given is complete', () => {
        expect(mmrReason('2020-01-01', [mmr('2026-11-01')])).to.equal('not-due');
        expect(mmrReason('2020-01-01', [mmr('2026-10-28')])).to.equal(undefined);
        expect(mmrReason('2020-01-01', [mmr('2021-01-10'), mmr('2023-06-01')])).to.equal('vaccinated');
    });
    it('when a refusal is recorded, then it is respected until a later dose is given', () => {
        expect(mmrReason('2024-01-01', [mmr('2025-03-01', 'not-done')])).to.equal('refused');
        expect(mmrReason('2020-01-01', [mmr('2021-03-01', 'not-done'), mmr('2022-01-01')])).to.equal(undefined);
        // a record not given for another reason (out of stock) is no refusal
        const outOfStock = { ...mmr('2025-03-01', 'not-done'), statusReason: { text: 'out of stock' } };
        expect(mmrReason('2024-01-01', [outOfStock])).to.equal(undefined);
    });
    it('when call and recall selects ages 1 to 25, then 25 years 364 days is in and 26 years is out', () => {
        const index = new CohortIndex();
        const births = ['2000-11-26', '2000-11-25', '2025-11-25', '2025-11-26', '2010-05-05'];
        births.forEach((b, i) => index.upsertPatient(`p${i}`, person(b)));
        index.upsertPatient('unregistered', person('2015-01-01', { generalPractitioner: [] }));
        const due = index.select({
            ageOn: on,
            programme: 'mmr',
            ageFromMonths: 12,
            ageToMonths: 25 * 12 + 11,
            dueOnly: true,
            registeredOnly: true,
        });
        expect(due.ids(0, due.size)).to.have.members(['p0', 'p2', 'p4']);
    });
    it('when someone was contacted about MMR recently, then a follow-up selection leaves them out', () => {
        const index = new CohortIndex();
        index.upsertPatient('a', person('2015-01-01'));
        index.upsertPatient('b', person('2015-01-01'));
        index.addContact('a', 'mmr', dayNumber('2026-11-10'));
        index.addContact('b', 'mmr', dayNumber('2026-09-01'));
        index.addContact('b', 'flu', dayNumber('2026-11-20'));
        const selected = index.select({ ageOn: on, programme: 'mmr', contactedSince: dayNumber('2026-10-28') });
        expect(selected.ids(0, selected.size)).to.deep.equal(['b']);
        expect(index.contactedOn('a', 'mmr')).to.equal(dayNumber('2026-11-10'));
    });
});
describe('COVID-19 bookings in the cohort index', () => {
    const appointment = (status, start) => ({
        resourceType: 'Appointment',
        status,
        start,
        end: start,
        serviceType: [{ coding: [{ system: CODE_SYSTEMS.programme, code: 'covid-19' }] }],
        participant: [{ actor: { reference: 'Patient/p' }, status: 'accepted' }],
    });
    const reason = (appointments) => {
        const index = new CohortIndex();
        index.upsertPatient('p', person('1950-01-01'));
        index.setBookings('p', appointments);
        return index.reasonToSkip('p', 'covid-19', on);
    };
    it('when a person has booked this season, then they are skipped as booked, for COVID-19 only', () => {
        expect(reason([appointment('booked', '2026-12-03T09:00:00Z')])).to.equal('booked');
        expect(reason([appointment('fulfilled', '2026-10-03T09:00:00Z')])).to.equal('booked');
        const index = new CohortIndex();
        index.upsertPatient('p', person('1950-01-01'));
        index.setBookings('p', [appointment('booked', '2026-12-03T09:00:00Z')]);
        expect(index.reasonToSkip('p', 'flu', on)).to.equal(undefined);
    });
    it('when the booking was cancelled, or was last season, then they are not booked', () => {
        expect(reason([appointment('cancelled', '2026-12-03T09:00:00Z')])).to.equal(undefined);
        expect(reason([appointment('noshow', '2026-11-03T09:00:00Z')])).to.equal(undefined);
        expect(reason([appointment('fulfilled', '2026-03-03T09:00:00Z')])).to.equal(undefined);
        expect(reason([])).to.equal(undefined);
    });
    it('when a message about COVID-19 reached its provider, then it counts as a contact on the day it went', () => {
        const index = new CohortIndex();
        index.upsertPatient('p', person('1950-01-01'));
        const message = (status) => ({
            resourceType: 'Communication',
            status,
            category: [{ coding: [{ system: CODE_SYSTEMS.programme, code: 'covid-19' }] }],
            subject: { reference: 'Patient/p' },
            sent: '2026-11-20T08:00:00Z',
        });
        expect(index.contactedOn('p', 'covid-19')).to.equal(0);
        expect(index.select({ ageOn: on, programme: 'covid-19', contactedSince: dayNumber('2026-11-01') }).size).to.equal(1);
        index.addContact('p', 'covid-19', dayNumber(message('in-progress').sent));
        expect(index.contactedOn('p', 'covid-19')).to.equal(dayNumber('2026-11-20'));
        expect(index.select({ ageOn: on, programme: 'covid-19', contactedSince: dayNumber('2026-11-01') }).size).to.equal(0);
    });
});
describe('who a message about a child goes to', () => {
    const parent = {
        relationship: [
            { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] },
        ],
        name: { given: ['Alex'], family: 'Jones' },
        telecom: [{ system: 'phone', value: '07700 900123', use: 'mobile' }],
    };
    const child = (birthDate, extra = {}) => person(birthDate, {
        telecom: [{ system: 'phone', value: '07700 900999', use: 'mobile' }],
        address: [{ use: 'home', line: ['1 High Street'], city: 'Leeds', postalCode: 'LS1 1AA' }],
        ...extra,
    });
    it('when the person is under 16, then their parent gets it: the parent’s mobile, the child named', () => {
        const recipient = recipientOf(child('2012-01-01', { contact: [parent] }), on);
        expect(recipient).to.include({ name: 'Alex Jones', onBehalfOf: 'Sam Jones', mobile: '07700 900123' });
        expect(recipient.address).to.deep.equal(['1 High Street', 'Leeds', 'LS1 1AA']);
    });
    it('when a child has no parent on record, then a letter goes to their home, never a text to their own phone', () => {
        const recipient = recipientOf(child('2012-01-01'), on);
        expect(recipient.mobile).to.equal(undefined);
        expect(recipient).to.include({ name: 'Parent or guardian', onBehalfOf: 'Sam Jones' });
        expect(recipient.address).to.have.length(3);
    });
    it('when the person turned 16 today, then they get their own messages', () => {
        const recipient = recipientOf(child('2010-11-25', { contact: [parent] }), on);
        expect(recipient).to.include({ name: 'Sam Jones', mobile: '07700 900999' });
        expect(recipient.onBehalfOf).to.equal(undefined);
        expect(recipientOf(child('2010-11-26', { contact: [parent] }), on).onBehalfOf).to.equal('Sam Jones');
    });
});
//# sourceMappingURL=schedule.test.js.map