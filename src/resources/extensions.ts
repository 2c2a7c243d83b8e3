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
} as const;

export const CODE_SYSTEMS = {
  ethnicCategory: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland',
  recipientGroup: `${NIMS_BASE}/CodeSystem/recipient-group`,
} as const;

/** UK Core ethnic category codes for England: A to Z (no I, O, Q, U, V, X, Y) and 99 (not known). */
export const ETHNIC_CATEGORY_CODES = new Set([...'ABCDEFGHJKLMNPRSZ'.split(''), '99']);

export const RECIPIENT_GROUPS = new Set([
  'unpaid-carer',
  'social-care-worker',
  'health-care-worker',
  'care-home-worker',
  'care-home-resident',
]);
