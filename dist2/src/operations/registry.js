import { NIMS_BASE } from '../resources/extensions.js';
const operations = [];
export function registerOperation(operation) {
    operations.push(operation);
}
export function findOperation(code, level, type) {
    return operations.find((op) => op.definition.code === code &&
        op.definition[level] &&
        (level === 'system' || !op.definition.resource || op.definition.resource.includes(type)));
}
export function allOperations() {
    return [...operations];
}
/**
 * The definition of an operation on the whole server (`$code`), on resource types (`{type}/$code`) or on
 * one resource (`{type}/{id}/$code`), in nims's canonical space.
 */
export function operationDefinition(code, name, resource, description, parameter, level = 'type') {
    return {
        resourceType: 'OperationDefinition',
        url: `${NIMS_BASE}/OperationDefinition/${code}`,
        name,
        status: 'active',
        kind: 'operation',
        code,
        resource: resource,
        system: level === 'system',
        type: level === 'type',
        instance: level === 'instance',
        affectsState: true,
        description,
        parameter,
    };
}
//# sourceMappingURL=registry.js.map