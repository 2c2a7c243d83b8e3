import { expect } from 'chai';
import { CHANNELS, } from '../../src/notifications/channel.js';
import { Limiter } from '../../src/notifications/rate.js';
import { chainFor, recipientOf } from '../../src/notifications/recipient.js';
import { EXTENSIONS } from '../../src/resources/extensions.js';
const person = {
    resourceType: 'Patient',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' }],
    name: [
        { use: 'maiden', family: 'Byron' },
        { use: 'official', given: ['Ada', 'Augusta'], family: 'King' },
    ],
    telecom: [
        { system: 'phone', use: 'home', value: '0113 496 0000' },
        { system: 'phone', use: 'mobile', value: '07700 900001', period: { end: '2020-01-01' } },
        { system: 'phone', value: '+44 7700 900123' },
        { system: 'email', value: 'ada@example.org' },
    ],
    address: [
        { use: 'old', line: ['1 Old Road'], postalCode: 'LS1 1AA' },
        { use: 'home', line: ['12 Analytical Row', 'Marylebone'], city: 'London', postalCode: 'NW1 5LS' },
    ],
    extension: [{ url: EXTENSIONS.nhsAppNotifications, valueBoolean: true }],
};
/** A channel that sends nothing. */
function channel(name) {
    return {
        name,
        send: () => Promise.resolve({ providerId: name }),
        status: () => Promise.resolve('delivered'),
    };
}
const all = new Map(CHANNELS.map((name) => [name, channel(name)]));
const names = (chain) => chain.map((c) => c.name);
describe('who to send to and how', () => {
    it('when a register record is read, then its current official name, mobile, email, home address and NHS App flag are used', () => {
        expect(recipientOf(person)).to.deep.equal({
            nhsNumber: '9434765919',
            name: 'Ada Augusta King',
            mobile: '+44 7700 900123',
            email: 'ada@example.org',
            address: ['12 Analytical Row', 'Marylebone', 'London', 'NW1 5LS'],
            nhsApp: true,
        });
        expect(recipientOf({ resourceType: 'Patient' })).to.deep.equal({ nhsNumber: '', name: '' });
    });
    it('when channels are chosen, then the app comes first, then a text (or an email without a mobile), then a letter', () => {
        const ada = recipientOf(person);
        expect(names(chainFor(ada, ['nhs-app', 'sms', 'email', 'letter'], all))).to.deep.equal([
            'nhs-app',
            'sms',
            'letter',
        ]);
        const { mobile: _m, nhsApp: _a, ...noMobile } = ada;
        expect(names(chainFor(noMobile, ['nhs-app', 'sms', 'email', 'letter'], all))).to.deep.equal([
            'email',
            'letter',
        ]);
        // the run's own order and choice of channels rule
        expect(names(chainFor(ada, ['letter', 'email'], all))).to.deep.equal(['letter', 'email']);
        // a channel not configured is never in the chain
        expect(names(chainFor(ada, ['nhs-app', 'sms'], new Map([['sms', all.get('sms')]])))).to.deep.equal(['sms']);
        expect(names(chainFor({ nhsNumber: '1', name: 'x' }, ['nhs-app', 'sms', 'email', 'letter'], all))).to.deep.equal([]);
    });
});
describe('rate limits', () => {
    it('when ten messages ask at once at five a second, then they go out 200 ms apart; an idle limiter waits for nobody', async () => {
        let now = 1_000_000;
        const waits = [];
        const clock = {
            now: () => now,
            sleep: (ms) => {
                waits.push(ms);
                return Promise.resolve();
            },
        };
        const limiter = new Limiter(5, clock);
        await Promise.all(Array.from({ length: 10 }, () => limiter.take()));
        expect(waits).to.deep.equal([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
        now += 60_000;
        waits.length = 0;
        await limiter.take();
        expect(waits).to.deep.equal([]);
    });
});
//# sourceMappingURL=notifications.test.js.map