/**
 * The kinds of client nims serves, each with the scopes it is registered with unless others are given.
 * Operations (cohorts, invitations, statistics, bulk export) declare the scopes they need in terms of
 * these same resource permissions.
 */
export const ROLES = {
    'point-of-care': {
        description: 'Vaccination apps: look people up, read their status, record vaccinations and reactions',
        scopes: 'system/Patient.rs system/Immunization.cruds system/Observation.crus system/Location.rs system/Organization.rs system/Practitioner.rs',
    },
    'gp-system': {
        description: 'GP IT systems: vaccination records, and messages of their own practice only (--practice ODS code)',
        scopes: 'system/Patient.rs system/Immunization.crus system/Communication.rs system/Organization.rs',
    },
    'consent-app': {
        description: "Preference apps: record a person's choice about central invitations",
        scopes: 'system/Patient.rs system/Consent.cruds',
    },
    helpline: {
        description: "Helpline agents: set a caller's COVID-19 invitation preference on their behalf (the code still goes to the caller); check a caller against the register and open a correction of their vaccination record",
        scopes: 'system/Consent.crus system/Patient.rs system/Immunization.rs system/Task.crs',
    },
    'programme-staff': {
        description: 'Programme teams: cohorts, invitations, reminders and statistics',
        scopes: 'system/Patient.rs system/Immunization.rs system/Communication.cruds system/Task.cruds system/Consent.rs system/Organization.rs system/Location.rs system/Group.cruds system/Appointment.rs',
    },
    'integration-admin': {
        description: "Service desk: GP practices' message endpoints, and what was delivered to them",
        scopes: 'system/Endpoint.cruds system/Organization.rs system/Task.r',
    },
    'booking-system': {
        description: 'The national booking service: bookings and cancellations of vaccination appointments',
        scopes: 'system/Patient.rs system/Appointment.cruds system/Location.rs',
    },
    'data-quality': {
        description: 'Data-resolution team: Task workflows that add, fix and check records',
        scopes: 'system/Patient.crus system/Immunization.cruds system/Task.cruds system/Observation.rs system/Provenance.crs',
    },
    'external-agency': {
        description: 'Agencies that receive bulk extracts: pseudonymised unless registered with nims-export/full instead',
        scopes: 'system/Patient.rs system/Immunization.rs nims-export/research',
    },
    auditor: {
        description: 'Information governance: reads the audit trail',
        scopes: 'system/AuditEvent.rs',
    },
};
export function isRole(name) {
    return Object.hasOwn(ROLES, name);
}
//# sourceMappingURL=roles.js.map