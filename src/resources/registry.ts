import type { Resource } from 'fhir/r4';
import type { Profile } from '../profiles/rules.js';
import { consentProfile } from './consent.js';
import { immunizationProfile } from './immunization.js';
import { patientProfile } from './patient.js';
import { taskClientWrites, taskProfile } from './task.js';

/** A resource type the server holds: its nims profile (rules beyond the FHIR schema), if any. */
export interface ResourceDefinition {
  type: string;
  profile?: Profile;
  /**
   * The audit trail: written by the server alone, in bulk and outside the change log. Clients read and
   * search it, never write it, and it has no type or system history.
   */
  readOnly?: boolean;
  /**
   * Rules on what a client may write, beyond the resource's own validity: they see what is stored now
   * (`before`) and what would be (`after`, undefined for a delete) and throw to refuse. The server's own
   * workflow steps skip them.
   */
  clientWrites?: (
    change: { before?: Resource; after?: Resource },
    resolve: (reference: string | undefined) => Promise<Resource | undefined>,
  ) => Promise<void>;
}

const definitions: ResourceDefinition[] = [
  { type: 'Patient', profile: patientProfile as Profile },
  { type: 'Immunization', profile: immunizationProfile as Profile },
  { type: 'Communication' },
  { type: 'Consent', profile: consentProfile as Profile },
  { type: 'Task', profile: taskProfile as Profile, clientWrites: taskClientWrites },
  { type: 'Organization' },
  { type: 'Location' },
  { type: 'Practitioner' },
  { type: 'Observation' },
  { type: 'Group' },
  { type: 'Appointment' },
  { type: 'Endpoint' },
  { type: 'Provenance' },
  { type: 'AuditEvent', readOnly: true },
];

export const RESOURCE_TYPES = definitions.map((d) => d.type);

export function resourceDefinition(type: string): ResourceDefinition | undefined {
  return definitions.find((d) => d.type === type);
}
