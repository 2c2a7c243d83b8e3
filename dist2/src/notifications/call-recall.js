import { randomUUID } from 'node:crypto';
import { dayNumber } from '../cohort/programmes.js';
import { SERVER_CONTEXT } from '../fhir/service.js';
import { runTask } from './runs.js';
/**
 * The people a call and recall run reaches on `on`: registered with a GP practice, aged within the
 * settings, due a dose by the programme's schedule (refusals respected), not contacted about it within
 * the follow-up interval; those up to the priority age first.
 */
export function callRecallSelection(index, settings, on) {
    const { ageFromYears, ageToYears, priorityToYears, followUpDays } = settings.callRecall;
    const today = dayNumber(on.toISOString());
    const base = {
        ageOn: on,
        programme: settings.programme,
        dueOnly: true,
        registeredOnly: true,
        contactedSince: today - followUpDays + 1,
    };
    const splitAt = Math.min(Math.max(priorityToYears, ageFromYears - 1), ageToYears);
    const first = index.select({ ...base, ageFromMonths: ageFromYears * 12, ageToMonths: splitAt * 12 + 11 });
    const then = splitAt < ageToYears
        ? index.select({ ...base, ageFromMonths: (splitAt + 1) * 12, ageToMonths: ageToYears * 12 + 11 })
        : { size: 0, ids: () => [] };
    const ids = (from, to) => [
        ...(from < first.size ? first.ids(from, Math.min(to, first.size)) : []),
        ...(to > first.size ? then.ids(Math.max(0, from - first.size), to - first.size) : []),
    ];
    const size = first.size + then.size;
    const counts = {
        total: size,
        priority: first.size,
        firstDose: 0,
        laterDose: 0,
        followUps: 0,
    };
    const STEP = 10_000;
    for (let from = 0; from < size; from += STEP)
        for (const id of ids(from, from + STEP)) {
            if (index.dosesOf(id, settings.programme) === 0)
                counts.firstDose++;
            else
                counts.laterDose++;
            if (index.contactedOn(id, settings.programme) > 0)
                counts.followUps++;
        }
    return { size, ids, counts };
}
/**
 * Selects today's call and recall cohort, stores it as a Group and starts its run (a Task). With
 * `scheduled`, the ids are derived from the schedule Task and the day, so a second try of the same
 * day's run (another process, or after a crash) finds them taken instead of starting another run.
 */
export async function startCallRecall({ service, cohorts, invitations }, settings, on, context = SERVER_CONTEXT, scheduled) {
    await cohorts.current();
    const selection = callRecallSelection(cohorts.index, settings, on);
    const groupId = scheduled ? `${scheduled.schedule}-${scheduled.day.replaceAll('-', '')}` : randomUUID();
    const runId = scheduled ? `${groupId}-run` : randomUUID();
    const existing = scheduled ? await service.readIfExists('Task', runId) : undefined;
    if (existing?.resource)
        return { task: existing.resource, counts: selection.counts };
    if (!(await service.readIfExists('Group', groupId))?.resource) {
        await cohorts.members.save(groupId, selection);
        const group = {
            resourceType: 'Group',
            type: 'person',
            actual: true,
            name: `${settings.programme.toUpperCase()} call and recall of ${on.toISOString().slice(0, 10)}`,
            quantity: selection.size,
        };
        await service.createWithId('Group', group, groupId);
    }
    const task = runTask(groupId, settings, context.access.clientId, scheduled ? { schedule: scheduled.schedule } : {});
    const created = await service.createWithId('Task', task, runId);
    await invitations.begin(runId, groupId, 'invitation');
    return { task: created.stored.resource, counts: selection.counts };
}
//# sourceMappingURL=call-recall.js.map