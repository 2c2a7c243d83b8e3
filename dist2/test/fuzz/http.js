import fc from 'fast-check';
import { immunization, patient } from '../../fixtures/records.js';
import { Validator } from '../../src/fhir/validation.js';
import { RESOURCE_TYPES } from '../../src/resources/registry.js';
import { RESULT_PARAMETERS } from '../../src/search/controls.js';
import { parametersOf } from '../../src/search/parameters.js';
const EXAMPLES = [patient(1, 99), immunization('00000000-0000-4000-8000-000000000001')];
const TYPES = [...RESOURCE_TYPES, 'Unknown', 'patient', '$metadata'];
const OPERATIONS = [
    '$cohort',
    '$uptake',
    '$export',
    '$validate',
    '$immunization-status',
    '$merge',
    '$load',
    '$anomalies',
];
const HOSTILE = [
    '{"$gt":""}',
    '$where',
    "'; DROP TABLE x; --",
    '../../etc/passwd',
    '%00',
    '\u0000',
    'a'.repeat(5000),
];
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...HOSTILE));
/** A JSON value replacing something at a random place of a resource, or a key removed. */
function mutated(resource) {
    const keys = Object.keys(resource);
    return fc
        .tuple(fc.constantFrom(...keys, 'extra', 'resourceType', 'id', 'meta'), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined)))
        .map(([key, value]) => {
        const copy = structuredClone(resource);
        if (value === undefined)
            delete copy[key];
        else
            copy[key] = value;
        return copy;
    });
}
const body = fc.oneof(fc.constantFrom(...EXAMPLES), fc.constantFrom(...EXAMPLES).chain(mutated), fc.constantFrom(...EXAMPLES).chain(mutated), fc.jsonValue({ maxDepth: 4 }), fc.string({ maxLength: 200 }), fc.record({
    resourceType: fc.constant('Bundle'),
    type: fc.constantFrom('batch', 'transaction', 'searchset', 'nonsense'),
    entry: fc.array(fc.record({
        request: fc.record({
            method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE'),
            url: fc.oneof(fc.constantFrom('Patient', 'Immunization?patient=x', 'Patient/1'), text),
        }),
        resource: fc.oneof(fc.constantFrom(...EXAMPLES), fc.jsonValue({ maxDepth: 2 })),
    }), { maxLength: 5 }),
}), fc.record({
    resourceType: fc.constant('Parameters'),
    parameter: fc.array(fc.record({
        name: fc.oneof(fc.constantFrom('programme', 'date', 'patient', 'nhs-number', 'resource'), text),
        valueString: text,
    }), { maxLength: 4 }),
}));
const searchParameter = fc.oneof(fc.constantFrom(...RESOURCE_TYPES.flatMap((t) => parametersOf(t).map((p) => p.name))), fc.constantFrom(...RESULT_PARAMETERS, '_has:Immunization:patient:status'), text);
const query = fc
    .array(fc.tuple(searchParameter, fc.option(fc.constantFrom(':exact', ':missing', ':not', ':identifier', '.identifier')), text), {
    maxLength: 4,
})
    .map((pairs) => pairs
    .map(([name, modifier, value]) => `${encodeURIComponent(name + (modifier ?? ''))}=${encodeURIComponent(value)}`)
    .join('&'));
