import type { Parameters } from 'fhir/r4';
import { fail, operationOutcome } from '../fhir/errors.js';
import { ndjsonLines } from '../register/ndjson.js';
import { LOAD_KEYS, ResourceLoader, type LoadReport } from '../register/load.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { registerOperation } from './registry.js';

/** Longest line accepted: far more than any one person's record. */
const MAX_LINE_BYTES = 1024 * 1024;

function answer(report: LoadReport): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'created', valueInteger: report.created },
      { name: 'updated', valueInteger: report.updated },
      { name: 'unchanged', valueInteger: report.unchanged },
      { name: 'rejected', valueInteger: report.rejected },
      ...(report.problems.length > 0
        ? [
            {
              name: 'outcome',
              resource: operationOutcome(
                report.problems.map((p) => ({
                  code: 'invalid-request' as const,
                  severity: 'error' as const,
                  diagnostics: `Line ${p.line}: ${p.reason}`,
                  expression: [`line ${p.line}`],
                })),
              ),
            },
          ]
        : []),
    ],
  };
}

registerOperation({
  definition: {
    resourceType: 'OperationDefinition',
    url: `${NIMS_BASE}/OperationDefinition/load`,
    name: 'Load',
    status: 'active',
    kind: 'operation',
    code: 'load',
    resource: Object.keys(LOAD_KEYS) as never[],
    system: false,
    type: true,
    instance: false,
    affectsState: true,
    description:
      'Loads NDJSON (application/fhir+ndjson, one resource a line), streamed, upserting by identifier: Patient by NHS number, Organization by ODS or GSS code, Immunization by its identifier (its patient may be given by NHS number alone). Each line is created, updated with a new version, or left unchanged; bad lines are rejected with their line numbers and the rest still load.',
    parameter: [
      { name: 'created', use: 'out', min: 1, max: '1', type: 'integer' },
      { name: 'updated', use: 'out', min: 1, max: '1', type: 'integer' },
      { name: 'unchanged', use: 'out', min: 1, max: '1', type: 'integer' },
      { name: 'rejected', use: 'out', min: 1, max: '1', type: 'integer' },
      {
        name: 'outcome',
        use: 'out',
        min: 0,
        max: '1',
        type: 'OperationOutcome',
        documentation: 'The rejected lines (the first 1000) and why',
      },
    ],
  },
  needs: (request) => [
    [request.type!, 'c'],
    [request.type!, 'u'],
    // vaccinations find their patients by NHS number
    ...(request.type === 'Immunization' ? [['Patient', 's'] as [string, 's']] : []),
  ],
  handle: async (request, { service }) => {
    if (!request.stream) fail('unsupported-media-type', 'Send the resources as application/fhir+ndjson');
    const loader = new ResourceLoader(service.repository, service.validator, request.type!);
    const report = await loader.load(ndjsonLines(request.stream, MAX_LINE_BYTES));
    return { status: 200, body: answer(report) };
  },
});
