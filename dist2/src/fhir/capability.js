import { createRequire } from 'node:module';
import { authUrls } from '../auth/tokens.js';
import { allOperations } from '../operations/registry.js';
import { RESOURCE_TYPES, resourceDefinition } from '../resources/registry.js';
import { COMMON_PARAMETERS, SEARCH_PARAMETERS } from '../search/parameters.js';
const require = createRequire(import.meta.url);
const base = require('../../../capability-statement/base.json');
const INTERACTIONS = [
    'read',
    'vread',
    'update',
    'patch',
    'delete',
    'history-instance',
    'history-type',
    'create',
    'search-type',
];
const READ_INTERACTIONS = new Set(['read', 'vread', 'search-type']);
function resourceEntry(type) {
    const definition = resourceDefinition(type);
    const profile = definition?.profile;
    const writes = !definition?.readOnly;
    const operations = allOperations().filter((op) => !op.definition.resource || op.definition.resource.includes(type));
    return {
        type,
        ...(profile ? { supportedProfile: [profile.url] } : {}),
        interaction: INTERACTIONS.filter((code) => writes || READ_INTERACTIONS.has(code)).map((code) => ({
            code,
        })),
        versioning: 'versioned-update',
        readHistory: writes,
        conditionalRead: 'modified-since',
        ...(writes
            ? {
                updateCreate: true,
                conditionalCreate: true,
                conditionalUpdate: true,
                conditionalDelete: 'single',
            }
            : {}),
        referencePolicy: ['literal', 'logical', 'local'],
        searchInclude: (SEARCH_PARAMETERS[type] ?? [])
            .filter((p) => p.type === 'reference')
            .map((p) => `${type}:${p.name}`),
        searchRevInclude: RESOURCE_TYPES.flatMap((source) => (SEARCH_PARAMETERS[source] ?? [])
            .filter((p) => p.type === 'reference' && p.targets?.includes(type))
            .map((p) => `${source}:${p.name}`)),
        searchParam: [
            { name: '_id', type: 'token', documentation: 'Logical id' },
            ...[...COMMON_PARAMETERS, ...(SEARCH_PARAMETERS[type] ?? [])].map((p) => ({
                name: p.name,
                type: p.type,
                documentation: `${p.description} (${p.expression})`,
            })),
        ],
        operation: operations.map((op) => ({ name: op.definition.code, definition: op.definition.url })),
    };
}
/** The CapabilityStatement, built from the same registries the server runs on. */
export function capabilityStatement(baseUrl) {
    const { transactionDocumentation, ...statement } = base;
    return {
        ...statement,
        date: new Date().toISOString(),
        implementation: { description: 'nims FHIR R4 server', url: baseUrl },
        rest: [
            {
                mode: 'server',
                documentation: transactionDocumentation,
                security: {
                    service: [
                        {
                            coding: [
                                {
                                    system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                                    code: 'SMART-on-FHIR',
                                },
                            ],
                        },
                    ],
                    description: 'SMART Backend Services: client_credentials with a private_key_jwt assertion (RS384 or ES384) at the token endpoint; every request but this one carries the bearer token; SMART v2 (and v1) system scopes decide what a client may do. See /.well-known/smart-configuration.',
                    extension: [
                        {
                            url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                            extension: [{ url: 'token', valueUri: authUrls(baseUrl).token }],
                        },
                    ],
                },
                resource: RESOURCE_TYPES.map(resourceEntry),
                interaction: [
                    { code: 'transaction', documentation: transactionDocumentation },
                    { code: 'batch' },
                    { code: 'history-system' },
                ],
                searchParam: [
                    { name: '_count', type: 'number', documentation: 'Page size (at most 1000)' },
                    { name: '_sort', type: 'string', documentation: 'Sort order; - for descending' },
                ],
                operation: allOperations()
                    .filter((op) => op.definition.system)
                    .map((op) => ({ name: op.definition.code, definition: op.definition.url })),
            },
        ],
    };
}
//# sourceMappingURL=capability.js.map