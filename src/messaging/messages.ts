import { stableUuid } from '../shared/stable-uuid.js';
import type { Bundle, BundleEntry, FhirResource, Immunization, MessageHeader, Resource } from 'fhir/r4';
import { NIMS_BASE } from '../resources/extensions.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';

/** The events nims sends GP practices. */
export const MESSAGE_EVENT_SYSTEM = `${NIMS_BASE}/CodeSystem/message-event`;
export const VACCINATION_EVENT = 'vaccination-record-change';
/** What happened to the record: the MessageHeader's reason. */
export const RECORD_ACTION_SYSTEM = `${NIMS_BASE}/CodeSystem/record-action`;
export type RecordAction = 'new' | 'update' | 'delete';

/** One change of a vaccination record, for one practice. */
export interface VaccinationEvent {
  immunization: string;
  version: number;
  action: RecordAction;
  /** The practice's ODS code. */
  practice: string;
  patient: string;
  /** The change log number: orders a person's events. */
  seq: number;
  at: string;
}

/** What the GP outbox holds for each message: the event and the message as built when it happened. */
export interface GpMessage {
  event: VaccinationEvent;
  message: Bundle;
}

/** The id of the message for an event: the same however often it is sent, so receivers drop repeats. */
export function messageId(event: Pick<VaccinationEvent, 'immunization' | 'version' | 'practice'>): string {
  return stableUuid(`vaccination-message|${event.immunization}|${event.version}|${event.practice}`);
}

/**
 * The FHIR message telling a practice about an event: a `message` Bundle of the MessageHeader (the event,
 * the action as its reason, nims as source, the practice as destination, the Immunization as focus), then
 * the Immunization as it was stored (for a delete, as it was before), the Patient, and the resources the
 * Immunization refers to. Every entry's fullUrl is its address on this server, so references inside
 * resolve within the bundle.
 */
export function vaccinationMessage(
  event: VaccinationEvent,
  immunization: Immunization,
  related: Resource[],
  from: { base: string },
  to: { address?: string },
): Bundle {
  const id = messageId(event);
  const fullUrl = (resource: Resource) => `${from.base}/${resource.resourceType}/${resource.id}`;
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    id,
    eventCoding: {
      system: MESSAGE_EVENT_SYSTEM,
      code: VACCINATION_EVENT,
      display: 'Vaccination record change',
    },
    reason: { coding: [{ system: RECORD_ACTION_SYSTEM, code: event.action }] },
    destination: [
      {
        ...(to.address ? { endpoint: to.address } : { endpoint: `urn:ods:${event.practice}` }),
        receiver: { identifier: { system: ODS_CODE_SYSTEM, value: event.practice } },
      },
    ],
    source: { name: 'nims', endpoint: from.base },
    focus: [{ reference: fullUrl(immunization) }],
  };
  const entries: BundleEntry[] = [
    { fullUrl: `urn:uuid:${id}`, resource: header },
    ...[immunization, ...related].map((resource) => ({
      fullUrl: fullUrl(resource),
      resource: resource as FhirResource,
    })),
  ];
  return {
    resourceType: 'Bundle',
    id,
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${id}` },
    type: 'message',
    timestamp: event.at,
    entry: entries,
  };
}

/** The relative references (`Type/id`) an Immunization makes to the resources a message carries with it. */
export function referencesOf(immunization: Immunization): string[] {
  const references = [
    immunization.patient.reference,
    immunization.location?.reference,
    immunization.manufacturer?.reference,
    ...(immunization.performer ?? []).map((p) => p.actor.reference),
  ];
  return [
    ...new Set(
      references.filter((r): r is string =>
        /^(Patient|Location|Organization|Practitioner)\/[A-Za-z0-9\-.]{1,64}$/.test(r ?? ''),
      ),
    ),
  ];
}
