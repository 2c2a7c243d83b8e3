import type { Parameters } from 'fhir/r4';
import { fail, operationOutcome } from '../fhir/errors.js';
import { ndjsonLines } from '../register/ndjson.js';
import { RegisterLoader, type LoadReport } from '../register/load.js';
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
    resource: ['Patient'],
    system: false,
    type: true,
    instance: false,
    affectsState: true,
    description:
      'Loads the register from NDJSON (application/fhir+ndjson, one Patient a line), streamed: upsert by NHS number (created, updated with a new version, or left unchanged); bad lines are rejected with their line numbers and the rest still load.',
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
  needs: () => [
    ['Patient', 'c'],
    ['Patient', 'u'],
  ],
  handle: async (request, service) => {
    if (!request.stream) fail('unsupported-media-type', 'Send the people as application/fhir+ndjson');
    const loader = new RegisterLoader(service.repository, service.validator);
    const report = await loader.load(ndjsonLines(request.stream, MAX_LINE_BYTES));
    return { status: 200, body: answer(report) };
  },
});
