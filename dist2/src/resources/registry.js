import { consentProfile } from './consent.js';
import { immunizationProfile } from './immunization.js';
import { patientProfile } from './patient.js';
import { taskClientWrites, taskProfile } from './task.js';
const definitions = [
    { type: 'Patient', profile: patientProfile },
    { type: 'Immunization', profile: immunizationProfile },
    { type: 'Communication' },
    { type: 'Consent', profile: consentProfile },
    { type: 'Task', profile: taskProfile, clientWrites: taskClientWrites },
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
export function resourceDefinition(type) {
    return definitions.find((d) => d.type === type);
}
//# sourceMappingURL=registry.js.map