import type { Immunization, Resource } from 'fhir/r4';
import { programmesAbout } from '../cohort/programmes.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { evaluate } from './path.js';
import { CODE_SYSTEMS, EXTENSIONS, IDENTIFIER_SYSTEMS } from '../resources/extensions.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';

export type SearchParamType = 'token' | 'string' | 'date' | 'reference';

/**
 * One search parameter: the single description that drives query parsing, the values stored with each
 * resource, the database indexes and the CapabilityStatement.
 */
export interface SearchParamDef {
  name: string;
  type: SearchParamType;
  /** FHIRPath-like expression (see path.ts) from the resource type. */
  expression: string;
  /** Values worked out by nims's own rules rather than read at `expression` (which then only documents). */
  derive?: (resource: Resource) => unknown[];
  description: string;
  /** Resource types a reference may point to. */
  targets?: string[];
  /**
   * Selective parameter kept as postings addressed by `_id` (type + parameter + value -> ids), so a search
   * on it is a handful of key lookups on any store. Only for values with few matches each.
   */
  posting?: boolean;
  /** Token values that must be unique within the type: 'any' system, or these systems. */
  unique?: 'any' | string[];
}

const ANY_RESOURCE = [
  'Patient',
  'Immunization',
  'Communication',
  'Consent',
  'Task',
  'Organization',
  'Location',
  'Practitioner',
  'Observation',
  'Group',
  'Appointment',
  'Endpoint',
  'Provenance',
];
const identifier = (type: string, unique?: SearchParamDef['unique']): SearchParamDef => ({
  name: 'identifier',
  type: 'token',
  expression: `${type}.identifier`,
  description: 'A business identifier (system|value)',
  posting: true,
  ...(unique ? { unique } : {}),
});
const patientRef = (expression: string): SearchParamDef => ({
  name: 'patient',
  type: 'reference',
  expression,
  targets: ['Patient'],
  description: 'The patient (Patient/id); chain with patient.identifier',
  posting: true,
});

/** Parameters every resource type has (besides `_id`, which is the document key). */
export const COMMON_PARAMETERS: SearchParamDef[] = [
  {
    name: '_lastUpdated',
    type: 'date',
    expression: 'Resource.meta.lastUpdated',
    description: 'When the resource version was stored',
  },
];

