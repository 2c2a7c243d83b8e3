import { fail } from '../fhir/errors.js';
import { describe } from '../resolution/anomaly-scan.js';
import { readParameters } from './parameters.js';
import { PERSON_INPUTS, personNamed } from './person.js';
import { operationDefinition, registerOperation } from './registry.js';
registerOperation({
    definition: operationDefinition('anomalies', 'Anomalies', [], "Finds suspect vaccination records and opens one Task (code vaccination-anomaly, reasonCode the rule) per finding for the data-resolution team, never two for the same finding: a dose numbered 2 or more with no earlier dose, doses closer than the shortest interval, more doses than the schedule allows, two records of one event, a vaccination before birth or after death, a product that does not protect against the target disease recorded, an MMR dose before 12 months. For one person (patient or nhs-number) it answers the findings at once; for everyone it starts a scan and answers 202 with the scan's Task, whose output gives progress and totals. A scan also runs every day at ANOMALY_SCAN_AT.", [
        ...PERSON_INPUTS,
        {
            name: 'finding',
            use: 'out',
            min: 0,
            max: '*',
            documentation: 'One person: each finding (rule, programme, description, task, opened, record)',
        },
        {
            name: 'return',
            use: 'out',
            min: 0,
            max: '1',
            type: 'Task',
            documentation: 'Everyone: the scan, in progress',
        },
    ], 'system'),
    needs: () => [
        ['Patient', 'r'],
        ['Immunization', 's'],
        ['Task', 'c'],
    ],
    handle: async (request, { service, anomalies }) => {
        if (!anomalies)
            fail('not-ready', 'Anomaly scans are not available in this server');
        const values = readParameters(request.body, PERSON_INPUTS);
        if (values.size === 0) {
            const task = await anomalies.startRun(request.context.access.clientName);
            return { status: 202, stored: task };
        }
        const patient = await personNamed(service, values);
        const found = await anomalies.scanPatient(patient.id);
        const parameter = found.map(({ finding, task, opened }) => ({
            name: 'finding',
            part: [
                { name: 'rule', valueCode: finding.code },
                ...(finding.programme ? [{ name: 'programme', valueCode: finding.programme }] : []),
                { name: 'description', valueString: describe(finding) },
                { name: 'task', valueReference: { reference: task } },
                { name: 'opened', valueBoolean: opened },
                ...finding.doses.map((d) => ({
                    name: 'record',
                    valueReference: { reference: `Immunization/${d.record.id}` },
                })),
            ],
        }));
        return { status: 200, body: { resourceType: 'Parameters', parameter } };
    },
});
//# sourceMappingURL=anomalies.js.map