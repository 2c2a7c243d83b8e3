import type { Resource } from 'fhir/r4';
import { runProfile } from '../profiles/rules.js';
import { RESOURCE_TYPES, resourceDefinition } from '../resources/registry.js';
import { fail, FhirError, type Problem } from './errors.js';
import { SchemaValidator } from './schema.js';

/** Two layers, in this order: the FHIR R4 JSON schema, then the nims profile of the type. */
export class Validator {
  private readonly schema = new SchemaValidator(RESOURCE_TYPES);

  constructor(private readonly now: () => Date = () => new Date()) {}

  problems(resource: Resource): Problem[] {
    const schemaProblems = this.schema.validate(resource.resourceType, resource);
    if (schemaProblems.length > 0) return schemaProblems;
    const profile = resourceDefinition(resource.resourceType)?.profile;
    return profile ? runProfile(profile, resource, { now: this.now() }) : [];
  }

  /** Throws 422 with every problem found. */
  check(resource: Resource): void {
    const problems = this.problems(resource);
    if (problems.length > 0) throw new FhirError(problems);
  }
}

/** The body must be a resource of the type the URL names. */
export function expectResource(body: unknown, type: string): Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    fail('invalid-request', 'The request body must be a FHIR resource (a JSON object)');
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (resourceType !== type) {
    fail(
      'invalid-request',
      `The body's resourceType must be ${type}, not ${JSON.stringify(resourceType ?? null)}`,
      ['resourceType'],
    );
  }
  return body as Resource;
}
