import { expect } from 'chai';
import { connect } from 'node:net';
import { HL7Message } from 'hl7v2';
import { Hl7Client } from 'hl7v2-net';
import { immunization, nhsNumber } from '../../fixtures/records.js';
import { HL7_ORDER_SYSTEM } from '../../src/hl7v2/mapping.js';
import { caller, extraServer } from './harness.js';
let server;
const call = caller(() => server);
const NHS = nhsNumber(1, 83);
/** A VXU^V04 from practice A81001 for `nhs`, with what `rxa` changes (RXA fields by position). */
function vxu(controlId, nhs, rxa = {}, withRxa = true) {
    const fields = [
        'RXA',
        '0',
        '1',
        '20261120103000',
        '20261120103000',
        '39115611000001103^Comirnaty^SCT',
        '0.3',
        'mL',
    ];
    for (let i = 8; i <= 21; i++)
        fields.push('');
    fields[15] = 'FK1234';
    fields[17] = 'PFE^Pfizer^MVX';
    fields[20] = 'CP';
    fields[21] = 'A';
    for (const [position, value] of Object.entries(rxa))
        fields[Number(position)] = value;
    return HL7Message.parse([
        `MSH|^~\\&|GPSYS|A81001|NIMS|NHS|20261120104500||VXU^V04^VXU_V04|${controlId}|P|2.5.1`,
        `PID|1||${nhs}^^^NHS^NH||SMITH^JANE||19600202|F`,
        'ORC|RE||ORD-1',
        ...(withRxa ? [fields.join('|'), 'RXR|IM^Intramuscular^HL70162|LA^Left arm^HL70163'] : []),
    ].join('\r'));
}
const msa = (ack, field) => String(ack.getSegment('MSA').field(field).getValue());
async function recorded() {
    const found = (await call('GET', `/Immunization?identifier=${HL7_ORDER_SYSTEM}/A81001|ORD-1`))
        .body;
    return (found.entry ?? []).map((e) => e.resource);
}
describe('HL7 v2 over MLLP: VXU and QBP', function () {
    this.timeout(60_000);
    let client;
    let patientId = '';
    before(async () => {
        server = await extraServer({ AUTH: 'off', MONGODB_DB: 'nims_hl7_test' });
        const patient = {
            resourceType: 'Patient',
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }],
            name: [{ given: ['Jane'], family: 'Smith' }],
            birthDate: '1960-02-02',
            gender: 'female',
        };
        patientId = (await call('POST', '/Patient', patient)).body.id;
        client = Hl7Client.createClient({ host: '127.0.0.1', port: server.mllpPort });
        await client.connect();
    });
    after(async () => {
        await client?.close();
        await server?.stop();
    });
    it('when a VXU arrives, then the vaccination is stored for the person and acknowledged AA; a repeat changes nothing', async () => {
        const ack = await client.sendMessageWaitAck(vxu('MSG-1', NHS));
        expect([msa(ack, 1), msa(ack, 2)]).to.deep.equal(['AA', 'MSG-1']);
        const [stored, ...others] = await recorded();
        expect(others).to.have.length(0);
        expect(stored.patient.reference).to.equal(`Patient/${patientId}`);
        expect(stored.vaccineCode.coding?.[0]).to.deep.include({
            system: 'http://snomed.info/sct',
            code: '39115611000001103',
        });
        expect(stored).to.deep.include({
            lotNumber: 'FK1234',
            occurrenceDateTime: '2026-11-20T10:30:00+00:00',
            status: 'completed',
        });
        expect(stored.doseQuantity).to.deep.equal({ value: 0.3, unit: 'mL' });
        expect(stored.route?.coding?.[0]).to.deep.include({
            system: 'http://snomed.info/sct',
            code: '78421000',
        });
        expect(stored.site?.coding?.[0]).to.deep.include({ code: '368208006' });
        const again = await client.sendMessageWaitAck(vxu('MSG-1', NHS));
        expect(msa(again, 1)).to.equal('AA');
        expect((await recorded())[0].meta?.versionId).to.equal('1');
    });
    it('when a VXU updates and then deletes the record, then it gets a new version and then is gone', async () => {
        expect(msa(await client.sendMessageWaitAck(vxu('MSG-2', NHS, { 15: 'FK9999', 21: 'U' })), 1)).to.equal('AA');
        const [updated] = await recorded();
        expect(updated).to.deep.include({ lotNumber: 'FK9999' });
        expect(updated.meta?.versionId).to.equal('2');
        expect(msa(await client.sendMessageWaitAck(vxu('MSG-3', NHS, { 21: 'D' })), 1)).to.equal('AA');
        expect((await call('GET', `/Immunization/${updated.id}`)).status).to.equal(410);
        // put back for the query below
        expect(msa(await client.sendMessageWaitAck(vxu('MSG-4', NHS, { 15: 'FK5555' })), 1)).to.equal('AA');
    });
    it('when a VXU is wrong, then the answer is AE with an ERR segment saying why, and nothing is stored', async () => {
        const unknown = await client.sendMessageWaitAck(vxu('MSG-5', nhsNumber(2, 83)));
        expect(msa(unknown, 1)).to.equal('AE');
        expect(unknown.getSegment('ERR')).to.not.equal(undefined);
        expect(unknown.toHL7String()).to.match(/NHS number/);
        const noRxa = await client.sendMessageWaitAck(vxu('MSG-6', NHS, {}, false));
        expect(msa(noRxa, 1)).to.equal('AE');
        expect(noRxa.toHL7String()).to.match(/RXA/);
        const badDate = await client.sendMessageWaitAck(vxu('MSG-7', NHS, { 3: 'yesterday' }));
        expect(msa(badDate, 1)).to.equal('AE');
        const adt = HL7Message.parse('MSH|^~\\&|GPSYS|A81001|NIMS|NHS|20261120104500||ADT^A01|MSG-8|P|2.5.1\rPID|1||1^^^X');
        expect(msa(await client.sendMessageWaitAck(adt), 1)).to.equal('AR');
        expect(await recorded()).to.have.length(1);
    });
    it('when a QBP^Q11 asks by NHS number, then RSP^K11 lists the person and their vaccinations; no one is NF', async () => {
        await call('POST', '/Immunization', immunization(patientId));
        const query = (nhs) => HL7Message.parse(`MSH|^~\\&|GPSYS|A81001|NIMS|NHS|20261120104500||QBP^Q11^QBP_Q11|Q-1|P|2.5.1\rQPD|Z44^Request Evaluated History and Forecast^CDCPHINVS|TAG-1|${nhs}^^^NHS^NH\rRCP|I|20^RD`);
        // a query is answered by RSP^K11, not by an ACK: the answer is the next message that comes back
        const ask = async (message) => {
            const answer = new Promise((resolve) => client.once('message', (m) => resolve(m)));
            await client.sendMessage(message);
            return answer;
        };
        const rsp = await ask(query(NHS));
        expect(String(rsp.header.field(9).component(1).getValue())).to.equal('RSP');
        expect(String(rsp.getSegment('QAK').field(2).getValue())).to.equal('OK');
        expect(String(rsp.getSegment('PID').field(3).getValue())).to.equal(NHS);
        const lots = rsp.segments
            .filter((s) => s.segmentType === 'RXA')
            .map((s) => String(s.field(15).getValue()));
        expect(lots.sort()).to.deep.equal(['FK1234', 'FK5555']);
        const none = await ask(query(nhsNumber(3, 83)));
        expect(String(none.getSegment('QAK').field(2).getValue())).to.equal('NF');
    });
    it('when bytes arrive that are not HL7 v2, then the listener keeps serving', async () => {
        await new Promise((resolve) => {
            const socket = connect(server.mllpPort, '127.0.0.1', () => {
                socket.write('\x0bnot a message at all\x1c\x0d');
                socket.write('GET / HTTP/1.1\r\n\r\n');
                socket.write(Buffer.from([0x0b, 0xff, 0xfe, 0x00, 0x1c, 0x0d]));
                setTimeout(() => socket.destroy(), 200);
            });
            socket.on('error', () => undefined);
            socket.on('close', () => resolve());
        });
        const ack = await client.sendMessageWaitAck(vxu('MSG-9', NHS, { 21: 'U', 15: 'FK7777' }));
        expect(msa(ack, 1)).to.equal('AA');
    });
});
//# sourceMappingURL=hl7v2.test.js.map