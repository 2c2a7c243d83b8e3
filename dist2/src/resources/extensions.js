/** Canonical base of the project's own definitions (profiles/ holds their StructureDefinitions). */
export const NIMS_BASE = 'https://nims.example.org/fhir';
export const EXTENSIONS = {
    /** UK Core; on Patient. */
    ethnicCategory: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory',
    /** nims; ethnic category as stated at the point of care, on Immunization. */
    ethnicCategoryAtVaccination: `${NIMS_BASE}/StructureDefinition/ethnic-category-at-vaccination`,
    /** nims; care or occupation group of the person vaccinated, on Immunization (0..*). */
    recipientGroup: `${NIMS_BASE}/StructureDefinition/recipient-group`,
    /** nims; the care home (Location) of a resident or worker, on Immunization. */
    careHome: `${NIMS_BASE}/StructureDefinition/care-home`,
    /** nims; on Patient: registered with the NHS App and opted into its notifications (valueBoolean). */
    nhsAppNotifications: `${NIMS_BASE}/StructureDefinition/nhs-app-notifications`,
    /** nims; a priority group or attribute list the person is on, with its source (0..*), on Patient. */
    priorityGroup: `${NIMS_BASE}/StructureDefinition/priority-group`,
    /** nims; on Immunization: the country a vaccination was given in (valueCodeableConcept, ISO 3166-1). */
    vaccinationCountry: `${NIMS_BASE}/StructureDefinition/vaccination-country`,
    /**
     * nims; on Immunization given abroad: who reviewed the evidence at a vaccination centre (reviewer, a
     * Practitioner), that photo ID was checked (identity-checked), what the evidence was and when.
     */
    abroadEvidence: `${NIMS_BASE}/StructureDefinition/abroad-evidence-review`,
    /** nims; on Endpoint: how a GP practice gets vaccination messages (valueCode immediate or daily). */
    gpDeliveryMode: `${NIMS_BASE}/StructureDefinition/gp-delivery-mode`,
};
export const CODE_SYSTEMS = {
    ethnicCategory: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland',
    recipientGroup: `${NIMS_BASE}/CodeSystem/recipient-group`,
    /** nims; the level of an Organization in the reporting geography (region, icb, local-authority, gp-practice). */
    areaLevel: `${NIMS_BASE}/CodeSystem/area-level`,
    priorityGroup: `${NIMS_BASE}/CodeSystem/priority-group`,
    clinicalRiskGroup: `${NIMS_BASE}/CodeSystem/clinical-risk-group`,
    /** nims; the vaccination programmes (covid-19, flu, mmr): what a Communication or Appointment is for. */
    programme: `${NIMS_BASE}/CodeSystem/programme`,
};
/** ISO 3166-1 country codes (two letters). */
export const COUNTRY_SYSTEM = 'urn:iso:std:iso:3166';
export const IDENTIFIER_SYSTEMS = {
    /** ONS Government Statistical Service codes, as for local authorities (E06000001). */
    gssCode: `${NIMS_BASE}/Id/gss-code`,
};
/** The policy of a Consent that records a person's choice about central COVID-19 invitations. */
export const COVID_INVITATION_POLICY = `${NIMS_BASE}/Policy/central-covid-19-invitations`;
/** UK Core ethnic category codes for England (NHS Data Dictionary, 2001 census categories) and their names. */
export const ETHNIC_CATEGORY_NAMES = {
    A: 'White: British',
    B: 'White: Irish',
    C: 'White: any other White background',
    D: 'Mixed: White and Black Caribbean',
    E: 'Mixed: White and Black African',
    F: 'Mixed: White and Asian',
    G: 'Mixed: any other mixed background',
    H: 'Asian or Asian British: Indian',
    J: 'Asian or Asian British: Pakistani',
    K: 'Asian or Asian British: Bangladeshi',
    L: 'Asian or Asian British: any other Asian background',
    M: 'Black or Black British: Caribbean',
    N: 'Black or Black British: African',
    P: 'Black or Black British: any other Black background',
    R: 'Other ethnic groups: Chinese',
    S: 'Other ethnic groups: any other ethnic group',
    Z: 'Not stated',
    '99': 'Not known',
};
/** The codes alone: A to Z (no I, O, Q, U, V, X, Y) and 99 (not known). */
export const ETHNIC_CATEGORY_CODES = new Set(Object.keys(ETHNIC_CATEGORY_NAMES));
export const RECIPIENT_GROUPS = new Set([
    'unpaid-carer',
    'social-care-worker',
    'health-care-worker',
    'care-home-worker',
    'care-home-resident',
]);
//# sourceMappingURL=extensions.js.map