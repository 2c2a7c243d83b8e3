import { fail, informational } from '../fhir/errors.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { input, output, parametersOf, readParameters } from './parameters.js';
import { holderOfNhsNumber } from './person.js';
import { operationDefinition, registerOperation } from './registry.js';
/** The input names of FHIR's Patient $merge (R5), which nims follows. */
const MERGE_INPUTS = [
    input('source-patient', 'Reference', '1', 'The record to retire (Patient/id), or give source-patient-identifier'),
    input('source-patient-identifier', 'Identifier', '1', 'The record to retire, by its NHS number'),
    input('target-patient', 'Reference', '1', 'The record that survives (Patient/id), or give target-patient-identifier'),
    input('target-patient-identifier', 'Identifier', '1', 'The record that survives, by its NHS number'),
    input('reason', 'string', '1', 'Why (the register feed, a duplicate found), kept in the Provenance'),
];
/** The Patient id one of the two sides names, by reference or by NHS number. */
async function sideOf(service, values, side) {
    const reference = values.get(`${side}-patient`)?.[0];
    const identifier = values.get(`${side}-patient-identifier`)?.[0];
    if ((reference === undefined) === (identifier === undefined))
        fail('invalid-request', `Give ${side}-patient or ${side}-patient-identifier, one of them`, [
            `${side}-patient`,
        ]);
    if (reference !== undefined) {
        const id = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference)?.[1];
        if (!id)
            fail('invalid-request', `${side}-patient must be a reference Patient/id`, [`${side}-patient`]);
        return id;
    }
    if (!identifier.startsWith(`${NHS_NUMBER_SYSTEM}|`))
        fail('invalid-request', `${side}-patient-identifier must be an NHS number`, [
            `${side}-patient-identifier`,
        ]);
    const holder = await holderOfNhsNumber(service, identifier.slice(NHS_NUMBER_SYSTEM.length + 1));
    if (!holder)
        fail('not-found', `No one on the register has the ${side} NHS number`, [`${side}-patient-identifier`]);
    return holder.id;
}
function answer(result, done) {
    return {
        resourceType: 'Parameters',
        parameter: [
            { name: 'outcome', resource: informational(done) },
            { name: 'result', resource: result.target },
            { name: 'source', resource: result.source },
            { name: 'provenance', valueReference: { reference: `Provenance/${result.provenance.id}` } },
            ...result.moved.map((reference) => ({ name: 'moved', valueReference: { reference } })),
            ...result.conflicts.map((reference) => ({ name: 'task', valueReference: { reference } })),
        ],
    };
}
const OUTPUTS = [
    output('outcome', 'OperationOutcome', '1', 'What was done'),
    output('result', 'Patient', '1', 'The surviving record, as stored'),
    output('source', 'Patient', '1', 'The retired record, as stored'),
    output('provenance', 'Reference', '1', 'The Provenance of the merge (give it to $unmerge to undo it)'),
    output('moved', 'Reference', '*', 'Each record moved', 0),
    output('task', 'Reference', '*', 'Conflicts opened for the data-quality team', 0),
];
registerOperation({
    definition: operationDefinition('merge', 'Merge', ['Patient'], "Merges two register records of one person (as FHIR's Patient $merge): the surviving record keeps both NHS numbers (the retired one marked old, so searches by it still find the person) and a replaces link; the retired record becomes inactive with a replaced-by link; every vaccination, reaction, message, preference, Task and appointment of the retired record is moved (a new version each, so the GP practice is told), as are cohort memberships and pending outbox entries; a Provenance lists every version written. Preferences that disagree become a Task for the data-quality team; duplicate vaccinations are found by the anomaly rules.", [...MERGE_INPUTS, ...OUTPUTS]),
    needs: () => [
        ['Patient', 'u'],
        ['Provenance', 'c'],
    ],
    handle: async (request, { service, merges }) => {
        if (!merges)
            fail('not-ready', 'Merges are not available in this server');
        const values = readParameters(parametersOf(request), MERGE_INPUTS);
        const [source, target] = [
            await sideOf(service, values, 'source'),
            await sideOf(service, values, 'target'),
        ];
        const reason = values.get('reason')?.[0];
        const result = await merges.merge(source, target, request.context.access, reason);
        return { status: 200, body: answer(result, `Patient/${source} merged into Patient/${target}`) };
    },
});
const UNMERGE_INPUTS = [
    input('merge', 'Reference', '1', 'The Provenance of the merge to undo', 1),
    input('reason', 'string', '1', 'Why, kept in the Provenance'),
];
registerOperation({
    definition: operationDefinition('unmerge', 'Unmerge', ['Patient'], 'Undoes a merge (for the data-quality team): the records it moved name the retired record again (new versions), the retired record is active again, the surviving record loses the old NHS number and its link; a Provenance records it. Records made for the surviving record after the merge stay with it.', [...UNMERGE_INPUTS, ...OUTPUTS.filter((o) => o.name !== 'task')]),
    needs: () => [
        ['Patient', 'u'],
        ['Provenance', 'c'],
    ],
    handle: async (request, { merges }) => {
        if (!merges)
            fail('not-ready', 'Merges are not available in this server');
        const values = readParameters(parametersOf(request), UNMERGE_INPUTS);
        const id = /^Provenance\/([A-Za-z0-9\-.]{1,64})$/.exec(values.get('merge')[0])?.[1];
        if (!id)
            fail('invalid-request', 'merge must be a reference Provenance/id', ['merge']);
        const reason = values.get('reason')?.[0];
        const result = await merges.unmerge(id, request.context.access, reason);
        return { status: 200, body: answer(result, `The merge recorded in Provenance/${id} was undone`) };
    },
});
//# sourceMappingURL=merge.js.map