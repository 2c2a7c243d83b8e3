import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { patient } from '../../fixtures/records.js';
import { fingerprintOf } from '../../src/http/idempotency.js';
import { defaultToken, errorCode, eventually, extraServer, http, testServer } from './harness.js';
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
/** How many Patients hold an NHS number. */
async function holders(nhsNumber) {
    return (await http('GET', `/Patient?identifier=${NHS}|${nhsNumber}&_summary=count`)).body.total;
}
describe('idempotent writes: Idempotency-Key and X-Request-ID', function () {
    this.timeout(30_000);
    it('when a create is sent twice with the same key, then the second answers the first and nothing new is written', async () => {
        const person = patient(501, 7);
        const key = randomUUID();
        const first = await http('POST', '/Patient', { body: person, headers: { 'idempotency-key': key } });
        const second = await http('POST', '/Patient', { body: person, headers: { 'idempotency-key': key } });
        expect(first.status).to.equal(201);
        expect(second.status).to.equal(201);
        expect(second.body.id).to.equal(first.body.id);
        expect(second.headers.get('location')).to.equal(first.headers.get('location'));
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(await holders(person.identifier[0].value)).to.equal(1);
        // the repeat is in the audit trail like the first
        await eventually(async () => {
            const audited = await http('GET', `/AuditEvent?entity=Patient/${String(first.body.id)}&action=C`);
            expect(audited.body.entry).to.have.length(2);
        }, 10_000);
    });
    it('when the same key comes with another body, then it is refused and changes nothing', async () => {
        const key = randomUUID();
        const person = patient(502, 7);
        expect((await http('POST', '/Patient', { body: person, headers: { 'x-request-id': key } })).status).to.equal(201);
        const other = patient(503, 7);
        const reused = await http('POST', '/Patient', { body: other, headers: { 'x-request-id': key } });
        expect(reused.status).to.equal(422);
        expect(errorCode(reused.body)).to.equal('idempotency-key-reused');
        expect(await holders(other.identifier[0].value)).to.equal(0);
    });
    it('when a refused request is sent again with its key, then it is refused the same way; a bad key is a 400', async () => {
        const key = randomUUID();
        const bad = { resourceType: 'Patient', birthDate: 'yesterday' };
        const first = await http('POST', '/Patient', { body: bad, headers: { 'idempotency-key': key } });
        const again = await http('POST', '/Patient', { body: bad, headers: { 'idempotency-key': key } });
        expect(first.status).to.equal(again.status);
        expect(again.body).to.deep.equal(first.body);
        expect(again.headers.get('idempotent-replayed')).to.equal('true');
        const invalid = await http('POST', '/Patient', {
            body: patient(504, 7),
            headers: { 'idempotency-key': '{"$gt":""}' },
        });
        expect(invalid.status).to.equal(400);
        expect(await holders(patient(504, 7).identifier[0].value)).to.equal(0);
    });
    it('when two server processes get the same create with the same key at once, then one Patient is made and both answer it', async () => {
        const main = await testServer();
        const other = await extraServer({});
        try {
            const person = patient(505, 7);
            const key = randomUUID();
            const send = async (server) => fetch(`${server.url}/Patient`, {
                method: 'POST',
                headers: {
                    authorization: `Bearer ${await defaultToken()}`,
                    'content-type': 'application/fhir+json',
                    'idempotency-key': key,
                },
                body: JSON.stringify(person),
            });
            const answers = await Promise.all([send(main), send(other), send(main), send(other)]);
            const bodies = (await Promise.all(answers.map((a) => a.json())));
            expect(answers.map((a) => a.status)).to.deep.equal([201, 201, 201, 201]);
            expect(new Set(bodies.map((b) => b.id)).size).to.equal(1);
            expect(await holders(person.identifier[0].value)).to.equal(1);
        }
        finally {
            await other.stop();
        }
    });
    it('when the process that ran the first request died before answering, then the next request with the key runs at once', async () => {
        const { database } = await testServer();
        const person = patient(507, 7);
        const key = randomUUID();
        const body = JSON.stringify(person);
        // what a server killed in the middle of the first request leaves: the key claimed, no answer
        const token = await defaultToken();
        const client = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
            .sub;
        await database.db.collection('idempotency_keys').insertOne({
            _id: `${client}|${key}`,
            fingerprint: fingerprintOf('POST', '/fhir/Patient', Buffer.from(body)),
            holder: 'another-host/4242/dead0000',
            startedAt: new Date(),
            expires: new Date(Date.now() + 3_600_000),
        });
        const started = Date.now();
        const retried = await http('POST', '/Patient', {
            raw: body,
            headers: { 'idempotency-key': key, 'content-type': 'application/fhir+json' },
        });
        expect(retried.status).to.equal(201);
        expect(retried.headers.get('idempotent-replayed')).to.equal(null);
        expect(Date.now() - started).to.be.lessThan(5000);
        const again = await http('POST', '/Patient', {
            raw: body,
            headers: { 'idempotency-key': key, 'content-type': 'application/fhir+json' },
        });
        expect(again.body.id).to.equal(retried.body.id);
        expect(await holders(person.identifier[0].value)).to.equal(1);
    });
    it('when an update is repeated with its key, then one version is made', async () => {
        const created = await http('POST', '/Patient', { body: patient(506, 7) });
        const id = created.body.id;
        const key = randomUUID();
        const changed = { ...created.body, gender: 'other' };
        const first = await http('PUT', `/Patient/${id}`, { body: changed, headers: { 'idempotency-key': key } });
        const second = await http('PUT', `/Patient/${id}`, {
            body: changed,
            headers: { 'idempotency-key': key },
        });
        expect(first.headers.get('etag')).to.equal('W/"2"');
        expect(second.headers.get('etag')).to.equal('W/"2"');
        const history = (await http('GET', `/Patient/${id}/_history`)).body;
        expect(history.entry).to.have.length(2);
    });
});
//# sourceMappingURL=idempotency.test.js.map