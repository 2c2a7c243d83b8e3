import { expect } from 'chai';
import { immunization, patient } from '../../fixtures/records.js';
import { AuditLog, CLIENT_ID_SYSTEM } from '../../src/auth/audit.js';
import { UNRESTRICTED } from '../../src/auth/access.js';
import { Validator } from '../../src/fhir/validation.js';
import { MongoRepository } from '../../src/store/mongo-repository.js';
import { baseUrl, create, errorCode, eventually, http, registerClient, requestToken, testServer, } from './harness.js';
async function get(path, token) {
    const response = await fetch(`${await baseUrl()}${path}`, {
        headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) };
}
/** Audit events a search finds, once at least `atLeast` are there. */
async function events(query, token, atLeast = 1) {
    return eventually(async () => {
        const { status, body } = await get(`/AuditEvent?${query}`, token);
        expect(status, JSON.stringify(body)).to.equal(200);
        const found = (body.entry ?? []).flatMap((e) => e.resource?.resourceType === 'AuditEvent' ? [e.resource] : []);
        expect(found.length).to.be.at.least(atLeast);
        return found;
    });
}
describe('audit trail', () => {
    let auditor;
    let reader;
    let person;
    before(async () => {
        person = await create(patient(720));
        const auditClient = await registerClient({ scopes: 'system/AuditEvent.rs' });
        auditor = (await requestToken(auditClient, 'system/AuditEvent.rs')).body.access_token;
        const readClient = await registerClient({ scopes: 'system/Patient.rs', name: 'vaccination app' });
        reader = {
            id: readClient.id,
            token: (await requestToken(readClient, 'system/Patient.rs')).body.access_token,
        };
    });
    it('when a client reads a patient, then an AuditEvent says who, what, when, from where and how it went', async () => {
        const since = new Date(Date.now() - 1000).toISOString();
        expect((await get(`/Patient/${person.id}`, reader.token)).status).to.equal(200);
        const [event] = await events(`patient=Patient/${person.id}&altid=${reader.id}`, auditor);
        expect(event.action).to.equal('R');
        expect(event.subtype[0].code).to.equal('read');
        expect(event.outcome).to.equal('0');
        expect(event.recorded >= since).to.equal(true);
        const agent = event.agent[0];
        expect(agent.who.identifier).to.deep.equal({ system: CLIENT_ID_SYSTEM, value: reader.id });
        expect(agent.who.display).to.equal('vaccination app');
        expect(agent.network.address).to.match(/127\.0\.0\.1/);
        expect(event.entity.map((e) => e.what?.reference)).to.include(`Patient/${person.id}`);
        expect(new Validator().problems(event)).to.deep.equal([]);
    });
    it('when a client searches, then the query and every person found are recorded', async () => {
        const nhs = person.identifier[0].value;
        await get(`/Patient?identifier=${nhs}`, reader.token);
        const found = await events(`patient=Patient/${person.id}&subtype=search-type&altid=${reader.id}`, auditor);
        const query = found[0].entity.find((e) => e.query);
        expect(Buffer.from(query.query, 'base64').toString()).to.equal(`Patient?identifier=${nhs}`);
    });
    it('when a search answers with subsets (_elements), then the people behind the whole records are still recorded', async () => {
        await create(immunization(person.id));
        const client = await registerClient({ scopes: 'system/Immunization.rs' });
        const token = (await requestToken(client, 'system/Immunization.rs')).body.access_token;
        const answer = await get(`/Immunization?patient=${person.id}&_elements=status`, token);
        expect(JSON.stringify(answer.body.entry[0].resource)).to.not.include(person.id);
        await events(`patient=Patient/${person.id}&altid=${client.id}`, auditor);
    });
    it('when access is refused, then the refusal is recorded with its outcome', async () => {
        expect((await get(`/Patient/${person.id}/_history`, auditor)).status).to.equal(403);
        const [refusal] = await events(`entity=Patient/${person.id}&outcome=4&action=R`, auditor);
        expect(refusal.outcomeDesc).to.equal('403 forbidden');
    });
    it('when searching by agent, date and action, then each narrows the trail', async () => {
        const today = new Date().toISOString().slice(0, 10);
        const byAgent = await events(`agent:identifier=${CLIENT_ID_SYSTEM}|${reader.id}&date=ge${today}&action=E`, auditor);
        expect(byAgent.every((e) => e.agent[0].altId === reader.id && e.action === 'E')).to.equal(true);
        const none = await get(`/AuditEvent?altid=${reader.id}&date=lt2000-01-01`, auditor);
        expect(none.body.entry ?? []).to.have.length(0);
    });
    it('when anyone tries to write or delete an AuditEvent, then 405, even with every scope', async () => {
        const [event] = await events(`altid=${reader.id}`, auditor);
        expect((await http('DELETE', `/AuditEvent/${event.id}`)).status).to.equal(405);
        const update = await http('PUT', `/AuditEvent/${event.id}`, { body: { ...event, outcome: '0' } });
        expect(update.status).to.equal(405);
        expect(errorCode(update.body)).to.equal('method-not-allowed');
        expect((await http('POST', '/AuditEvent', { body: event })).status).to.equal(405);
        // the trail is searched by date, not read as history, and stays out of the data's history
        expect((await http('GET', '/AuditEvent/_history')).status).to.equal(405);
        expect((await http('GET', `/AuditEvent/${event.id}/_history`)).status).to.equal(405);
        expect((await get(`/AuditEvent/${event.id}/_history/1`, auditor)).body.id).to.equal(event.id);
        const system = (await http('GET', '/_history?_count=200')).body;
        expect(system.entry.some((e) => e.resource?.resourceType === 'AuditEvent')).to.equal(false);
        expect((await get(`/AuditEvent/${event.id}`, auditor)).body.meta).to.deep.equal(event.meta);
    });
    it('when the server stops cleanly, then queued events are written first', async () => {
        const server = await testServer();
        const repository = new MongoRepository(server.database.db);
        const log = new AuditLog(repository, { flushMs: 60_000 });
        const marker = `shutdown-${Date.now()}`;
        for (let i = 0; i < 3; i++) {
            await log.record({
                access: { ...UNRESTRICTED, clientId: marker },
                interaction: 'read',
                action: 'R',
                references: [`Patient/${person.id}`],
                patients: [`Patient/${person.id}`],
                status: 200,
            });
        }
        expect(log.pending).to.equal(3);
        await log.close();
        expect(log.pending).to.equal(0);
        expect(await events(`altid=${marker}`, auditor, 3)).to.have.length(3);
    });
});
//# sourceMappingURL=audit.test.js.map