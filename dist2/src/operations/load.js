import { fail, operationOutcome } from '../fhir/errors.js';
import { AttributeLoader } from '../register/attribute-load.js';
import { lineRecords } from '../register/records.js';
import { ndjsonLines } from '../register/ndjson.js';
import { LOAD_KEYS, ResourceLoader } from '../register/load.js';
import { output } from './parameters.js';
import { registerOperation, operationDefinition } from './registry.js';
/** Longest line accepted: far more than any one person's record. */
const MAX_LINE_BYTES = 1024 * 1024;
/** A load's answer: its counts, then the rejected lines as an OperationOutcome. */
function answer(counts, problems) {
    return {
        resourceType: 'Parameters',
        parameter: [
            ...Object.entries(counts).map(([name, value]) => ({ name, valueInteger: value })),
            ...(problems.length > 0
                ? [
                    {
                        name: 'outcome',
                        resource: operationOutcome(problems.map((p) => ({
                            code: 'invalid-request',
                            severity: 'error',
                            diagnostics: `Line ${p.line}: ${p.reason}`,
                            expression: [`line ${p.line}`],
                        }))),
                    },
                ]
                : []),
        ],
    };
}
const count = (name, documentation) => output(name, 'integer', '1', documentation);
const outcome = output('outcome', 'OperationOutcome', '1', 'The rejected lines (the first 1000) and why', 0);
registerOperation({
    definition: operationDefinition('load', 'Load', Object.keys(LOAD_KEYS), 'Loads NDJSON (application/fhir+ndjson, one resource a line), streamed, upserting by identifier: Patient by NHS number, Organization by ODS or GSS code, Immunization by its identifier (its patient may be given by NHS number alone). Each line is created, updated with a new version, or left unchanged; bad lines are rejected with their line numbers and the rest still load.', [
        count('created', 'Lines that made a new resource'),
        count('updated', 'Lines that made a new version'),
        count('unchanged', 'Lines equal to what was stored'),
        count('rejected', 'Lines not loaded'),
        outcome,
    ]),
    needs: (request) => [
        [request.type, 'c'],
        [request.type, 'u'],
        // vaccinations find their patients by NHS number
        ...(request.type === 'Immunization' ? [['Patient', 's']] : []),
    ],
    handle: async (request, { service }) => {
        if (request.stream?.format !== 'ndjson')
            fail('unsupported-media-type', 'Send the resources as application/fhir+ndjson');
        const loader = new ResourceLoader(service.repository, service.validator, request.type);
        const { problems, ...counts } = await loader.load(ndjsonLines(request.stream.body, MAX_LINE_BYTES));
        return { status: 200, body: answer(counts, problems) };
    },
});
registerOperation({
    definition: operationDefinition('load-attributes', 'LoadAttributes', ['Patient'], "Loads one source's priority-group list (text/csv with a header, or NDJSON objects; columns nhs_number, attribute, detail, start, end, organisation, source) and makes it the whole of that source: the people listed get exactly these attributes from it, people it listed before and not now lose them, other sources' attributes stay. Streamed; bad lines are rejected with their line numbers.", [
        {
            name: 'source',
            use: 'in',
            min: 1,
            max: '1',
            type: 'string',
            documentation: 'The list being replaced (in the query: ?source=...)',
        },
        count('people', 'People the source names after the load'),
        count('changed', 'Lines that changed a person'),
        count('unchanged', 'Lines already so'),
        count('removed', 'People no longer named, who lost the attributes'),
        count('rejected', 'Lines not loaded'),
        outcome,
    ]),
    needs: () => [
        ['Patient', 's'],
        ['Patient', 'u'],
    ],
    handle: async (request, { service, cohorts }) => {
        const sources = request.params.filter(([name]) => name === 'source').map(([, value]) => value.trim());
        if (sources.length !== 1 || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(sources[0]))
            fail('invalid-request', 'Give one source in the query (?source=..., letters, digits, . _ -)', [
                'source',
            ]);
        if (!request.stream)
            fail('unsupported-media-type', 'Send the list as text/csv or application/x-ndjson');
        if (!cohorts)
            fail('not-ready', 'Attribute lists are not available in this server');
        const loader = new AttributeLoader(cohorts.database, service.repository, sources[0]);
        const { problems, ...counts } = await loader.load(lineRecords(request.stream));
        return { status: 200, body: answer(counts, problems) };
    },
});
//# sourceMappingURL=load.js.map