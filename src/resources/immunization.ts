import type { Extension, Immunization } from 'fhir/r4';
import { notInFuture, requireSnomed, type Profile } from '../profiles/rules.js';
import { referenceKey } from '../search/index-values.js';
import {
  CODE_SYSTEMS,
  ETHNIC_CATEGORY_CODES,
  EXTENSIONS,
  NIMS_BASE,
  RECIPIENT_GROUPS,
} from './extensions.js';

/** UK Core extension carrying the SNOMED CT vaccination procedure. */
export const VACCINATION_PROCEDURE_EXTENSION =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure';

type Finding = { diagnostics: string; expression: string[] };

function extensionsOf(immunization: Immunization, url: string): [Extension, number][] {
  return (immunization.extension ?? []).flatMap((e, i): [Extension, number][] =>
    e.url === url ? [[e, i]] : [],
  );
}

function referencesType(reference: string | undefined, type: string): boolean {
  return referenceKey(reference ?? '').startsWith(`${type}/`);
}

export const immunizationProfile: Profile<Immunization> = {
  type: 'Immunization',
  url: `${NIMS_BASE}/StructureDefinition/nims-immunization`,
  rules: [
    {
      key: 'imm-status',
      description:
        'The status (completed, entered-in-error or not-done) is given: it decides whether the dose counts',
      check: (imm) =>
        imm.status === undefined
          ? [{ diagnostics: 'Immunization.status is required', expression: ['Immunization.status'] }]
          : [],
    },
    {
      key: 'imm-vaccine-code-snomed',
      description: 'The vaccine product is coded with SNOMED CT',
      check: (imm) => requireSnomed(imm.vaccineCode, 'Immunization.vaccineCode', 'The vaccine product'),
    },
    {
      key: 'imm-procedure-snomed',
      description: 'The vaccination procedure (UK Core extension), when given, is coded with SNOMED CT',
      check: (imm) =>
        extensionsOf(imm, VACCINATION_PROCEDURE_EXTENSION).flatMap(([e, i]) =>
          requireSnomed(
            e.valueCodeableConcept ?? {},
            `Immunization.extension[${i}].valueCodeableConcept`,
            'The vaccination procedure',
          ),
        ),
    },
    {
      key: 'imm-site-route-snomed',
      description: 'Site and route, when given, are coded with SNOMED CT',
      check: (imm) => [
        ...requireSnomed(imm.site, 'Immunization.site', 'The site'),
        ...requireSnomed(imm.route, 'Immunization.route', 'The route'),
      ],
    },
    {
      key: 'imm-target-disease-snomed',
      description: 'Target diseases are coded with SNOMED CT',
      check: (imm) =>
        (imm.protocolApplied ?? []).flatMap((p, i) =>
          (p.targetDisease ?? []).flatMap((d, j) =>
            requireSnomed(d, `Immunization.protocolApplied[${i}].targetDisease[${j}]`, 'The target disease'),
          ),
        ),
    },
    {
      key: 'imm-occurrence-datetime',
      description: 'The vaccination time is a dateTime (not free text) and not in the future',
      check: (imm, context) =>
        imm.occurrenceDateTime === undefined
          ? [
              {
                diagnostics: 'occurrenceDateTime is required',
                expression: ['Immunization.occurrenceDateTime'],
              },
            ]
          : notInFuture(imm.occurrenceDateTime, 'Immunization.occurrenceDateTime', context),
    },
    {
      key: 'imm-recorded-not-future',
      description: 'The recording time is not in the future',
      check: (imm, context) => notInFuture(imm.recorded, 'Immunization.recorded', context),
    },
    {
      key: 'imm-not-done-reason',
      description: 'A vaccination not done (a refusal) carries a statusReason',
      check: (imm) =>
        imm.status === 'not-done' && !imm.statusReason
          ? [
              {
                diagnostics: 'A not-done Immunization must say why in statusReason',
                expression: ['Immunization.statusReason'],
              },
            ]
          : [],
    },
    {
      key: 'imm-reaction-observation',
      description: 'An adverse reaction is an Observation referenced from reaction.detail',
      check: (imm) =>
        (imm.reaction ?? []).flatMap((r, i): Finding[] =>
          referencesType(r.detail?.reference, 'Observation')
            ? []
            : [
                {
                  diagnostics: 'reaction.detail must reference an Observation',
                  expression: [`Immunization.reaction[${i}].detail`],
                },
              ],
        ),
    },
    {
      key: 'imm-recipient-group',
      description: 'Recipient groups use the nims recipient-group codes',
      check: (imm) =>
        extensionsOf(imm, EXTENSIONS.recipientGroup).flatMap(([e, i]): Finding[] =>
          e.valueCoding?.system === CODE_SYSTEMS.recipientGroup &&
          RECIPIENT_GROUPS.has(e.valueCoding.code ?? '')
            ? []
            : [
                {
                  diagnostics: `Recipient group must be one of ${[...RECIPIENT_GROUPS].join(', ')} from ${CODE_SYSTEMS.recipientGroup}`,
                  expression: [`Immunization.extension[${i}].valueCoding`],
                },
              ],
        ),
    },
    {
      key: 'imm-ethnic-category',
      description: 'Ethnic category uses the UK Core code system for England (A to Z, 99)',
      check: (imm) =>
        extensionsOf(imm, EXTENSIONS.ethnicCategoryAtVaccination).flatMap(([e, i]): Finding[] =>
          (e.valueCodeableConcept?.coding ?? []).some(
            (c) => c.system === CODE_SYSTEMS.ethnicCategory && ETHNIC_CATEGORY_CODES.has(c.code ?? ''),
          )
            ? []
            : [
                {
                  diagnostics: `Ethnic category must be a code of ${CODE_SYSTEMS.ethnicCategory}`,
                  expression: [`Immunization.extension[${i}]`],
                },
              ],
        ),
    },
    {
      key: 'imm-care-home',
      description: 'A care home resident or worker has the care home (a Location) recorded',
      check: (imm) => {
        const homes = extensionsOf(imm, EXTENSIONS.careHome);
        const bad = homes.flatMap(([e, i]): Finding[] =>
          referencesType(e.valueReference?.reference, 'Location')
            ? []
            : [
                {
                  diagnostics: 'The care home must reference a Location',
                  expression: [`Immunization.extension[${i}].valueReference`],
                },
              ],
        );
        const careHomeGroup = extensionsOf(imm, EXTENSIONS.recipientGroup).some(([e]) =>
          ['care-home-resident', 'care-home-worker'].includes(e.valueCoding?.code ?? ''),
        );
        const missing: Finding[] =
          careHomeGroup && homes.length === 0
            ? [
                {
                  diagnostics: 'A care home resident or worker needs the care-home extension',
                  expression: ['Immunization.extension'],
                },
              ]
            : [];
        return [...bad, ...missing];
      },
    },
  ],
};
