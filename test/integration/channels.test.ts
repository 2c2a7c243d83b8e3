import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { NhsAppChannel } from '../../src/notifications/nhs-app.js';
import { NotifyChannel } from '../../src/notifications/notify.js';
import { PermanentFailure, TemporaryFailure, type Message } from '../../src/notifications/channel.js';
import { startFakeNhsApp, type FakeNhsApp } from '../fakes/nhs-app.js';
import { startFakeNotify, type FakeNotify } from '../fakes/notify.js';

const message = (to: { mobile?: string; email?: string }, reference = 'run-1/person-1/1'): Message => ({
  reference,
  template: 'f33517ff-2a88-4f6e-b855-c550268ce08a',
  recipient: { nhsNumber: '9434765919', name: 'Ada Lovelace', ...to },
  personalisation: { name: 'Ada Lovelace', programme: 'flu' },
});

describe('channels: GOV.UK Notify', () => {
  let notify: FakeNotify;
  before(async () => {
    notify = await startFakeNotify();
  });
  after(() => notify.close());

  it('when a text and an email are sent, then Notify receives them signed, with template, personalisation and reference', async () => {
    const sms = new NotifyChannel('sms', notify.url, notify.apiKey);
    const email = new NotifyChannel('email', notify.url, notify.apiKey);
    const text = await sms.send(message({ mobile: '07700900123' }));
    await email.send(message({ email: 'ada@example.org' }, 'run-1/person-1/2'));
    expect(notify.sent.map((n) => [n.type, n.to, n.reference])).to.deep.equal([
      ['sms', '07700900123', 'run-1/person-1/1'],
      ['email', 'ada@example.org', 'run-1/person-1/2'],
    ]);
    expect(notify.sent[0]!.personalisation).to.deep.equal({ name: 'Ada Lovelace', programme: 'flu' });
    expect(await sms.status(text.providerId)).to.equal('delivered');
  });

  it('when Notify refuses, fails delivery, or is down, then the failure says whether to fall back or try later', async () => {
    const sms = new NotifyChannel('sms', notify.url, notify.apiKey);
    notify.rules.set('07700900000', { sendStatus: 400 });
    notify.rules.set('07700900001', { deliveryStatus: 'permanent-failure' });
    const refused = await sms.send(message({ mobile: '07700900000' })).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(PermanentFailure);
    const accepted = await sms.send(message({ mobile: '07700900001' }));
    expect(await sms.status(accepted.providerId)).to.equal('permanent-failure');
    notify.down = 503;
    expect(await sms.send(message({ mobile: '07700900123' })).catch((e: unknown) => e)).to.be.instanceOf(
      TemporaryFailure,
    );
    notify.down = undefined;
    // a key whose secret is not the service's
    const wrongKey = new NotifyChannel('sms', notify.url, `${notify.apiKey.slice(0, -36)}${randomUUID()}`);
    expect(await wrongKey.send(message({ mobile: '07700900123' })).catch((e: unknown) => e)).to.be.instanceOf(
      PermanentFailure,
    );
  });

  it('when a signed token has been used for a few seconds, then the next call is signed anew, well within the 30 seconds Notify allows', async () => {
    let offsetMs = 0;
    const sms = new NotifyChannel('sms', notify.url, notify.apiKey, () => Date.now() + offsetMs);
    const before = notify.sent.length;
    await sms.send(message({ mobile: '07700900123' }, 'run-2/person-1/0'));
    await sms.send(message({ mobile: '07700900124' }, 'run-2/person-2/0'));
    offsetMs = 6_000;
    await sms.send(message({ mobile: '07700900125' }, 'run-2/person-3/0'));
    const [first, , third] = notify.sent.slice(before).map((n) => n.issuedAt);
    expect(third! - first!).to.be.within(5, 7);
  });
});

describe('channels: NHS App messages', () => {
  let app: FakeNhsApp;
  before(async () => {
    app = await startFakeNhsApp();
  });
  after(() => app.close());

  it('when a registered person is sent a message, then the app gets it by NHS number; others are a permanent failure', async () => {
    const channel = new NhsAppChannel(app.url);
    const to = { ...message({}).recipient, nhsApp: true };
    app.registered.add(to.nhsNumber);
    const accepted = await channel.send({ ...message({}), recipient: to });
    expect(app.messages.map((m) => [m.nhsNumber, m.reference])).to.deep.equal([
      [to.nhsNumber, 'run-1/person-1/1'],
    ]);
    expect(await channel.status(accepted.providerId)).to.equal('delivered');
    app.messages[0]!.status = 'failed';
    expect(await channel.status(accepted.providerId)).to.equal('permanent-failure');
    app.registered.clear();
    expect(await channel.send({ ...message({}), recipient: to }).catch((e: unknown) => e)).to.be.instanceOf(
      PermanentFailure,
    );
    app.down = 502;
    expect(await channel.send({ ...message({}), recipient: to }).catch((e: unknown) => e)).to.be.instanceOf(
      TemporaryFailure,
    );
  });
});