export const SEARCH_PARAMETERS: Record<string, SearchParamDef[]> = {
  Patient: [
    identifier('Patient', [NHS_NUMBER_SYSTEM]),
    { name: 'name', type: 'string', expression: 'Patient.name', description: 'Any part of any name' },
    { name: 'family', type: 'string', expression: 'Patient.name.family', description: 'Family name' },
    { name: 'given', type: 'string', expression: 'Patient.name.given', description: 'Given name' },
    { name: 'birthdate', type: 'date', expression: 'Patient.birthDate', description: 'Date of birth' },
    { name: 'death-date', type: 'date', expression: 'Patient.deceased', description: 'Date of death' },
    { name: 'gender', type: 'token', expression: 'Patient.gender', description: 'Administrative gender' },
    {
      name: 'address-postalcode',
      type: 'string',
      expression: 'Patient.address.postalCode',
      description: 'Postcode of any address',
    },
    {
      name: 'general-practitioner',
      type: 'reference',
      expression: 'Patient.generalPractitioner',
      targets: ['Organization', 'Practitioner'],
      description: 'Registered GP practice; use :identifier with the ODS code',
    },
    {
      name: 'telecom',
      type: 'token',
      expression: 'Patient.telecom',
      description: 'Phone or email (system|value)',
    },
    {
      name: 'ethnic-category',
      type: 'token',
      expression: `Patient.extension('${EXTENSIONS.ethnicCategory}').valueCodeableConcept`,
      description: 'UK Core ethnic category',
    },
  ],
  Immunization: [
    identifier('Immunization', 'any'),
    patientRef('Immunization.patient'),
    {
      name: 'target-disease',
      type: 'token',
      expression: 'Immunization.protocolApplied.targetDisease',
      description: 'Disease the dose protects against (SNOMED CT)',
    },
    {
      name: 'vaccine-code',
      type: 'token',
      expression: 'Immunization.vaccineCode',
      description: 'Vaccine product (SNOMED CT)',
    },
    {
      name: 'programme',
      type: 'token',
      expression: 'Immunization.protocolApplied.targetDisease | Immunization.vaccineCode',
      description:
        'The programme (vaccine type) the record is about, by its target diseases or else its vaccine: covid-19, flu, mmr',
      derive: (resource) =>
        programmesAbout(resource as Immunization).map((p) => ({
          system: CODE_SYSTEMS.programme,
          code: p.code,
        })),
    },
    {
      name: 'date',
      type: 'date',
      expression: 'Immunization.occurrence',
      description: 'When the vaccination happened',
    },
    { name: 'status', type: 'token', expression: 'Immunization.status', description: 'completed | not-done' },
    {
      name: 'status-reason',
      type: 'token',
      expression: 'Immunization.statusReason',
      description: 'Why a vaccination was not done',
    },
    {
      name: 'location',
      type: 'reference',
      expression: 'Immunization.location',
      targets: ['Location'],
      description: 'Where the vaccination happened',
    },
    {
      name: 'performer',
      type: 'reference',
      expression: 'Immunization.performer.actor',
      targets: ['Practitioner', 'Organization'],
      description: 'Who gave the vaccination',
    },
    {
      name: 'reaction',
      type: 'reference',
      expression: 'Immunization.reaction.detail',
      targets: ['Observation'],
      description: 'Adverse reaction Observation',
      posting: true,
    },
    {
      name: 'reaction-date',
      type: 'date',
      expression: 'Immunization.reaction.date',
      description: 'When an adverse reaction began',
    },
    {
      name: 'lot-number',
      type: 'string',
      expression: 'Immunization.lotNumber',
      description: 'Vaccine batch',
    },
    {
      name: 'recipient-group',
      type: 'token',
      expression: `Immunization.extension('${EXTENSIONS.recipientGroup}').valueCoding`,
      description: 'Care or occupation group of the person vaccinated (nims extension)',
    },
    {
      name: 'ethnic-category',
      type: 'token',
      expression: `Immunization.extension('${EXTENSIONS.ethnicCategoryAtVaccination}').valueCodeableConcept`,
      description: 'Ethnic category recorded at the point of care',
    },
  ],
  Communication: [
    identifier('Communication'),
    {
      name: 'subject',
      type: 'reference',
      expression: 'Communication.subject',
      targets: ['Patient', 'Group'],
      description: 'Who the communication is about',
      posting: true,
    },
    patientRef('Communication.subject'),
    { name: 'status', type: 'token', expression: 'Communication.status', description: 'Event status' },
    {
      name: 'category',
      type: 'token',
      expression: 'Communication.category',
      description: 'Message category',
    },
    { name: 'medium', type: 'token', expression: 'Communication.medium', description: 'Channel used' },
    { name: 'sent', type: 'date', expression: 'Communication.sent', description: 'When sent' },
    { name: 'received', type: 'date', expression: 'Communication.received', description: 'When received' },
    {
      name: 'based-on',
      type: 'reference',
      expression: 'Communication.basedOn',
      targets: ['Task'],
      description: 'The invitation run or request this fulfils',
    },
    {
      name: 'recipient',
      type: 'reference',
      expression: 'Communication.recipient',
      targets: ['Patient', 'Organization', 'Practitioner'],
      description: 'Who the message is for',
    },
    {
      name: 'sender',
      type: 'reference',
      expression: 'Communication.sender',
      targets: ['Organization', 'Practitioner'],
      description: 'Who sent the message',
    },
    {
      name: 'practice',
      type: 'token',
      expression: 'Communication.recipient.identifier | Communication.sender.identifier',
      description: `A GP practice sending or receiving the message (${ODS_CODE_SYSTEM}|code)`,
    },
  ],
  Consent: [
    identifier('Consent'),
    patientRef('Consent.patient'),
    { name: 'status', type: 'token', expression: 'Consent.status', description: 'Consent status' },
    { name: 'category', type: 'token', expression: 'Consent.category', description: 'Kind of consent' },
    { name: 'scope', type: 'token', expression: 'Consent.scope', description: 'Scope of the consent' },
    { name: 'date', type: 'date', expression: 'Consent.dateTime', description: 'When the choice was made' },
  ],
  Task: [
    identifier('Task'),
    { name: 'status', type: 'token', expression: 'Task.status', description: 'Task status' },
    { name: 'code', type: 'token', expression: 'Task.code', description: 'Kind of task' },
    { name: 'intent', type: 'token', expression: 'Task.intent', description: 'Task intent' },
    {
      name: 'business-status',
      type: 'token',
      expression: 'Task.businessStatus',
      description: 'Business status',
    },
    {
      name: 'focus',
      type: 'reference',
      expression: 'Task.focus',
      targets: ANY_RESOURCE,
      description: 'What the task acts on',
      posting: true,
    },
    {
      name: 'for',
      type: 'reference',
      expression: 'Task.for',
      targets: ANY_RESOURCE,
      description: 'Who or what the task is for',
      posting: true,
    },
    patientRef('Task.for'),
    {
      name: 'owner',
      type: 'reference',
      expression: 'Task.owner',
      targets: ['Organization', 'Practitioner'],
      description: 'Responsible team or person',
    },
    {
      name: 'authored-on',
      type: 'date',
      expression: 'Task.authoredOn',
      description: 'When the task was created',
    },
    {
      name: 'modified',
      type: 'date',
      expression: 'Task.lastModified',
      description: 'When the task last changed',
    },
    {
      name: 'part-of',
      type: 'reference',
      expression: 'Task.partOf',
      targets: ['Task'],
      description: 'Parent task',
      posting: true,
    },
  ],
  Organization: [
    identifier('Organization', [ODS_CODE_SYSTEM, IDENTIFIER_SYSTEMS.gssCode]),
    {
      name: 'name',
      type: 'string',
      expression: 'Organization.name | Organization.alias',
      description: 'Name',
    },
    { name: 'type', type: 'token', expression: 'Organization.type', description: 'Kind of organisation' },
    {
      name: 'partof',
      type: 'reference',
      expression: 'Organization.partOf',
      targets: ['Organization'],
      description: 'Parent organisation',
    },
    {
      name: 'address-postalcode',
      type: 'string',
      expression: 'Organization.address.postalCode',
      description: 'Postcode',
    },
  ],
  Location: [
    identifier('Location'),
    { name: 'name', type: 'string', expression: 'Location.name | Location.alias', description: 'Name' },
    { name: 'type', type: 'token', expression: 'Location.type', description: 'Kind of location' },
    {
      name: 'organization',
      type: 'reference',
      expression: 'Location.managingOrganization',
      targets: ['Organization'],
      description: 'Organisation responsible',
    },
    {
      name: 'address-postalcode',
      type: 'string',
      expression: 'Location.address.postalCode',
      description: 'Postcode',
    },
  ],
  Practitioner: [
    identifier('Practitioner'),
    { name: 'name', type: 'string', expression: 'Practitioner.name', description: 'Any part of any name' },
    { name: 'family', type: 'string', expression: 'Practitioner.name.family', description: 'Family name' },
    { name: 'given', type: 'string', expression: 'Practitioner.name.given', description: 'Given name' },
  ],
  Group: [
    identifier('Group'),
    { name: 'name', type: 'string', expression: 'Group.name', description: 'The name of the cohort' },
    { name: 'type', type: 'token', expression: 'Group.type', description: 'The kind of members' },
  ],
  Endpoint: [
    identifier('Endpoint'),
    {
      name: 'practice',
      type: 'token',
      expression: 'Endpoint.managingOrganization.identifier',
      description: `The GP practice the endpoint serves (${ODS_CODE_SYSTEM}|code)`,
    },
    {
      name: 'organization',
      type: 'reference',
      expression: 'Endpoint.managingOrganization',
      targets: ['Organization'],
      description: 'The organisation the endpoint serves',
    },
    { name: 'status', type: 'token', expression: 'Endpoint.status', description: 'active, off, ...' },
    { name: 'name', type: 'string', expression: 'Endpoint.name', description: 'Name' },
  ],
  Appointment: [
    identifier('Appointment'),
    patientRef('Appointment.participant.actor'),
    {
      name: 'actor',
      type: 'reference',
      expression: 'Appointment.participant.actor',
      targets: ['Patient', 'Practitioner', 'Location'],
      description: 'Any participant: the person, who vaccinates, where',
    },
    { name: 'status', type: 'token', expression: 'Appointment.status', description: 'Appointment status' },
    {
      name: 'service-type',
      type: 'token',
      expression: 'Appointment.serviceType',
      description: 'What the appointment is for (the nims programme code system: covid-19)',
    },
    { name: 'date', type: 'date', expression: 'Appointment.start', description: 'When it starts' },
  ],
  Observation: [
    identifier('Observation'),
    patientRef('Observation.subject'),
    {
      name: 'subject',
      type: 'reference',
      expression: 'Observation.subject',
      targets: ['Patient'],
      description: 'Who the observation is about',
      posting: true,
    },
    { name: 'code', type: 'token', expression: 'Observation.code', description: 'What was observed' },
    { name: 'status', type: 'token', expression: 'Observation.status', description: 'Observation status' },
    { name: 'date', type: 'date', expression: 'Observation.effective', description: 'When observed' },
  ],
  Provenance: [
    {
      name: 'target',
      type: 'reference',
      expression: 'Provenance.target',
      targets: ['Immunization', 'Patient', 'Task'],
      description: 'What the provenance is about (Immunization/id, any version)',
      posting: true,
    },
    {
      name: 'entity',
      type: 'reference',
      expression: 'Provenance.entity.what',
      targets: ['Task'],
      description: 'What the change came from (the correction Task)',
      posting: true,
    },
    { name: 'recorded', type: 'date', expression: 'Provenance.recorded', description: 'When recorded' },
  ],
  AuditEvent: [
    { name: 'date', type: 'date', expression: 'AuditEvent.recorded', description: 'When it happened' },
    { name: 'action', type: 'token', expression: 'AuditEvent.action', description: 'C, R, U, D or E' },
    {
      name: 'outcome',
      type: 'token',
      expression: 'AuditEvent.outcome',
      description: '0 success, 4 or 8 failure',
    },
    { name: 'type', type: 'token', expression: 'AuditEvent.type', description: 'Kind of event' },
    { name: 'subtype', type: 'token', expression: 'AuditEvent.subtype', description: 'The FHIR interaction' },
    {
      name: 'agent',
      type: 'reference',
      expression: 'AuditEvent.agent.who',
      targets: ['Device', 'Organization', 'Practitioner'],
      description: 'Who acted; the client as agent:identifier=system|client-id',
    },
    { name: 'altid', type: 'token', expression: 'AuditEvent.agent.altId', description: 'The client id' },
    {
      name: 'address',
      type: 'string',
      expression: 'AuditEvent.agent.network.address',
      description: 'IP address',
    },
    {
      name: 'entity',
      type: 'reference',
      expression: 'AuditEvent.entity.what',
      targets: ANY_RESOURCE,
      description: 'A resource the event touched',
      posting: true,
    },
    {
      name: 'patient',
      type: 'reference',
      expression: 'AuditEvent.entity.what',
      targets: ['Patient'],
      description: 'A person whose record the event touched',
      posting: true,
    },
  ],
};

export function parametersOf(type: string): SearchParamDef[] {
  return [...COMMON_PARAMETERS, ...(SEARCH_PARAMETERS[type] ?? [])];
}

/** The values a parameter finds in a resource (items of FHIR data, before they become search values). */
export function parameterNodes(resource: Resource, param: SearchParamDef): unknown[] {
  return param.derive ? param.derive(resource) : evaluate(resource, param.expression);
}

export function findParameter(type: string, name: string): SearchParamDef | undefined {
  return parametersOf(type).find((p) => p.name === name);
}
