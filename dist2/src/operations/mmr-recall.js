import { fail } from '../fhir/errors.js';
import { callRecallSelection, startCallRecall } from '../notifications/call-recall.js';
import { CHANNELS } from '../notifications/channel.js';
import { runTask } from '../notifications/runs.js';
import { INPUTS as RUN_INPUTS, NEEDS, settingsFrom } from './invite.js';
import { input, oneOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
const INPUTS = [
    ...RUN_INPUTS.filter((i) => i.name !== 'programme'),
    input('age-from', 'integer', '1', 'Youngest age reached, in years (default 1)'),
    input('age-to', 'integer', '1', 'Oldest age reached, in years, up to the day before the next birthday (default 25)'),
    input('priority-age-to', 'integer', '1', 'People up to this age go first in each run (default 6)'),
    input('follow-up-days', 'integer', '1', 'Leave out people contacted about MMR fewer than this many days ago; follow up those contacted longer ago (default 28)'),
    input('follow-up-channel', 'code', '*', 'Channels for follow-ups of people contacted before (default letter)'),
    input('mode', 'code', '1', 'send (default): start a run now; count: only say whom it would reach'),
    input('daily-at', 'string', '1', 'Instead of a run now, start one every day at this time (UK, HH:MM)'),
];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
/** The call and recall settings from the parameters, every rule checked. */
function callRecallFrom(values) {
    const run = settingsFrom(new Map([...values, ['programme', ['mmr']]]), false);
    const number = (name, fallback, least, most) => {
        const value = values.get(name)?.[0] ?? fallback;
        if (value < least || value > most)
            fail('invalid-request', `${name} must be ${least} to ${most}`, [name]);
        return value;
    };
    const ageFromYears = number('age-from', 1, 1, 25);
    const ageToYears = number('age-to', 25, ageFromYears, 25);
    const priorityToYears = number('priority-age-to', 6, ageFromYears, 25);
    const followUpDays = number('follow-up-days', 28, 1, 365);
    const followUpChannels = (values.get('follow-up-channel') ?? ['letter']).map((c) => oneOf(c, CHANNELS, 'follow-up-channel'));
    if (!followUpChannels.some((c) => run.templates[c]))
        fail('invalid-request', 'Give a template for at least one follow-up channel', ['follow-up-channel']);
    return {
        ...run,
        followUpChannels,
        callRecall: { ageFromYears, ageToYears, priorityToYears, followUpDays },
    };
}
registerOperation({
    definition: {
        ...operationDefinition('mmr-recall', 'MmrRecall', [], 'MMR call and recall: selects the people aged age-from to age-to registered with a GP practice who are due an MMR dose by the schedule (dose 1 from 12 months, dose 2 from 3 years 4 months and 4 weeks after dose 1), judged from their Immunization records, leaving out those who refused since their last dose and those contacted about MMR within follow-up-days; those up to priority-age-to first. Messages about children under 16 go to a parent or guardian. mode=send starts an invitation run of them (202 with its Task); mode=count answers how many it would reach; daily-at makes a standing schedule (201 with its Task) that starts such a run every day at that time, in one server process, until the Task is cancelled.', [
            ...INPUTS,
            {
                name: 'return',
                use: 'out',
                min: 0,
                max: '1',
                type: 'Task',
                documentation: 'The run (send) or the schedule (daily-at)',
            },
            {
                name: 'total',
                use: 'out',
                min: 0,
                max: '1',
                type: 'integer',
                documentation: 'People it would reach (count)',
            },
            {
                name: 'priority',
                use: 'out',
                min: 0,
                max: '1',
                type: 'integer',
                documentation: 'Of them, up to priority-age-to (count)',
            },
            {
                name: 'first-dose',
                use: 'out',
                min: 0,
                max: '1',
                type: 'integer',
                documentation: 'Due dose 1 (count)',
            },
            {
                name: 'later-dose',
                use: 'out',
                min: 0,
                max: '1',
                type: 'integer',
                documentation: 'Due a later dose (count)',
            },
            {
                name: 'follow-ups',
                use: 'out',
                min: 0,
                max: '1',
                type: 'integer',
                documentation: 'Contacted before (count)',
            },
        ], 'system'),
    },
    needs: () => NEEDS,
    handle: async (request, { service, cohorts, invitations, callRecall }) => {
        if (!cohorts || !invitations || !callRecall)
            fail('not-ready', 'Call and recall is not available in this server');
        const values = readParameters(request.body, INPUTS);
        const settings = callRecallFrom(values);
        const mode = oneOf(values.get('mode')?.[0] ?? 'send', ['send', 'count'], 'mode');
        const dailyAt = values.get('daily-at')?.[0];
        if (dailyAt !== undefined) {
            if (!TIME.test(dailyAt))
                fail('invalid-request', 'daily-at must be HH:MM', ['daily-at']);
            if (mode !== 'send')
                fail('invalid-request', 'daily-at schedules runs: it goes with mode=send', ['mode']);
            const schedule = runTask(undefined, settings, request.context.access.clientId, { dailyAt });
            const created = await service.create('Task', schedule, request.context);
            await callRecall.add(created.stored.id);
            return { status: 201, stored: created.stored };
        }
        const now = new Date();
        if (mode === 'count') {
            await cohorts.current();
            const { counts } = callRecallSelection(cohorts.index, settings, now);
            const body = {
                resourceType: 'Parameters',
                parameter: [
                    { name: 'total', valueInteger: counts.total },
                    { name: 'priority', valueInteger: counts.priority },
                    { name: 'first-dose', valueInteger: counts.firstDose },
                    { name: 'later-dose', valueInteger: counts.laterDose },
                    { name: 'follow-ups', valueInteger: counts.followUps },
                ],
            };
            return { status: 200, body };
        }
        const { task } = await startCallRecall({ service, cohorts, invitations }, settings, now, request.context);
        const stored = await service.read('Task', task.id);
        return { status: 202, stored };
    },
});
//# sourceMappingURL=mmr-recall.js.map