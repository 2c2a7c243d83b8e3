import { SERVER_CONTEXT } from '../fhir/service.js';
import { TASK_TYPE_SYSTEM } from '../notifications/runs.js';
/** The Task code of an override: people's invitation preferences are not applied for a while. */
export const PREFERENCE_OVERRIDE = 'preference-override';
/** How long the overrides in force are remembered before they are read again. */
const OVERRIDES_TTL_MS = 30_000;
/** Whether a Task is a preference override (whatever its state). */
export function isOverride(task) {
    return (task.resourceType === 'Task' &&
        (task.code?.coding ?? []).some((c) => c.system === TASK_TYPE_SYSTEM && c.code === PREFERENCE_OVERRIDE));
}
/** Whether an override Task is for this programme and in force at this moment. */
export function inForce(task, programme, at) {
    const start = task.executionPeriod?.start;
    const end = task.executionPeriod?.end;
    return (task.status === 'in-progress' &&
        (task.input ?? []).some((i) => i.valueCode === programme) &&
        start !== undefined &&
        Date.parse(start) <= at.getTime() &&
        (end === undefined || at.getTime() < Date.parse(end)));
}
/**
 * Overrides on compelling grounds (a worsening pandemic, say): programme staff create a Task coded
 * `preference-override` (in-progress, the programme as input, a dated executionPeriod, the reason), and
 * while it is in force cohorts and runs for that programme leave people's invitation preferences aside.
 * The Task is audited like every write; ending it (completed, cancelled) ends the override.
 */
export class PreferenceOverrides {
    service;
    tasks;
    readAt = 0;
    constructor(service) {
        this.service = service;
    }
    /** The override in force for a programme at a moment, if there is one. */
    async inForce(programme, at) {
        if (!this.tasks || Date.now() - this.readAt > OVERRIDES_TTL_MS) {
            this.readAt = Date.now();
            this.tasks = this.read().catch((error) => {
                this.tasks = undefined;
                throw error;
            });
        }
        return (await this.tasks).find((task) => inForce(task, programme, at));
    }
    /** Reads them again at once (after staff changed one). */
    forget() {
        this.tasks = undefined;
    }
    async read() {
        const { sources } = await this.service.search('Task', [
            ['code', `${TASK_TYPE_SYSTEM}|${PREFERENCE_OVERRIDE}`],
            ['status', 'in-progress'],
        ], SERVER_CONTEXT);
        return sources;
    }
}
//# sourceMappingURL=override.js.map