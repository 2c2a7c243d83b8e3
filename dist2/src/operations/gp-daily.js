import { fail } from '../fhir/errors.js';
import { ukClock } from '../shared/clock.js';
import { input, parametersOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
const INPUTS = [
    input('date', 'date', '1', 'The day whose messages (and those of the days before) go now; default yesterday (UK)'),
];
registerOperation({
    definition: operationDefinition('gp-daily', 'GpDaily', [], 'Sends now the daily batches of the practices that take their vaccination messages once a day: per practice and day, one batch Bundle of its messages of that day and the days before that are still waiting (the ones an earlier run could not deliver included). The server does this itself every morning (GP_DAILY_AT); this is for a day to be sent again or at once. Answers how many messages were delivered and how many failed (they wait for the next run).', [
        ...INPUTS,
        {
            name: 'delivered',
            use: 'out',
            min: 1,
            max: '1',
            type: 'integer',
            documentation: 'Messages delivered',
        },
        { name: 'failed', use: 'out', min: 1, max: '1', type: 'integer', documentation: 'Messages that wait' },
    ], 'system'),
    needs: () => [['Endpoint', 'u']],
    handle: async (request, { gpDaily }) => {
        if (!gpDaily)
            fail('not-ready', 'GP messaging is not available in this server');
        const values = readParameters(parametersOf(request), INPUTS);
        const date = values.get('date')?.[0] ?? ukClock(new Date(Date.now() - 86_400_000)).date;
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
            fail('invalid-request', 'date must be YYYY-MM-DD', ['date']);
        const { delivered, failed } = await gpDaily.run(date);
        return {
            status: 200,
            body: {
                resourceType: 'Parameters',
                parameter: [
                    { name: 'delivered', valueInteger: delivered },
                    { name: 'failed', valueInteger: failed },
                ],
            },
        };
    },
});
//# sourceMappingURL=gp-daily.js.map