const headers = fc.record({
    // mostly what a FHIR client sends, so requests get past content negotiation to the handlers
    'content-type': fc.oneof({ arbitrary: fc.constant('application/fhir+json'), weight: 6 }, fc.constantFrom('application/json', 'application/json-patch+json', 'text/plain', 'text/csv'), fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x')),
    'if-match': fc.oneof(fc.constantFrom('W/"1"', 'W/"x"', '*', '"1"'), text),
    'if-none-match': fc.constantFrom('W/"1"', '*'),
    'if-none-exist': query,
    prefer: fc.constantFrom('return=minimal', 'return=representation', 'return=OperationOutcome', 'respond-async', 'handling=strict', 'nonsense'),
    accept: fc.oneof({ arbitrary: fc.constantFrom('application/fhir+json', '*/*'), weight: 6 }, fc.constantFrom('application/xml', 'text/html')),
    'x-request-id': fc.oneof(fc.uuid(), text),
}, { requiredKeys: ['content-type'] });
export const fuzzRequest = fc
    .tuple(fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST', 'PUT'), weight: 4 }, fc.constantFrom('PATCH', 'DELETE', 'HEAD', 'OPTIONS')), fc.oneof({ arbitrary: fc.constantFrom('Patient', 'Immunization').map((t) => `/${t}`), weight: 3 }, fc.constantFrom(...TYPES).map((t) => `/${t}`), fc
    .tuple(fc.constantFrom(...TYPES), fc.oneof(fc.uuid(), text))
    .map(([t, id]) => `/${t}/${encodeURIComponent(id)}`), fc
    .tuple(fc.constantFrom(...TYPES), fc.constantFrom('_history', '_search', ...OPERATIONS))
    .map(([t, p]) => `/${t}/${p}`), fc.constantFrom('', '/_history', '/metadata', ...OPERATIONS.map((o) => `/${o}`))), fc.option(query), headers, fc.option(body.map((b) => (typeof b === 'string' ? b : JSON.stringify(b)))))
    .map(([method, path, search, requestHeaders, requestBody]) => ({
    method,
    path: search ? `${path}?${search}` : path,
    // what an HTTP client can send at all: printable ASCII, no surrounding spaces
    headers: Object.fromEntries(Object.entries(requestHeaders).map(([name, value]) => [
        name,
        String(value)
            .replace(/[^\x21-\x7e ]/g, '')
            .trim(),
    ])),
    ...(requestBody !== null && !['GET', 'HEAD'].includes(method) ? { body: requestBody } : {}),
}));
/** Stack frames, file paths of the server or driver messages in an answer: a leak. */
const LEAK = /\bat .+\.(js|ts):\d+|node_modules|MongoServerError|\/work\//;
/** Sends `runs` generated requests to `baseUrl`; throws (shrunk by fast-check) on the first broken invariant. */
export async function fuzzHttp(baseUrl, token, runs, options = {}) {
    const report = { requests: 0, byStatus: {}, created: [] };
    await fc.assert(fc.asyncProperty(fuzzRequest, async (request) => {
        const response = await fetch(`${baseUrl}${request.path}`, {
            method: request.method,
            headers: { ...request.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
            ...(request.body !== undefined ? { body: request.body } : {}),
        });
        const answer = await response.text();
        report.requests++;
        report.byStatus[response.status] = (report.byStatus[response.status] ?? 0) + 1;
        options.onProgress?.(report.requests);
        if (response.status >= 500 && response.status !== 503)
            throw new Error(`${request.method} ${request.path} answered ${response.status}: ${answer.slice(0, 300)}`);
        if (LEAK.test(answer))
            throw new Error(`${request.method} ${request.path} leaked: ${answer.slice(0, 300)}`);
        const location = response.headers.get('location');
        if (response.status === 201 && location)
            report.created.push(location);
    }), { numRuns: runs, ...(options.seed !== undefined ? { seed: options.seed } : {}), endOnFailure: true });
    return report;
}
/** The resources the fuzzing created, read back: each must be valid (nothing invalid was stored). */
export async function invalidStored(created, token) {
    const validator = new Validator();
    const invalid = [];
    for (const location of created) {
        const response = await fetch(location, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        if (response.status !== 200)
            continue;
        const resource = (await response.json());
        const problems = validator.problems(resource).filter((p) => (p.severity ?? 'error') === 'error');
        if (problems.length > 0)
            invalid.push(`${location}: ${problems[0].diagnostics}`);
    }
    return invalid;
}
//# sourceMappingURL=http.js.map