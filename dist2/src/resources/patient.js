import { NHS_NUMBER_SYSTEM, isValidNhsNumber } from '../shared/nhs-number.js';
import { notInFuture } from '../profiles/rules.js';
import { attributeProblem, readAttribute } from '../register/attributes.js';
import { CODE_SYSTEMS, ETHNIC_CATEGORY_CODES, EXTENSIONS, NIMS_BASE } from './extensions.js';
export const patientProfile = {
    type: 'Patient',
    url: `${NIMS_BASE}/StructureDefinition/nims-patient`,
    rules: [
        {
            key: 'patient-priority-group',
            description: 'A priority group names a known group, a risk group for clinical-risk only, a period that ends after it starts, its source, and an employer (ODS code) for staff only',
            check: (patient) => (patient.extension ?? []).flatMap((e, i) => {
                if (e.url !== EXTENSIONS.priorityGroup)
                    return [];
                const problem = attributeProblem(readAttribute(e));
                return problem
                    ? [{ diagnostics: `Priority group: ${problem}`, expression: [`Patient.extension[${i}]`] }]
                    : [];
            }),
        },
        {
            key: 'patient-nhs-number-check-digit',
            description: 'An NHS number is 10 digits whose last is its Modulus 11 check digit',
            check: (patient) => (patient.identifier ?? []).flatMap((identifier, i) => identifier.system === NHS_NUMBER_SYSTEM && !isValidNhsNumber(identifier.value ?? '')
                ? [
                    {
                        diagnostics: `Patient.identifier[${i}].value is not a valid NHS number (10 digits, Modulus 11 check digit)`,
                        expression: [`Patient.identifier[${i}].value`],
                    },
                ]
                : []),
        },
        {
            key: 'patient-one-nhs-number',
            description: 'A patient has at most one NHS number in use (others, superseded by a merge, are marked old)',
            check: (patient) => (patient.identifier ?? []).filter((id) => id.system === NHS_NUMBER_SYSTEM && id.use !== 'old')
                .length > 1
                ? [
                    {
                        diagnostics: 'A patient has at most one NHS number in use',
                        expression: ['Patient.identifier'],
                    },
                ]
                : [],
        },
        {
            key: 'patient-birth-date-not-future',
            description: 'The date of birth is not in the future',
            check: (patient, context) => notInFuture(patient.birthDate, 'Patient.birthDate', context),
        },
        {
            key: 'patient-ethnic-category',
            description: 'Ethnic category uses the UK Core code system for England (A to Z, 99)',
            check: (patient) => (patient.extension ?? []).flatMap((extension, i) => {
                if (extension.url !== EXTENSIONS.ethnicCategory)
                    return [];
                const codings = extension.valueCodeableConcept?.coding ?? [];
                const valid = codings.some((c) => c.system === CODE_SYSTEMS.ethnicCategory && ETHNIC_CATEGORY_CODES.has(c.code ?? ''));
                return valid
                    ? []
                    : [
                        {
                            diagnostics: `Ethnic category must be a code of ${CODE_SYSTEMS.ethnicCategory}`,
                            expression: [`Patient.extension[${i}]`],
                        },
                    ];
            }),
        },
    ],
};
//# sourceMappingURL=patient.js.map