import { HL7Server } from 'hl7v2-net';
import { FhirError } from '../fhir/errors.js';
import { SERVER_CONTEXT } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { SNOMED_SYSTEM } from '../shared/snomed.js';
import { hl7DateTime, nhsNumberOf, valueText, vxuRecord } from './mapping.js';
/** Administrative sex (HL7 table 0001) of a FHIR gender. */
const SEX_CODES = { male: 'M', female: 'F', other: 'O', unknown: 'U' };
/** Text of a field's first component. */
const first = (message, segment, field, component = 1) => valueText(message.getSegment(segment)?.field(field).component(component).getValue());
/**
 * The MLLP listener for GP systems that speak HL7 v2: `VXU^V04` records (or changes, or deletes) a
 * vaccination as a FHIR message would, answered `ACK` (`AA`, or `AE` with an `ERR` segment saying what is
 * wrong); `QBP^Q11` (Z44, by NHS number) answers `RSP^K11` with the person's vaccinations. Anything else
 * is refused (`AR`); what cannot be read as HL7 v2 at all is dropped by the framing layer, never a crash.
 */
export class MllpListener {
    service;
    inbound;
    server = HL7Server.createServer();
    constructor(service, inbound) {
        this.service = service;
        this.inbound = inbound;
        this.server.use(async (request, response) => {
            // an acknowledgement is never acknowledged (two sides that did would answer each other forever);
            // the library sends a response unless it counts as sent already
            if (first(request.message, 'MSH', 9) === 'ACK') {
                response._finished = true;
                return;
            }
            response.message = await this.answer(request.message);
        });
        // a frame that is not HL7 v2 at all makes the library throw while it answers: that connection is
        // dropped, and the listener goes on
        this.server.on('connection', (socket) => {
            const guarded = socket;
            const parse = guarded._onData.bind(socket);
            guarded._onData = (data) => {
                try {
                    parse(data);
                }
                catch (error) {
                    logger.warn('MLLP frame that is not HL7 v2; connection dropped', { error: String(error) });
                    socket.socket.destroy();
                }
            };
        });
        this.server.on('error', (error) => logger.warn('MLLP', { error: String(error) }));
        this.server.onError((error, _request, response) => {
            logger.warn('HL7 v2 message refused', { error: String(error) });
            if (!response.finished)
                response.failed(error);
        });
    }
    /** Listens; answers the port (0 asks for a free one). */
    async start(port, host) {
        await this.server.listen(port, host);
        const address = this.server._server.address();
        logger.info('MLLP listening', { host, port: address.port });
        return address.port;
    }
    async stop() {
        await this.server.close(5000);
    }
    async answer(message) {
        const type = `${first(message, 'MSH', 9, 1)}^${first(message, 'MSH', 9, 2)}`;
        try {
            if (type === 'VXU^V04') {
                await this.inbound.take(this.service, vxuRecord(message), SERVER_CONTEXT);
                return message.createAck('AA');
            }
            if (type === 'QBP^Q11')
                return await this.history(message);
            const refusal = message.createAck('AR', `Message type ${type} is not taken here (VXU^V04 and QBP^Q11 are)`);
            refusal.addError(`Unsupported message type ${type}`);
            return refusal;
        }
        catch (error) {
            if (!(error instanceof FhirError)) {
                // a defect, or the database gone: the sender hears so and may send again; the log says what
                logger.error('HL7 v2 message failed', { type, error: String(error) });
                const failure = message.createAck('AE', 'The message could not be processed now; send it again later');
                failure.addError('internal error');
                return failure;
            }
            const problem = error.problems
                .map((p) => `${p.expression?.[0] ?? ''} ${p.diagnostics}`.trim())
                .join('; ');
            const nak = message.createAck('AE', problem.slice(0, 200));
            nak.addError(problem);
            return nak;
        }
    }
    /** `RSP^K11` for a Z44 query by NHS number: the person and their vaccinations (QAK-2 NF when no one). */
    async history(query) {
        const rsp = query.createAck('AA');
        rsp.header.field(9).component(1).setValue('RSP');
        rsp.header.field(9).component(2).setValue('K11');
        rsp.header.field(9).component(3).setValue('RSP_K11');
        const nhsNumber = nhsNumberOf(query.getSegment('QPD'));
        const qak = rsp.addSegment('QAK');
        qak.field(1).setValue(first(query, 'QPD', 2));
        const qpd = rsp.addSegment('QPD');
        qpd
            .field(1)
            .component(1)
            .setValue(first(query, 'QPD', 1));
        qpd.field(2).setValue(first(query, 'QPD', 2));
        qpd
            .field(3)
            .component(1)
            .setValue(nhsNumber ?? '');
        const person = nhsNumber
            ? (await this.service.repository.holders('Patient', 'identifier', [
                `${NHS_NUMBER_SYSTEM}|${nhsNumber}`,
            ]))
                .values()
                .next().value
            : undefined;
        if (!person?.resource) {
            qak.field(2).setValue('NF');
            return rsp;
        }
        qak.field(2).setValue('OK');
        const patient = person.resource;
        const pid = rsp.addSegment('PID');
        pid.field(1).setValue('1');
        pid.field(3).component(1).setValue(nhsNumber);
        pid.field(3).component(4).setValue('NHS');
        pid.field(3).component(5).setValue('NH');
        const name = patient.name?.[0];
        pid
            .field(5)
            .component(1)
            .setValue(name?.family ?? '');
        pid
            .field(5)
            .component(2)
            .setValue(name?.given?.[0] ?? '');
        pid.field(7).setValue(hl7DateTime(patient.birthDate));
        pid.field(8).setValue(SEX_CODES[patient.gender ?? 'unknown'] ?? 'U');
        for (const immunization of await this.service.ofPatient('Immunization', person.id)) {
            const orc = rsp.addSegment('ORC');
            orc.field(1).setValue('RE');
            orc.field(3).setValue(immunization.identifier?.[0]?.value ?? immunization.id ?? '');
            const rxa = rsp.addSegment('RXA');
            rxa.field(1).setValue('0');
            rxa.field(2).setValue('1');
            rxa.field(3).setValue(hl7DateTime(immunization.occurrenceDateTime));
            const vaccine = immunization.vaccineCode.coding?.find((c) => c.system === SNOMED_SYSTEM);
            rxa
                .field(5)
                .component(1)
                .setValue(vaccine?.code ?? '');
            rxa
                .field(5)
                .component(2)
                .setValue(vaccine?.display ?? immunization.vaccineCode.text ?? '');
            rxa
                .field(5)
                .component(3)
                .setValue(vaccine ? 'SCT' : '');
            rxa.field(6).setValue(String(immunization.doseQuantity?.value ?? 999));
            if (immunization.doseQuantity?.unit)
                rxa.field(7).component(1).setValue(immunization.doseQuantity.unit);
            if (immunization.lotNumber)
                rxa.field(15).setValue(immunization.lotNumber);
            rxa
                .field(20)
                .setValue(immunization.status === 'completed' ? 'CP' : immunization.status === 'not-done' ? 'RE' : 'NA');
            rxa.field(21).setValue('A');
        }
        return rsp;
    }
}
//# sourceMappingURL=listener.js.map