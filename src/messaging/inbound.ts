import { randomUUID } from 'node:crypto';
import type { Immunization } from 'fhir/r4';
import type { Collection, Db } from 'mongodb';
import { fail } from '../fhir/errors.js';
import type { FhirService, InteractionResult, RequestContext } from '../fhir/service.js';
import { gpMessagesReceived } from '../shared/metrics.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { isDuplicateKey } from '../store/mongo-errors.js';

/** A vaccination a GP system tells nims about, whatever the form it came in (FHIR message, HL7 v2). */
export interface PracticeRecord {
  /** The message's own id: a repeat is answered as the first and changes nothing. */
  messageId: string;
  /** The sending practice's ODS code. */
  practice: string;
  action: 'new' | 'update' | 'delete';
  nhsNumber: string;
  /** The record, with the practice's identifier for it; its patient is set to the person found. */
  immunization: Immunization;
}

interface AnsweredMessage {
  /** The MessageHeader id of a message a GP system sent. */
  _id: string;
  practice: string;
  /** What the answer named. */
  focus: string;
}

/**
 * What nims keeps of the vaccination messages GP systems send it: each message's answer (a repeat is
 * answered the same, and changes nothing). The versions a message makes carry the sending practice as
 * their origin, so they are not sent back to it.
 */
export class GpInbound {
  private readonly answers: Collection<AnsweredMessage>;

  constructor(db: Db) {
    this.answers = db.collection<AnsweredMessage>('gp_inbound_messages');
  }

  /**
   * Stores what a practice sent: the person found on the register by NHS number, the Immunization
   * created, updated or deleted by the practice's identifier, as a version of the practice's own (never
   * sent back to it). Answers the record it now concerns (`Immunization/{id}`); 4xx when the
   * person is not on the register or the record has no identifier.
   */
  async take(service: FhirService, record: PracticeRecord, context: RequestContext): Promise<string> {
    const earlier = await this.answered(record.messageId);
    if (earlier) {
      gpMessagesReceived.inc({ outcome: 'duplicate' });
      return earlier;
    }
    try {
      const focus = await this.store(service, record, context);
      gpMessagesReceived.inc({ outcome: 'stored' });
      return focus;
    } catch (error) {
      gpMessagesReceived.inc({ outcome: 'refused' });
      throw error;
    }
  }

  private async store(
    service: FhirService,
    record: PracticeRecord,
    context: RequestContext,
  ): Promise<string> {
    const identifier = record.immunization.identifier?.find((i) => i.system && i.value);
    if (!identifier)
      fail(
        'invalid-request',
        "The Immunization must carry the practice's identifier for it (system and value)",
        ['Immunization.identifier'],
      );
    const repository = service.repository;
    const first = async (type: string, value: string) =>
      (await repository.holders(type, 'identifier', [value])).values().next().value;
    const person = await first('Patient', `${NHS_NUMBER_SYSTEM}|${record.nhsNumber}`);
    if (!person)
      fail('unknown-patient', `No one with NHS number ${record.nhsNumber} is on the register`, [
        'Patient.identifier',
      ]);
    const existing = await first('Immunization', `${identifier.system}|${identifier.value}`);
    const options = { access: context.access, origin: record.practice };
    let result: InteractionResult;
    if (record.action === 'delete') {
      if (!existing)
        fail('not-found', 'No vaccination record has that identifier', ['Immunization.identifier']);
      result = await service.delete('Immunization', existing.id, undefined, options);
    } else {
      const { id: _id, meta: _meta, ...content } = record.immunization;
      const immunization: Immunization = { ...content, patient: { reference: `Patient/${person.id}` } };
      result = existing
        ? await service.update(
            'Immunization',
            existing.id,
            { ...immunization, id: existing.id },
            undefined,
            options,
          )
        : await service.createWithId('Immunization', immunization, randomUUID(), options);
    }
    const focus = `Immunization/${result.stored!.id}`;
    await this.record(record.messageId, record.practice, focus);
    return focus;
  }

  /** The focus of the answer to a message taken before; undefined for a new one. */
  async answered(messageId: string): Promise<string | undefined> {
    return (await this.answers.findOne({ _id: messageId }))?.focus;
  }

  private async record(messageId: string, practice: string, focus: string): Promise<void> {
    try {
      await this.answers.insertOne({ _id: messageId, practice, focus });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
}
