import { NIMS_BASE } from '../resources/extensions.js';
import { ukClock } from '../shared/clock.js';
/** Kinds of Task nims works with. */
export const TASK_TYPE_SYSTEM = `${NIMS_BASE}/CodeSystem/task-type`;
/** The settings and progress counts of an invitation run, as Task input and output types. */
export const RUN_FIELD_SYSTEM = `${NIMS_BASE}/CodeSystem/invitation-run-field`;
/** Identifies each message attempt (`{run}/{patient}/{step}`): the provider's reference too. */
export const MESSAGE_REFERENCE_SYSTEM = `${NIMS_BASE}/Id/invitation-message`;
/** The channel of a Communication (its medium). */
export const CHANNEL_SYSTEM = `${NIMS_BASE}/CodeSystem/channel`;
export const emptyCounts = () => ({
    considered: 0,
    sent: 0,
    delivered: 0,
    failed: 0,
    unreachable: 0,
    fellBack: 0,
    returned: 0,
    unknown: 0,
    skipped: {},
});
const field = (code) => ({ coding: [{ system: RUN_FIELD_SYSTEM, code }] });
const fieldOf = (input) => input.type.coding?.find((c) => c.system === RUN_FIELD_SYSTEM)?.code;
/** The Task input codes of the call and recall settings. */
const CALL_RECALL_FIELDS = {
    ageFromYears: 'age-from',
    ageToYears: 'age-to',
    priorityToYears: 'priority-age-to',
    followUpDays: 'follow-up-days',
};
/**
 * A new run of `groupId`'s invitations as a Task (`schedule`: the standing Task that started it); or,
 * with `dailyAt` and no group, a standing Task that starts a call and recall run with these settings
 * every day at that time (UK, HH:MM).
 */
export function runTask(groupId, settings, requester, { dailyAt, schedule } = {}) {
    const input = [
        { type: field('programme'), valueCode: settings.programme },
        ...settings.channels.map((c) => ({ type: field('channel'), valueCode: c })),
        ...Object.entries(settings.templates).map(([c, t]) => ({ type: field(`template-${c}`), valueString: t })),
        ...(settings.window
            ? [
                { type: field('window-start'), valueTime: `${settings.window.from}:00` },
                { type: field('window-end'), valueTime: `${settings.window.to}:00` },
            ]
            : []),
        { type: field('batch-size'), valuePositiveInt: settings.batchSize },
        ...(settings.recall
            ? [
                { type: field('after-days'), valueUnsignedInt: settings.recall.afterDays },
                { type: field('max-reminders'), valuePositiveInt: settings.recall.most },
            ]
            : []),
        ...(settings.followUpChannels ?? []).map((c) => ({ type: field('follow-up-channel'), valueCode: c })),
        ...Object.entries(settings.callRecall ?? {}).map(([name, value]) => ({ type: field(CALL_RECALL_FIELDS[name]), valueUnsignedInt: value })),
        ...(dailyAt ? [{ type: field('daily-at'), valueTime: `${dailyAt}:00` }] : []),
    ];
    const [code, display] = dailyAt
        ? ['call-recall-schedule', 'Daily call and recall']
        : settings.recall
            ? ['reminder-run', 'Reminder run']
            : ['invitation-run', 'Invitation run'];
    return {
        resourceType: 'Task',
        status: 'in-progress',
        intent: 'order',
        code: { coding: [{ system: TASK_TYPE_SYSTEM, code, display }] },
        ...(groupId ? { focus: { reference: `Group/${groupId}` } } : {}),
        ...(schedule ? { basedOn: [{ reference: `Task/${schedule}` }] } : {}),
        authoredOn: new Date().toISOString(),
        ...(requester
            ? { requester: { identifier: { system: `${NIMS_BASE}/Id/client`, value: requester } } }
            : {}),
        input,
        output: outputOf(emptyCounts()),
    };
}
/** The settings a run's Task holds. */
export function settingsOf(task) {
    const inputs = task.input ?? [];
    const values = (code) => inputs.filter((i) => fieldOf(i) === code);
    const templates = {};
    for (const i of inputs) {
        const code = fieldOf(i);
        if (code?.startsWith('template-') && i.valueString)
            templates[code.slice(9)] = i.valueString;
    }
    const afterDays = values('after-days')[0]?.valueUnsignedInt;
    const most = values('max-reminders')[0]?.valuePositiveInt;
    const from = values('window-start')[0]?.valueTime?.slice(0, 5);
    const to = values('window-end')[0]?.valueTime?.slice(0, 5);
    const followUpChannels = values('follow-up-channel').map((i) => i.valueCode);
    const callRecall = Object.fromEntries(Object.entries(CALL_RECALL_FIELDS).flatMap(([name, code]) => {
        const value = values(code)[0]?.valueUnsignedInt;
        return value === undefined ? [] : [[name, value]];
    }));
    return {
        programme: values('programme')[0]?.valueCode,
        channels: values('channel').map((i) => i.valueCode),
        templates,
        ...(from && to ? { window: { from, to } } : {}),
        batchSize: values('batch-size')[0]?.valuePositiveInt ?? 500,
        ...(afterDays !== undefined && most !== undefined ? { recall: { afterDays, most } } : {}),
        ...(followUpChannels.length > 0 ? { followUpChannels } : {}),
        ...(Object.keys(callRecall).length === 4 ? { callRecall: callRecall } : {}),
    };
}
/** The time of day (UK, HH:MM) a call and recall schedule Task starts its daily run. */
export function dailyAtOf(task) {
    return task.input?.find((i) => fieldOf(i) === 'daily-at')?.valueTime?.slice(0, 5);
}
/** The counts as Task outputs. */
export function outputOf(counts) {
    const { skipped, ...rest } = counts;
    return [
        ...Object.entries(rest).map(([code, value]) => ({ type: field(code), valueInteger: value })),
        ...Object.entries(skipped).map(([reason, value]) => ({
            type: field(`skipped-${reason}`),
            valueInteger: value,
        })),
    ];
}
/** Whether `now` falls within a daily window of UK time (which may cross midnight). */
export function withinWindow(window, now) {
    if (!window)
        return true;
    const uk = ukClock(now).time;
    return window.from <= window.to ? uk >= window.from && uk < window.to : uk >= window.from || uk < window.to;
}
//# sourceMappingURL=runs.js.map