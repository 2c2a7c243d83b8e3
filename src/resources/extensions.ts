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
  /** nims; the level of an Organization in the reporting geography (region, icb, local-authority, gp-practice). */
  areaLevel: `${NIMS_BASE}/CodeSystem/area-level`,
} as const;

export const IDENTIFIER_SYSTEMS = {
  /** ONS Government Statistical Service codes, as for local authorities (E06000001). */
  gssCode: `${NIMS_BASE}/Id/gss-code`,
} as const;

/** The policy of a Consent that records a person's choice about central COVID-19 invitations. */
export const COVID_INVITATION_POLICY = `${NIMS_BASE}/Policy/central-covid-19-invitations`;

/** UK Core ethnic category codes for England: A to Z (no I, O, Q, U, V, X, Y) and 99 (not known). */
export const ETHNIC_CATEGORY_CODES = new Set([...'ABCDEFGHJKLMNPRSZ'.split(''), '99']);

export const RECIPIENT_GROUPS = new Set([
  'unpaid-carer',
  'social-care-worker',
  'health-care-worker',
  'care-home-worker',
  'care-home-resident',
]);
