import { fail } from '../fhir/errors.js';
import { input, parametersOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
/** Outboxes carry what invitation runs cause: staff who run invitations follow them. */
const NEEDS = [['Task', 'r']];
function statusParameter(status) {
    return {
        name: 'outbox',
        part: [
            { name: 'topic', valueCode: status.topic },
            { name: 'pending', valueInteger: status.pending },
            { name: 'delivered', valueInteger: status.delivered },
            { name: 'dead', valueInteger: status.dead },
            ...status.deadEntries.map((entry) => ({
                name: 'dead-entry',
                part: [
                    { name: 'id', valueString: entry._id },
                    { name: 'tries', valueInteger: entry.tries },
                    { name: 'created', valueDateTime: entry.createdAt },
                    ...(entry.lastError ? [{ name: 'error', valueString: entry.lastError }] : []),
                ],
            })),
        ],
    };
}
function outboxNamed(services, topic) {
    const outbox = (services.outboxes ?? []).find((o) => o.topic === topic);
    if (!outbox)
        fail('invalid-request', `No outbox '${topic}' is configured in this server`, ['topic']);
    return outbox;
}
const STATUS_INPUTS = [input('topic', 'code', '1', 'Only this outbox (booking); default all')];
registerOperation({
    definition: {
        ...operationDefinition('outbox', 'Outbox', [], 'What nims has to hand to other systems (the booking system): per outbox, how many entries wait, were delivered, or were given up after their last try (dead letters), with the dead ones listed (the first 100) and their last error.', [
            ...STATUS_INPUTS,
            {
                name: 'outbox',
                use: 'out',
                min: 0,
                max: '*',
                documentation: 'Per outbox: topic, pending, delivered, dead, dead-entry (id, tries, created, error)',
            },
        ], 'system'),
        affectsState: false,
    },
    needs: () => NEEDS,
    handle: async (request, services) => {
        const values = readParameters(parametersOf(request), STATUS_INPUTS);
        const topic = values.get('topic')?.[0];
        const outboxes = topic ? [outboxNamed(services, topic)] : (services.outboxes ?? []);
        const statuses = await Promise.all(outboxes.map((o) => o.status()));
        return { status: 200, body: { resourceType: 'Parameters', parameter: statuses.map(statusParameter) } };
    },
});
const RETRY_INPUTS = [
    input('topic', 'code', '1', 'The outbox', 1),
    input('entry', 'string', '*', 'The dead entries to try again (default: every dead entry)'),
];
registerOperation({
    definition: operationDefinition('outbox-retry', 'OutboxRetry', [], 'Gives dead entries of an outbox (given up after their last try) a fresh set of tries, once what stopped them is fixed. Answers how many were requeued.', [
        ...RETRY_INPUTS,
        { name: 'requeued', use: 'out', min: 1, max: '1', type: 'integer', documentation: 'Entries requeued' },
    ], 'system'),
    needs: () => [['Task', 'u']],
    handle: async (request, services) => {
        const values = readParameters(request.body, RETRY_INPUTS);
        const outbox = outboxNamed(services, values.get('topic')[0]);
        const entries = values.get('entry');
        const requeued = await outbox.retryDead(entries);
        return {
            status: 200,
            body: { resourceType: 'Parameters', parameter: [{ name: 'requeued', valueInteger: requeued }] },
        };
    },
});
//# sourceMappingURL=outbox.js.map