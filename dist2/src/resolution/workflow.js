import { isDeepStrictEqual } from 'node:util';
import { CLIENT_ID_SYSTEM } from '../auth/audit.js';
import { fail } from '../fhir/errors.js';
import { stableUuid } from '../shared/stable-uuid.js';
import { correctionOf, isCorrection, isResolutionTask, NEEDS_REASON, proposedRecord, RESOLUTION_INPUTS, TRANSITIONS, typedInput, } from './tasks.js';
/** Marks a correction whose change is being written: only completing it may follow. */
const APPLYING = 'applying';
const without = ({ meta: _m, id: _i, ...rest }) => rest;
/** An id derived from the Task, so writing the same correction again finds what it wrote before. */
const derivedId = (task, what) => stableUuid(`Task/${task.id}/${what}`);
/**
 * Moves a data-resolution Task one step along requested → accepted → in-progress → completed (or to
 * rejected or cancelled), each step checked against the stored version and noted on the Task. Completing
 * a correction writes the record (an addition, a new version, a deletion) through the ordinary write path,
 * so the GP practice is told as for any change, and a Provenance that ties it to the Task and the agent.
 *
 * The correction's writes use ids derived from the Task and skip what is already there, and the Task is
 * marked as being applied (a version of its own) before them: a step cut off half way is finished by
 * completing again, and nothing else can slip in between.
 */
export class ResolutionWorkflow {
    service;
    now;
    constructor(service, now = () => new Date()) {
        this.service = service;
        this.now = now;
    }
    async transition(id, step) {
        let stored = await this.service.read('Task', id);
        let task = stored.resource;
        if (!isResolutionTask(task))
            fail('transition-not-allowed', `Task/${id} is not a correction or an anomaly`, ['Task.code']);
        if (step.ifMatch !== undefined && step.ifMatch !== stored.versionId)
            fail('precondition-failed', `Version ${step.ifMatch} is not the current version of Task/${id}`);
        const allowed = TRANSITIONS[task.status] ?? [];
        if (!allowed.includes(step.status))
            fail('transition-not-allowed', `Task/${id} is ${task.status}: it may move to ${allowed.join(', ') || 'nothing more, it has ended'}`, ['status']);
        const applying = task.businessStatus?.text === APPLYING;
        if (applying && step.status !== 'completed')
            fail('transition-not-allowed', `Task/${id} is being applied: it may only be completed`, ['status']);
        if (NEEDS_REASON.includes(step.status) && !step.reason?.trim())
            fail('invalid-request', `To move a Task to ${step.status}, give the reason`, ['reason']);
        let output = [];
        if (step.status === 'completed' && isCorrection(task)) {
            if (!applying) {
                stored = await this.write(task, { ...task, businessStatus: { text: APPLYING } }, stored.versionId);
                task = stored.resource;
            }
            output = await this.apply(task, step);
        }
        const { businessStatus: _b, ...rest } = task;
        const at = this.now().toISOString();
        const next = {
            ...rest,
            status: step.status,
            lastModified: at,
            ...(step.reason ? { statusReason: { text: step.reason } } : {}),
            ...(output.length > 0 ? { output } : {}),
            note: [
                ...(task.note ?? []),
                {
                    authorString: step.agent ?? step.access.clientName,
                    time: at,
                    text: `${step.status}${step.reason ? `: ${step.reason}` : ''}`,
                },
            ],
        };
        return this.write(task, next, stored.versionId);
    }
    async write(task, next, version) {
        const result = await this.service.update('Task', task.id, next, version, { byServer: true });
        return result.stored;
    }
    /** Writes what a correction asks for, once however often it is called; answers the Task's outputs. */
    async apply(task, step) {
        const kind = correctionOf(task);
        const recordId = kind === 'add-vaccination' ? derivedId(task, 'added') : task.focus.reference.split('/')[1];
        let written;
        if (kind === 'delete-vaccination') {
            const result = await this.service.delete('Immunization', recordId);
            written = result.stored ?? (await this.service.readIfExists('Immunization', recordId));
        }
        else {
            const { id: _id, ...proposed } = proposedRecord(task);
            const current = await this.service.readIfExists('Immunization', recordId);
            if (kind === 'amend-vaccination' && (!current || current.deleted))
                fail('transition-not-allowed', `Immunization/${recordId} was deleted since the Task was opened`);
            const body = { ...proposed, id: recordId };
            written =
                current?.resource && isDeepStrictEqual(without(current.resource), without(body))
                    ? current
                    : (await this.service.update('Immunization', recordId, body)).stored;
        }
        const target = `Immunization/${recordId}/_history/${written.versionId}`;
        const provenance = {
            resourceType: 'Provenance',
            id: derivedId(task, 'provenance'),
            target: [{ reference: target }],
            recorded: this.now().toISOString(),
            activity: {
                coding: [
                    {
                        system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
                        code: {
                            'add-vaccination': 'CREATE',
                            'amend-vaccination': 'UPDATE',
                            'delete-vaccination': 'DELETE',
                        }[kind],
                    },
                ],
            },
            reason: [{ text: task.reasonCode.text }],
            agent: [
                {
                    type: {
                        coding: [
                            { system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' },
                        ],
                    },
                    who: {
                        identifier: { system: CLIENT_ID_SYSTEM, value: step.access.clientId },
                        display: step.agent ?? step.access.clientName,
                    },
                },
            ],
            entity: [{ role: 'source', what: { reference: `Task/${task.id}` } }],
        };
        const existing = await this.service.readIfExists('Provenance', provenance.id);
        if (!existing?.resource)
            await this.service.update('Provenance', provenance.id, provenance);
        return [
            typedInput(RESOLUTION_INPUTS.result, { valueReference: { reference: target } }),
            typedInput(RESOLUTION_INPUTS.result, { valueReference: { reference: `Provenance/${provenance.id}` } }),
        ];
    }
}
//# sourceMappingURL=workflow.js.map