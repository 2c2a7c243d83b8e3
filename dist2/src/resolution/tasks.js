import { TASK_TYPE_SYSTEM } from '../notifications/runs.js';
import { NIMS_BASE } from '../resources/extensions.js';
/**
 * The data-resolution Tasks: corrections a helpline agent opens for the data-quality team (add, amend or
 * delete a vaccination record) and the anomalies nims finds itself. Both move only through
 * `Task/{id}/$transition`, never by a client's PUT, PATCH or DELETE, so every step is checked and recorded.
 */
export const CORRECTIONS = ['add-vaccination', 'amend-vaccination', 'delete-vaccination'];
/** A suspect record found by `$anomalies`; its reasonCode says which rule found it. */
export const ANOMALY = 'vaccination-anomaly';
/** The kinds of Task.input (and output) of a resolution Task. */
export const RESOLUTION_INPUT_SYSTEM = `${NIMS_BASE}/CodeSystem/resolution-input`;
export const RESOLUTION_INPUTS = {
    /** valueReference to the contained Immunization as it should be (add, amend). */
    proposedRecord: 'proposed-record',
    /** valueString: what the caller said, as the agent took it down. */
    callerDetails: 'caller-details',
    /** valueReference to an Immunization the finding rests on (an anomaly's evidence). */
    evidence: 'evidence',
    /** valueString: the finding in words. */
    finding: 'finding',
    /** Output: the Immunization version the completed correction wrote, and its Provenance. */
    result: 'result',
};
/** Which status may follow which; the last three end the Task. */
export const TRANSITIONS = {
    requested: ['accepted', 'rejected', 'cancelled'],
    accepted: ['in-progress', 'rejected', 'cancelled'],
    'in-progress': ['completed', 'rejected', 'cancelled'],
    completed: [],
    rejected: [],
    cancelled: [],
};
/** Ending a Task without doing it must say why (Task.statusReason). */
export const NEEDS_REASON = ['rejected', 'cancelled'];
function codeOf(task) {
    return (task.code?.coding ?? []).find((c) => c.system === TASK_TYPE_SYSTEM)?.code;
}
export function correctionOf(task) {
    const code = codeOf(task);
    return CORRECTIONS.find((c) => c === code);
}
export function isCorrection(task) {
    return task.resourceType === 'Task' && correctionOf(task) !== undefined;
}
export function isAnomaly(task) {
    return task.resourceType === 'Task' && codeOf(task) === ANOMALY;
}
/** Whether the Task is one that moves only through `$transition`. */
export function isResolutionTask(task) {
    return task !== undefined && (isCorrection(task) || isAnomaly(task));
}
/** The inputs of one kind. */
export function inputsOf(task, kind) {
    return (task.input ?? []).filter((i) => (i.type.coding ?? []).some((c) => c.system === RESOLUTION_INPUT_SYSTEM && c.code === kind));
}
/** The record a correction proposes (contained, referenced from its proposed-record input). */
export function proposedRecord(task) {
    const reference = inputsOf(task, RESOLUTION_INPUTS.proposedRecord)[0]?.valueReference?.reference;
    if (!reference?.startsWith('#'))
        return undefined;
    const found = (task.contained ?? []).find((r) => r.id === reference.slice(1));
    return found?.resourceType === 'Immunization' ? found : undefined;
}
export function typedInput(kind, value) {
    return { type: { coding: [{ system: RESOLUTION_INPUT_SYSTEM, code: kind }] }, ...value };
}
//# sourceMappingURL=tasks.js.map