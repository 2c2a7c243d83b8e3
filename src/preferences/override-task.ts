import type { Task } from 'fhir/r4';
import { TASK_TYPE_SYSTEM } from '../notifications/runs.js';
import type { ProgrammeCode } from '../cohort/programmes.js';

// What makes a Task a preference override, apart from the service that reads them: the Task resource's
// rules use it, and they are below the service.

/** The Task code of an override: people's invitation preferences are not applied for a while. */
export const PREFERENCE_OVERRIDE = 'preference-override';

/** Whether a Task is a preference override (whatever its state). */
export function isOverride(task: Task): boolean {
  return (
    task.resourceType === 'Task' &&
    (task.code?.coding ?? []).some((c) => c.system === TASK_TYPE_SYSTEM && c.code === PREFERENCE_OVERRIDE)
  );
}

/** Whether an override Task is for this programme and in force at this moment. */
export function inForce(task: Task, programme: ProgrammeCode, at: Date): boolean {
  const start = task.executionPeriod?.start;
  const end = task.executionPeriod?.end;
  return (
    task.status === 'in-progress' &&
    (task.input ?? []).some((i) => i.valueCode === programme) &&
    start !== undefined &&
    Date.parse(start) <= at.getTime() &&
    (end === undefined || at.getTime() < Date.parse(end))
  );
}
