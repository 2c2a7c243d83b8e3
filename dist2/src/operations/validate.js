import { NIMS_BASE } from '../resources/extensions.js';
import { RESOURCE_TYPES } from '../resources/registry.js';
import { registerOperation } from './registry.js';
registerOperation({
    definition: {
        resourceType: 'OperationDefinition',
        url: `${NIMS_BASE}/OperationDefinition/validate`,
        name: 'Validate',
        status: 'active',
        kind: 'operation',
        code: 'validate',
        base: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
        resource: RESOURCE_TYPES,
        system: false,
        type: true,
        instance: true,
        description: 'Runs both validation layers (FHIR R4 schema, then the nims profile) and stores nothing.',
        parameter: [
            {
                name: 'resource',
                use: 'in',
                min: 0,
                max: '1',
                type: 'Resource',
                documentation: 'The resource, bare or in Parameters',
            },
            { name: 'return', use: 'out', min: 1, max: '1', type: 'OperationOutcome' },
        ],
    },
    // validating is the first step of a create (type level) or an update (instance level)
    needs: (request) => [[request.type, request.id === undefined ? 'c' : 'u']],
    // the specification answers 200 whether or not the resource is valid; the issues say which
    handle: (request, { service }) => Promise.resolve({ status: 200, body: service.validate(request.type, request.body) }),
});
//# sourceMappingURL=validate.js.map