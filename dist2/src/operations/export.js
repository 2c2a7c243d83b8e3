import { authorize, may, restrictionOf } from '../auth/access.js';
import { fail, informational } from '../fhir/errors.js';
import { PATIENT_COMPARTMENT } from '../export/jobs.js';
import { profileFor } from '../export/profiles.js';
import { RESOURCE_TYPES } from '../resources/registry.js';
import { compileCriteria } from '../search/criteria.js';
import { input, parametersOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];
const INPUTS = [
    input('_outputFormat', 'string', '1', 'application/fhir+ndjson (the only format)'),
    input('_type', 'string', '*', 'Types to export, comma-separated (default: all the client may read)'),
    input('_since', 'string', '1', 'Only resources changed after this instant'),
    input('_typeFilter', 'string', '*', 'Type?search criteria a resource must meet (several for one type: any)'),
];
const OUTPUT = {
    name: 'return',
    use: 'out',
    min: 0,
    max: '1',
    type: 'OperationOutcome',
    documentation: '202 Accepted, Content-Location the status URL to poll',
};
const list = (values) => (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
/** The export a kick-off asks for, checked: what is asked must exist, be the client's, and be well formed. */
async function exportRequest(request, level, types) {
    const values = readParameters(parametersOf(request), INPUTS);
    const format = values.get('_outputFormat')?.[0];
    if (format !== undefined && !NDJSON_FORMATS.includes(format))
        fail('invalid-request', `_outputFormat must be application/fhir+ndjson`, ['_outputFormat']);
    const { access } = request.context;
    const asked = list(values.get('_type'));
    for (const type of asked) {
        if (!types.includes(type))
            fail('invalid-request', `${type} cannot be exported here (${types.join(', ')})`, ['_type']);
        authorize(access, type, 'r');
    }
    const chosen = asked.length > 0 ? asked : types.filter((t) => may(access, t, 'r'));
    if (chosen.length === 0)
        fail('forbidden', 'This client may read none of the types this export holds');
    const since = values.get('_since')?.[0];
    if (since !== undefined && Number.isNaN(Date.parse(since)))
        fail('invalid-request', '_since must be an instant (2026-11-01T00:00:00Z)', ['_since']);
    const typeFilters = {};
    for (const filter of list(values.get('_typeFilter'))) {
        const [type = '', query = ''] = filter.split('?', 2);
        if (!chosen.includes(type))
            fail('invalid-request', `_typeFilter ${filter} is for a type not exported`, ['_typeFilter']);
        const params = [...new URLSearchParams(query)];
        const compiled = await compileCriteria({
            type,
            params,
            baseUrl: '',
            now: Date.now(),
            resolveChain: () => fail('invalid-request', '_typeFilter does not take chained parameters', ['_typeFilter']),
        });
        if (compiled.unknown.length > 0)
            fail('invalid-request', `_typeFilter: unknown parameters for ${type}: ${compiled.unknown.join(', ')}`, [
                '_typeFilter',
            ]);
        (typeFilters[type] ??= []).push(query);
    }
    // a client that may read only some of a type's resources exports only those
    for (const type of chosen) {
        const restriction = new URLSearchParams(restrictionOf(access, type, 'r')).toString();
        if (!restriction)
            continue;
        typeFilters[type] = (typeFilters[type] ?? ['']).map((query) => query ? `${query}&${restriction}` : restriction);
    }
    return {
        level,
        types: chosen,
        ...(since !== undefined ? { since: new Date(since).toISOString() } : {}),
        typeFilters,
        request: `${request.context.baseUrl}/${request.path}`,
    };
}
function kickOff(level) {
    return async (request, { exports }) => {
        if (!exports)
            fail('not-ready', 'Bulk export is not available in this server');
        if (!request.respondAsync)
            fail('invalid-request', 'Bulk export answers asynchronously: send Prefer: respond-async');
        const profile = profileFor(request.context.access, exports.profiles);
        const types = profile.types.filter((t) => RESOURCE_TYPES.includes(t) && (level === 'system' || PATIENT_COMPARTMENT.includes(t)));
        const asked = await exportRequest(request, level, types);
        const id = await exports.start(request.context.access, profile, {
            ...asked,
            ...(level === 'group' ? { group: request.id } : {}),
        });
        return {
            status: 202,
            body: informational(`Export ${id} started; poll the Content-Location`),
            headers: { 'Content-Location': `${request.context.baseUrl}/$export-status/${id}` },
        };
    };
}
const DESCRIPTION = 'FHIR Bulk Data export (Prefer: respond-async): 202 with Content-Location, a status URL that answers 202 with X-Progress while it runs and then the manifest of NDJSON files, one a type; DELETE cancels. What the client receives is its export profile (its nims-export/{profile} scope): the types, the elements of each, and whether people are pseudonymised.';
for (const [level, resource, name] of [
    ['system', [], 'Export'],
    ['type', ['Patient'], 'PatientExport'],
    ['instance', ['Group'], 'GroupExport'],
]) {
    registerOperation({
        definition: {
            ...operationDefinition('export', name, [...resource], DESCRIPTION, [...INPUTS, OUTPUT], level),
            url: `http://hl7.org/fhir/uv/bulkdata/OperationDefinition/${level === 'system' ? 'export' : level === 'type' ? 'patient-export' : 'group-export'}`,
            affectsState: false,
        },
        // each type is checked in the kick-off, against what the client asks for
        needs: () => [],
        handle: kickOff(level === 'system' ? 'system' : level === 'type' ? 'patient' : 'group'),
    });
}
//# sourceMappingURL=export.js.map