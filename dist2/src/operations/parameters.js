import { fail } from '../fhir/errors.js';
/**
 * An operation's parameters: its Parameters body, or for a GET its query (`?name=value`, each value a
 * string, so only code and string parameters can be given that way).
 */
export function parametersOf(request) {
    if (request.method !== 'GET')
        return request.body;
    return {
        resourceType: 'Parameters',
        parameter: request.params.map(([name, valueString]) => ({ name, valueString })),
    };
}
/** A code parameter's value checked against the codes allowed (400 naming the parameter otherwise). */
export function oneOf(value, allowed, name) {
    if (!allowed.includes(value))
        fail('invalid-request', `${name} must be one of ${allowed.join(', ')}`, [name]);
    return value;
}
/** An `in` parameter of an OperationDefinition. */
export function input(name, type, max, documentation, min = 0) {
    return { name, use: 'in', min, max, type: type, documentation };
}
export function output(name, type, max, documentation, min = 1) {
    return { name, use: 'out', min, max, type: type, documentation };
}
/** The value[x] element each parameter type is read from; codes and strings are read from either. */
const ELEMENTS = {
    code: ['valueCode', 'valueString'],
    string: ['valueString', 'valueCode'],
    integer: ['valueInteger'],
    boolean: ['valueBoolean'],
    date: ['valueDate', 'valueString'],
};
/** Complex types read as text: a Reference as its reference, an Identifier as `system|value`. */
const COMPLEX = {
    Reference: (p) => p.valueReference?.reference,
    Identifier: (p) => p.valueIdentifier?.system && p.valueIdentifier.value
        ? `${p.valueIdentifier.system}|${p.valueIdentifier.value}`
        : undefined,
};
/**
 * The `in` parameters of an operation's Parameters body, checked against its definition: unknown names,
 * wrong value types, too many repeats and missing required ones are 400s naming the parameter. Answers the values by name.
 */
export function readParameters(body, definition) {
    const parameters = (body ?? { resourceType: 'Parameters' });
    if (typeof parameters !== 'object' || parameters === null || parameters.resourceType !== 'Parameters')
        fail('invalid-request', 'The body must be a Parameters resource');
    const values = new Map();
    (parameters.parameter ?? []).forEach((parameter, i) => {
        const where = `Parameters.parameter[${i}]`;
        const defined = definition.find((d) => d.use === 'in' && d.name === parameter.name);
        if (!defined)
            fail('invalid-request', `Unknown parameter '${String(parameter.name)}'`, [where]);
        const fields = parameter;
        const element = ELEMENTS[defined.type ?? '']?.find((e) => fields[e] !== undefined);
        const value = element ? fields[element] : COMPLEX[defined.type ?? '']?.(parameter);
        const expected = defined.type === 'integer' ? 'number' : defined.type === 'boolean' ? 'boolean' : 'string';
        if (typeof value !== expected || (typeof value === 'number' && !Number.isInteger(value)))
            fail('invalid-request', `Parameter '${defined.name}' needs a ${defined.type} value`, [where]);
        const list = values.get(defined.name) ?? [];
        if (defined.max !== '*' && list.length >= Number(defined.max))
            fail('invalid-request', `Parameter '${defined.name}' may be given at most ${defined.max} time(s)`, [
                where,
            ]);
        list.push(value);
        values.set(defined.name, list);
    });
    for (const defined of definition)
        if (defined.use === 'in' && defined.min > 0 && !values.has(defined.name))
            fail('invalid-request', `Parameter '${defined.name}' is required`, ['Parameters.parameter']);
    return values;
}
//# sourceMappingURL=parameters.js.map