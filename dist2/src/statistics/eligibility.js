export const ELIGIBILITY = [
    {
        programme: 'covid-19',
        description: 'Aged 75 and over, care home residents, and people who are immunosuppressed',
        clauses: [
            { ageFromMonths: 75 * 12 },
            { priorityGroups: ['care-home-resident'] },
            { clinicalRiskGroups: ['immunosuppression'] },
        ],
    },
    {
        programme: 'flu',
        description: 'Aged 65 and over, children aged 2 to 16, people in a clinical risk group, pregnant women, care home residents, unpaid carers, and health and social care workers',
        clauses: [
            { ageFromMonths: 65 * 12 },
            { ageFromMonths: 2 * 12, ageToMonths: 16 * 12 + 11 },
            {
                priorityGroups: [
                    'clinical-risk',
                    'pregnant',
                    'care-home-resident',
                    'unpaid-carer',
                    'nhs-staff',
                    'social-care-worker',
                ],
            },
        ],
    },
    {
        programme: 'mmr',
        description: 'Children aged 5 to 15, who should have had both doses',
        clauses: [{ ageFromMonths: 5 * 12, ageToMonths: 15 * 12 + 11 }],
    },
];
export function eligibilityOf(programme) {
    return ELIGIBILITY.find((e) => e.programme === programme);
}
//# sourceMappingURL=eligibility.js.map