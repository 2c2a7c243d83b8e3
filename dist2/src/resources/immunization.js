import { notInFuture, onlyWhen, requireSnomed } from '../profiles/rules.js';
import { SNOMED_SYSTEM } from '../shared/snomed.js';
import { referenceKey } from '../search/index-values.js';
import { CODE_SYSTEMS, COUNTRY_SYSTEM, ETHNIC_CATEGORY_CODES, EXTENSIONS, NIMS_BASE, RECIPIENT_GROUPS, } from './extensions.js';
import { UK_APPROVED_VACCINES_VALUE_SET, vaccineOf } from './vaccines.js';
/** UK Core extension carrying the SNOMED CT vaccination procedure. */
export const VACCINATION_PROCEDURE_EXTENSION = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-VaccinationProcedure';
function extensionsOf(immunization, url) {
    return (immunization.extension ?? []).flatMap((e, i) => e.url === url ? [[e, i]] : []);
}
/** The country a vaccination was given in (vaccination-country extension), if recorded. */
export function countryOf(immunization) {
    return extensionsOf(immunization, EXTENSIONS.vaccinationCountry)[0]?.[0].valueCodeableConcept?.coding?.find((c) => c.system === COUNTRY_SYSTEM)?.code;
}
/** A vaccination given outside the UK: its country is recorded and is not the UK. */
export function givenAbroad(immunization) {
    const country = countryOf(immunization);
    return country !== undefined && country !== 'GB';
}
/** The sub-extension of the evidence review named `name`. */
function reviewPart(immunization, name) {
    return extensionsOf(immunization, EXTENSIONS.abroadEvidence)[0]?.[0].extension?.find((e) => e.url === name);
}
function referencesType(reference, type) {
    return referenceKey(reference ?? '').startsWith(`${type}/`);
}
export const immunizationProfile = {
    type: 'Immunization',
    url: `${NIMS_BASE}/StructureDefinition/nims-immunization`,
    rules: [
        {
            key: 'imm-status',
            description: 'The status (completed, entered-in-error or not-done) is given: it decides whether the dose counts',
            check: (imm) => imm.status === undefined
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
            check: (imm) => extensionsOf(imm, VACCINATION_PROCEDURE_EXTENSION).flatMap(([e, i]) => requireSnomed(e.valueCodeableConcept ?? {}, `Immunization.extension[${i}].valueCodeableConcept`, 'The vaccination procedure')),
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
            check: (imm) => (imm.protocolApplied ?? []).flatMap((p, i) => (p.targetDisease ?? []).flatMap((d, j) => requireSnomed(d, `Immunization.protocolApplied[${i}].targetDisease[${j}]`, 'The target disease'))),
        },
        {
            key: 'imm-occurrence-datetime',
            description: 'The vaccination time is a dateTime (not free text) and not in the future',
            check: (imm, context) => imm.occurrenceDateTime === undefined
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
            check: (imm) => imm.status === 'not-done' && !imm.statusReason
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
            check: (imm) => (imm.reaction ?? []).flatMap((r, i) => referencesType(r.detail?.reference, 'Observation')
                ? []
                : [
                    {
                        diagnostics: 'reaction.detail must reference an Observation',
                        expression: [`Immunization.reaction[${i}].detail`],
                    },
                ]),
        },
        {
            key: 'imm-recipient-group',
            description: 'Recipient groups use the nims recipient-group codes',
            check: (imm) => extensionsOf(imm, EXTENSIONS.recipientGroup).flatMap(([e, i]) => e.valueCoding?.system === CODE_SYSTEMS.recipientGroup &&
                RECIPIENT_GROUPS.has(e.valueCoding.code ?? '')
                ? []
                : [
                    {
                        diagnostics: `Recipient group must be one of ${[...RECIPIENT_GROUPS].join(', ')} from ${CODE_SYSTEMS.recipientGroup}`,
                        expression: [`Immunization.extension[${i}].valueCoding`],
                    },
                ]),
        },
        {
            key: 'imm-ethnic-category',
            description: 'Ethnic category uses the UK Core code system for England (A to Z, 99)',
            check: (imm) => extensionsOf(imm, EXTENSIONS.ethnicCategoryAtVaccination).flatMap(([e, i]) => (e.valueCodeableConcept?.coding ?? []).some((c) => c.system === CODE_SYSTEMS.ethnicCategory && ETHNIC_CATEGORY_CODES.has(c.code ?? ''))
                ? []
                : [
                    {
                        diagnostics: `Ethnic category must be a code of ${CODE_SYSTEMS.ethnicCategory}`,
                        expression: [`Immunization.extension[${i}]`],
                    },
                ]),
        },
        {
            key: 'imm-care-home',
            description: 'A care home resident or worker has the care home (a Location) recorded',
            check: (imm) => {
                const homes = extensionsOf(imm, EXTENSIONS.careHome);
                const bad = homes.flatMap(([e, i]) => referencesType(e.valueReference?.reference, 'Location')
                    ? []
                    : [
                        {
                            diagnostics: 'The care home must reference a Location',
                            expression: [`Immunization.extension[${i}].valueReference`],
                        },
                    ]);
                const careHomeGroup = extensionsOf(imm, EXTENSIONS.recipientGroup).some(([e]) => ['care-home-resident', 'care-home-worker'].includes(e.valueCoding?.code ?? ''));
                const missing = careHomeGroup && homes.length === 0
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
        {
            key: 'imm-country',
            description: 'The country of a vaccination, when given, is an ISO 3166-1 two-letter code',
            check: (imm) => extensionsOf(imm, EXTENSIONS.vaccinationCountry).flatMap(([e, i]) => (e.valueCodeableConcept?.coding ?? []).some((c) => c.system === COUNTRY_SYSTEM && /^[A-Z]{2}$/.test(c.code ?? ''))
                ? []
                : [
                    {
                        diagnostics: `The country must be a two-letter code of ${COUNTRY_SYSTEM} (such as FR)`,
                        expression: [`Immunization.extension[${i}].valueCodeableConcept`],
                    },
                ]),
        },
        {
            key: 'abroad-reported',
            description: 'A vaccination given abroad is a reported record: primarySource false and a reportOrigin',
            check: onlyWhen(givenAbroad, (imm) => imm.primarySource === false && imm.reportOrigin
                ? []
                : [
                    {
                        diagnostics: 'A vaccination given abroad is recorded from evidence: primarySource false and reportOrigin (what the evidence was)',
                        expression: ['Immunization.primarySource', 'Immunization.reportOrigin'],
                    },
                ]),
        },
        {
            key: 'abroad-approved-vaccine',
            description: `A vaccination given abroad is with a product approved for use in the UK (${UK_APPROVED_VACCINES_VALUE_SET})`,
            check: onlyWhen(givenAbroad, (imm) => {
                const codes = (imm.vaccineCode.coding ?? []).filter((c) => c.system === SNOMED_SYSTEM);
                if (codes.some((c) => vaccineOf(c.code ?? '')?.approvedInUk))
                    return [];
                const named = codes.map((c) => `${c.code} (${vaccineOf(c.code ?? '')?.display ?? c.display ?? 'unknown product'})`);
                return [
                    {
                        diagnostics: `${named.join(', ') || 'The vaccine'} is not a product approved for use in the UK, so a vaccination given with it abroad cannot be recorded here (the approved products: ${UK_APPROVED_VACCINES_VALUE_SET})`,
                        expression: ['Immunization.vaccineCode'],
                    },
                ];
            }),
        },
        {
            key: 'abroad-batch',
            description: 'A vaccination given abroad has its batch (lotNumber)',
            check: onlyWhen(givenAbroad, (imm) => imm.lotNumber?.trim()
                ? []
                : [
                    {
                        diagnostics: 'A vaccination given abroad needs the batch in lotNumber',
                        expression: ['Immunization.lotNumber'],
                    },
                ]),
        },
        {
            key: 'abroad-evidence-review',
            description: 'A vaccination given abroad names who reviewed the evidence (a Practitioner) and that photo ID was checked',
            check: onlyWhen(givenAbroad, (imm) => {
                const reviewer = reviewPart(imm, 'reviewer')?.valueReference?.reference;
                const checked = reviewPart(imm, 'identity-checked')?.valueBoolean;
                return referencesType(reviewer, 'Practitioner') && checked === true
                    ? []
                    : [
                        {
                            diagnostics: `A vaccination given abroad needs the ${EXTENSIONS.abroadEvidence} extension with reviewer (a Practitioner) and identity-checked true`,
                            expression: ['Immunization.extension'],
                        },
                    ];
            }),
        },
    ],
};
//# sourceMappingURL=immunization.js.map