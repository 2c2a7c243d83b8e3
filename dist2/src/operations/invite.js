import { PROGRAMME_CODES } from '../cohort/programmes.js';
import { fail } from '../fhir/errors.js';
import { CHANNELS } from '../notifications/channel.js';
import { runTask } from '../notifications/runs.js';
import { input, oneOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation, } from './registry.js';
/** The parameters of a run: $invite's, and the base of $recall's and $mmr-recall's. */
export const INPUTS = [
    input('programme', 'code', '1', `${PROGRAMME_CODES.join(' | ')}`, 1),
    input('channel', 'code', '*', `Channels allowed, in the order to try them (default ${CHANNELS.join(', ')})`),
    ...CHANNELS.map((c) => input(`template-${c}`, 'string', '1', `The provider's template for ${c} messages`)),
    input('window-start', 'string', '1', 'Send from this time of day, UK time (HH:MM)'),
    input('window-end', 'string', '1', 'Send until this time of day, UK time (HH:MM)'),
    input('batch-size', 'integer', '1', 'People handled between progress saves (1 to 10,000; default 500)'),
];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const RECALL_INPUTS = [
    ...INPUTS,
    input('after-days', 'integer', '1', 'Remind people invited at least this many days ago (default 14)'),
    input('max-reminders', 'integer', '1', 'At most this many reminders a person a season (default 2)'),
    input('mode', 'code', '1', 'send (default): start the reminder run; count: only say how many it would remind'),
];
/** The run's settings from the parameters, every rule checked (400 naming the parameter otherwise). */
export function settingsFrom(values, recall) {
    const one = (name) => values.get(name)?.[0];
    const programme = oneOf(one('programme'), PROGRAMME_CODES, 'programme');
    const channels = (values.get('channel') ?? [...CHANNELS]).map((c) => oneOf(c, CHANNELS, 'channel'));
    if (new Set(channels).size !== channels.length)
        fail('invalid-request', 'A channel is given twice', ['channel']);
    const templates = {};
    for (const c of CHANNELS) {
        const template = one(`template-${c}`);
        if (template !== undefined)
            templates[c] = template;
    }
    if (!channels.some((c) => templates[c]))
        fail('invalid-request', 'Give a template for at least one of the channels allowed', ['channel']);
    const from = one('window-start');
    const to = one('window-end');
    if ((from === undefined) !== (to === undefined) || [from, to].some((t) => t !== undefined && !TIME.test(t)))
        fail('invalid-request', 'Give window-start and window-end together, each as HH:MM', ['window-start']);
    const batchSize = one('batch-size') ?? 500;
    if (batchSize < 1 || batchSize > 10_000)
        fail('invalid-request', 'batch-size must be between 1 and 10,000', ['batch-size']);
    const afterDays = one('after-days') ?? 14;
    const most = one('max-reminders') ?? 2;
    if (afterDays < 0 || afterDays > 365)
        fail('invalid-request', 'after-days must be 0 to 365', ['after-days']);
    if (most < 1 || most > 20)
        fail('invalid-request', 'max-reminders must be 1 to 20', ['max-reminders']);
    return {
        programme,
        channels,
        templates,
        ...(from && to ? { window: { from, to } } : {}),
        batchSize,
        ...(recall ? { recall: { afterDays, most } } : {}),
    };
}
/** The cohort an operation is called on, which must be a selection of actual people. */
async function cohortOf(service, id) {
    const group = (await service.read('Group', id)).resource;
    if (group.type !== 'person' || !group.actual)
        fail('invalid-request', 'Only a selected cohort (a Group of actual people) can be invited or reminded');
}
/** What starting a run needs: its cohort, its Task, its Communications, the people. */
export const NEEDS = [
    ['Group', 'r'],
    ['Task', 'c'],
    ['Communication', 'c'],
    ['Patient', 'r'],
];
/** Creates the run's Task and starts sending it; 202 with the Task. */
async function startRun(request, { service, invitations }, settings) {
    const created = await service.create('Task', runTask(request.id, settings, request.context.access.clientId), request.context);
    await invitations.begin(created.stored.id, request.id, settings.recall ? 'reminder' : 'invitation');
    return { status: 202, stored: created.stored };
}
registerOperation({
    definition: operationDefinition('invite', 'Invite', ['Group'], "Invites a selected cohort (a Group from Patient/$cohort mode=select): creates the invitation run as a Task and answers 202 with it at once; the server then sends, person by person, down each person's channel chain (NHS App, text or email, letter), skipping people who died, left, were vaccinated or opted out meanwhile, with one Communication per attempt. Pause, resume or cancel the run by setting the Task's status (on-hold, in-progress, cancelled).", [...INPUTS, { name: 'return', use: 'out', min: 1, max: '1', type: 'Task', documentation: 'The run' }], 'instance'),
    needs: () => NEEDS,
    handle: async (request, services) => {
        if (!services.invitations)
            fail('not-ready', 'Invitations are not available in this server');
        const settings = settingsFrom(readParameters(request.body, INPUTS), false);
        await cohortOf(services.service, request.id);
        return startRun(request, services, settings);
    },
});
registerOperation({
    definition: operationDefinition('recall', 'Recall', ['Group'], "Reminds the people of an invited cohort who were invited at least after-days ago and are still not vaccinated (COVID-19: nor booked, as the booking system's Appointments say), at most max-reminders times a season and never those who opted out, died or left: a reminder run like $invite's (202 with its Task). mode=count only answers how many would be reminded now.", [
        ...RECALL_INPUTS,
        {
            name: 'return',
            use: 'out',
            min: 0,
            max: '1',
            type: 'Task',
            documentation: 'The reminder run (send)',
        },
        { name: 'total', use: 'out', min: 0, max: '1', type: 'integer', documentation: 'People due (count)' },
    ], 'instance'),
    needs: () => NEEDS,
    handle: async (request, services) => {
        if (!services.invitations)
            fail('not-ready', 'Invitations are not available in this server');
        const values = readParameters(request.body, RECALL_INPUTS);
        const settings = settingsFrom(values, true);
        const mode = oneOf(values.get('mode')?.[0] ?? 'send', ['send', 'count'], 'mode');
        await cohortOf(services.service, request.id);
        if (mode === 'send')
            return startRun(request, services, settings);
        const total = await services.invitations.recallCount(request.id, settings);
        return {
            status: 200,
            body: { resourceType: 'Parameters', parameter: [{ name: 'total', valueInteger: total }] },
        };
    },
});
//# sourceMappingURL=invite.js.map