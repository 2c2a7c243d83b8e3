import { ResolutionWorkflow } from '../resolution/workflow.js';
import { input, oneOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
const STATUSES = ['accepted', 'in-progress', 'completed', 'rejected', 'cancelled'];
const INPUTS = [
    input('status', 'code', '1', `The next status: ${STATUSES.join(', ')}`, 1),
    input('reason', 'string', '1', 'Why: required to reject or cancel, kept as Task.statusReason'),
    input('agent', 'string', '1', 'The person taking the step, as the client knows them (default: the client)'),
];
/** The status asked for, read loosely: the scopes a step needs depend on it, before the body is checked. */
function statusAsked(body) {
    const parameter = body?.parameter;
    return Array.isArray(parameter) ? parameter.find((p) => p?.name === 'status')?.valueCode : undefined;
}
registerOperation({
    definition: operationDefinition('transition', 'Transition', ['Task'], 'Moves a data-resolution Task (a correction or an anomaly) one step: requested → accepted → in-progress → completed, or to rejected or cancelled with a reason. Completing a correction writes the Immunization (added, amended or deleted) and a Provenance naming the Task and the agent, and the GP practice is told as for any change. If-Match pins the version the step was decided on; a step the current status does not allow is a 409.', [
        ...INPUTS,
        {
            name: 'return',
            use: 'out',
            min: 1,
            max: '1',
            type: 'Task',
            documentation: 'The Task after the step',
        },
    ], 'instance'),
    needs: (request) => {
        const needs = [['Task', 'u']];
        if (statusAsked(request.body) === 'completed')
            needs.push(['Immunization', 'c'], ['Immunization', 'u'], ['Immunization', 'd'], ['Provenance', 'c']);
        return needs;
    },
    handle: async (request, services) => {
        const values = readParameters(request.body, INPUTS);
        const status = oneOf(values.get('status')[0], STATUSES, 'status');
        const reason = values.get('reason')?.[0];
        const agent = values.get('agent')?.[0];
        const stored = await new ResolutionWorkflow(services.service).transition(request.id, {
            status,
            access: request.context.access,
            ...(reason !== undefined ? { reason } : {}),
            ...(agent !== undefined ? { agent } : {}),
            ...(request.ifMatch !== undefined ? { ifMatch: request.ifMatch } : {}),
        });
        return { status: 200, stored };
    },
});
//# sourceMappingURL=transition.js.map