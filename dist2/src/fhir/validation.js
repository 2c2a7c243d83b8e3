import { runProfile } from '../profiles/rules.js';
import { RESOURCE_TYPES, resourceDefinition } from '../resources/registry.js';
import { fail, FhirError } from './errors.js';
import { SchemaValidator } from './schema.js';
/** Two layers, in this order: the FHIR R4 JSON schema, then the nims profile of the type. */
export class Validator {
    now;
    schema = new SchemaValidator(RESOURCE_TYPES);
    constructor(now = () => new Date()) {
        this.now = now;
    }
    problems(resource) {
        const schemaProblems = this.schema.validate(resource.resourceType, resource);
        if (schemaProblems.length > 0)
            return schemaProblems;
        const profile = resourceDefinition(resource.resourceType)?.profile;
        return profile ? runProfile(profile, resource, { now: this.now() }) : [];
    }
    /** Throws 422 with every problem found. */
    check(resource) {
        const problems = this.problems(resource);
        if (problems.length > 0)
            throw new FhirError(problems);
    }
}
/** The body must be a resource of the type the URL names. */
export function expectResource(body, type) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        fail('invalid-request', 'The request body must be a FHIR resource (a JSON object)');
    }
    const resourceType = body.resourceType;
    if (resourceType !== type) {
        fail('invalid-request', `The body's resourceType must be ${type}, not ${JSON.stringify(resourceType ?? null)}`, ['resourceType']);
    }
    return body;
}
//# sourceMappingURL=validation.js.map