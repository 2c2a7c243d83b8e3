import { randomUUID } from 'node:crypto';
import { fail } from '../fhir/errors.js';
import { gpMessagesReceived } from '../shared/metrics.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { isDuplicateKey } from '../store/mongo-errors.js';
/**
 * What nims keeps of the vaccination messages GP systems send it: each message's answer (a repeat is
 * answered the same, and changes nothing). The versions a message makes carry the sending practice as
 * their origin, so they are not sent back to it.
 */
export class GpInbound {
    answers;
    constructor(db) {
        this.answers = db.collection('gp_inbound_messages');
    }
    /**
     * Stores what a practice sent: the person found on the register by NHS number, the Immunization
     * created, updated or deleted by the practice's identifier, as a version of the practice's own (never
     * sent back to it). Answers the record it now concerns (`Immunization/{id}`); 4xx when the
     * person is not on the register or the record has no identifier.
     */
    async take(service, record, context) {
        const earlier = await this.answered(record.messageId);
        if (earlier) {
            gpMessagesReceived.inc({ outcome: 'duplicate' });
            return earlier;
        }
        try {
            const focus = await this.store(service, record, context);
            gpMessagesReceived.inc({ outcome: 'stored' });
            return focus;
        }
        catch (error) {
            gpMessagesReceived.inc({ outcome: 'refused' });
            throw error;
        }
    }
    async store(service, record, context) {
        const identifier = record.immunization.identifier?.find((i) => i.system && i.value);
        if (!identifier)
            fail('invalid-request', "The Immunization must carry the practice's identifier for it (system and value)", ['Immunization.identifier']);
        const repository = service.repository;
        const first = async (type, value) => (await repository.holders(type, 'identifier', [value])).values().next().value;
        const person = await first('Patient', `${NHS_NUMBER_SYSTEM}|${record.nhsNumber}`);
        if (!person)
            fail('unknown-patient', `No one with NHS number ${record.nhsNumber} is on the register`, [
                'Patient.identifier',
            ]);
        const existing = await first('Immunization', `${identifier.system}|${identifier.value}`);
        const options = { access: context.access, origin: record.practice };
        let result;
        if (record.action === 'delete') {
            if (!existing)
                fail('not-found', 'No vaccination record has that identifier', ['Immunization.identifier']);
            result = await service.delete('Immunization', existing.id, undefined, options);
        }
        else {
            const { id: _id, meta: _meta, ...content } = record.immunization;
            const immunization = { ...content, patient: { reference: `Patient/${person.id}` } };
            result = existing
                ? await service.update('Immunization', existing.id, { ...immunization, id: existing.id }, undefined, options)
                : await service.createWithId('Immunization', immunization, randomUUID(), options);
        }
        const focus = `Immunization/${result.stored.id}`;
        await this.record(record.messageId, record.practice, focus);
        return focus;
    }
    /** The focus of the answer to a message taken before; undefined for a new one. */
    async answered(messageId) {
        return (await this.answers.findOne({ _id: messageId }))?.focus;
    }
    async record(messageId, practice, focus) {
        try {
            await this.answers.insertOne({ _id: messageId, practice, focus });
        }
        catch (error) {
            if (!isDuplicateKey(error))
                throw error;
        }
    }
}
//# sourceMappingURL=inbound.js.map