/**
 * The StructureDefinition that publishes a profile: its rules become constraints on the root element.
 * The rules are checked in code (they need SNOMED CT check digits, clocks and code lists), so each
 * constraint's expression is left as documentation of intent rather than executable FHIRPath.
 */
export function profileDocument(profile) {
    const id = profile.url.split('/').pop();
    return {
        resourceType: 'StructureDefinition',
        id,
        url: profile.url,
        name: id
            .split('-')
            .map((w) => w[0].toUpperCase() + w.slice(1))
            .join(''),
        status: 'active',
        kind: 'resource',
        abstract: false,
        type: profile.type,
        baseDefinition: `http://hl7.org/fhir/StructureDefinition/${profile.type}`,
        derivation: 'constraint',
        description: profile.description ??
            `Rules nims enforces on every ${profile.type} it stores, after the FHIR R4 schema. A refusal names the rule key in OperationOutcome.issue.details.`,
        differential: {
            element: [
                {
                    id: profile.type,
                    path: profile.type,
                    constraint: profile.rules.map((rule) => ({
                        key: rule.key,
                        severity: 'error',
                        human: rule.description,
                        source: profile.url,
                    })),
                },
            ],
        },
    };
}
//# sourceMappingURL=document.js.map