import { randomUUID } from 'node:crypto';
import { CLIENT_ID_SYSTEM } from '../auth/audit.js';
import { fail } from '../fhir/errors.js';
import { TASK_TYPE_SYSTEM } from '../notifications/runs.js';
import { currentChoice } from '../preferences/consent.js';
import { DATA_RESOLUTION_TEAM } from '../resolution/anomaly-scan.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
/** The types whose resources name a person (their `patient` parameter): what a merge moves. */
export const PERSON_RECORD_TYPES = [
    'Immunization',
    'Observation',
    'Communication',
    'Consent',
    'Task',
    'Appointment',
];
/** ISO 21089 record lifecycle events: what a merge and an undone merge are. */
const LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';
/** The Task nims opens when a merge brings together what it must not choose between. */
export const MERGE_CONFLICT = 'merge-conflict';
/** Every reference to `from` in a resource, made a reference to `to` (contained resources too). */
function repointed(value, from, to) {
    return JSON.parse(JSON.stringify(value).replaceAll(JSON.stringify(from), JSON.stringify(to)));
}
const without = (items, unwanted) => {
    const kept = (items ?? []).filter((i) => !unwanted(i));
    return kept.length > 0 ? kept : undefined;
};
const linkTo = (link, id) => link.other.reference === `Patient/${id}`;
/**
 * Merges two register records of one person (an NHS number superseded by another, or a duplicate): the
 * surviving record (target) keeps both NHS numbers, the other marked `old`, and a `replaces` link; the
 * retired record (source) becomes inactive with a `replaced-by` link, so it leaves every cohort. Every
 * record that named the retired one (vaccinations, reactions, messages, preferences, Tasks,
 * appointments) gets a new version naming the surviving one, so history keeps what was before and GP
 * practices are told through the usual messages; cohort memberships and pending outbox entries follow.
 * A Provenance lists every version the merge wrote: undoing the merge reads it. What nims must not
 * choose between (two current COVID-19 invitation preferences that disagree) becomes a Task for the
 * data-quality team; duplicate vaccinations are found by the anomaly rules, run on the merged record.
 */
export class PatientMerges {
    service;
    members;
    repointOutboxes;
    scanAnomalies;
    now;
    constructor(service, members, 
    /** Pending outbox entries naming one reference name another. */
    repointOutboxes, scanAnomalies, now = () => new Date()) {
        this.service = service;
        this.members = members;
        this.repointOutboxes = repointOutboxes;
        this.scanAnomalies = scanAnomalies;
        this.now = now;
    }
    async merge(sourceId, targetId, access, reason) {
        if (sourceId === targetId)
            fail('invalid-request', 'A record cannot be merged into itself', ['target-patient']);
        const [source, target] = (await Promise.all([
            this.service.read('Patient', sourceId),
            this.service.read('Patient', targetId),
        ]));
        if (source.resource.active === false ||
            (source.resource.link ?? []).some((l) => l.type === 'replaced-by'))
            fail('invalid-request', `Patient/${sourceId} was merged into another record already`, [
                'source-patient',
            ]);
        if (target.resource.active === false)
            fail('invalid-request', `Patient/${targetId} is not an active record`, ['target-patient']);
        // the records move first: a merge cut off part way is finished by asking for it again
        const movedVersions = [];
        const moved = [];
        for (const type of PERSON_RECORD_TYPES) {
            for (const resource of await this.service.ofPatient(type, sourceId)) {
                const result = await this.service.update(type, resource.id, repointed(resource, `Patient/${sourceId}`, `Patient/${targetId}`), undefined, { byServer: true });
                moved.push(`${type}/${resource.id}`);
                movedVersions.push(versionOf(result.stored));
            }
        }
        const oldNumbers = (source.resource.identifier ?? [])
            .filter((i) => i.system === NHS_NUMBER_SYSTEM)
            .filter((i) => !(target.resource.identifier ?? []).some((t) => t.system === i.system && t.value === i.value))
            .map((i) => ({ ...i, use: 'old' }));
        const survivor = await this.service.update('Patient', targetId, {
            ...target.resource,
            identifier: [...(target.resource.identifier ?? []), ...oldNumbers],
            link: [
                ...(target.resource.link ?? []),
                { other: { reference: `Patient/${sourceId}` }, type: 'replaces' },
            ],
        }, target.versionId);
        const retired = await this.service.update('Patient', sourceId, {
            ...source.resource,
            active: false,
            link: [
                ...(source.resource.link ?? []),
                { other: { reference: `Patient/${targetId}` }, type: 'replaced-by' },
            ],
        }, source.versionId);
        await this.members.repoint(sourceId, targetId);
        await this.repointOutboxes(`Patient/${sourceId}`, `Patient/${targetId}`);
        const written = [versionOf(survivor.stored), versionOf(retired.stored), ...movedVersions];
        const provenance = await this.record('merge', written, access, reason, [
            { role: 'source', what: { reference: `Patient/${sourceId}/_history/${source.versionId}` } },
            { role: 'source', what: { reference: `Patient/${targetId}/_history/${target.versionId}` } },
        ]);
        const conflicts = await this.conflictsOf(survivor.stored.resource, provenance);
        // duplicate vaccinations (one programme, one day) and other anomalies the merge made are found so
        await this.scanAnomalies(targetId);
        return {
            target: survivor.stored.resource,
            source: retired.stored.resource,
            provenance,
            moved,
            conflicts,
        };
    }
    /**
     * Undoes a merge from its Provenance: what it moved names the retired record again (a new version, so
     * history keeps both), the retired record is active again without its link, and the surviving record
     * loses the old NHS number and its link. Records made for the surviving record after the merge stay.
     */
    async unmerge(provenanceId, access, reason) {
        const merge = (await this.service.read('Provenance', provenanceId)).resource;
        const isMerge = (merge.activity?.coding ?? []).some((c) => c.system === LIFECYCLE && c.code === 'merge');
        if (!isMerge)
            fail('invalid-request', `Provenance/${provenanceId} is not the record of a merge`, ['merge']);
        const [targetRef, sourceRef] = merge.target.map((t) => t.reference.split('/_history/')[0]);
        const [sourceId, targetId] = [sourceRef.slice('Patient/'.length), targetRef.slice('Patient/'.length)];
        const source = (await this.service.read('Patient', sourceId)).resource;
        const target = (await this.service.read('Patient', targetId)).resource;
        if (!(source.link ?? []).some((l) => l.type === 'replaced-by' && linkTo(l, targetId)))
            fail('invalid-request', 'This merge was undone already', ['merge']);
        const written = [];
        const sourceNumbers = new Set((source.identifier ?? []).map((i) => `${i.system}|${i.value}`));
        const restoredTarget = await this.service.update('Patient', targetId, {
            ...target,
            identifier: without(target.identifier, (i) => i.use === 'old' && sourceNumbers.has(`${i.system}|${i.value}`)),
            link: without(target.link, (l) => l.type === 'replaces' && linkTo(l, sourceId)),
        });
        written.push(versionOf(restoredTarget.stored));
        const { active: _active, ...rest } = source;
        const restoredSource = await this.service.update('Patient', sourceId, {
            ...rest,
            link: without(source.link, (l) => l.type === 'replaced-by' && linkTo(l, targetId)),
        });
        written.push(versionOf(restoredSource.stored));
        const moved = [];
        for (const reference of merge.target.slice(2).map((t) => t.reference.split('/_history/')[0])) {
            const [type, id] = reference.split('/');
            const current = await this.service.readIfExists(type, id);
            if (!current?.resource)
                continue;
            const result = await this.service.update(type, id, repointed(current.resource, `Patient/${targetId}`, `Patient/${sourceId}`), current.versionId, { byServer: true });
            moved.push(reference);
            written.push(versionOf(result.stored));
        }
        await this.members.repoint(targetId, sourceId);
        const provenance = await this.record('unmerge', written, access, reason, [
            { role: 'revision', what: { reference: `Provenance/${provenanceId}` } },
        ]);
        return {
            target: restoredTarget.stored.resource,
            source: restoredSource.stored.resource,
            provenance,
            moved,
            conflicts: [],
        };
    }
    /** Two current invitation preferences of the merged person that disagree: a Task, never a choice. */
    async conflictsOf(patient, provenance) {
        const consents = await this.service.ofPatient('Consent', patient.id);
        const current = currentChoice(consents);
        const disagreeing = consents.filter((c) => c.status === 'active' &&
            current &&
            c.provision?.type !== current.provision?.type &&
            c.id !== current.id);
        if (!current || disagreeing.length === 0)
            return [];
        const task = {
            resourceType: 'Task',
            status: 'requested',
            intent: 'proposal',
            priority: 'routine',
            code: { coding: [{ system: TASK_TYPE_SYSTEM, code: MERGE_CONFLICT }] },
            description: 'The merged records held COVID-19 invitation preferences that disagree: confirm with the person which one stands',
            for: { reference: `Patient/${patient.id}` },
            focus: { reference: `Consent/${current.id}` },
            owner: DATA_RESOLUTION_TEAM,
            authoredOn: this.now().toISOString(),
            input: [current, ...disagreeing].map((c) => ({
                type: { text: 'preference' },
                valueReference: { reference: `Consent/${c.id}` },
            })),
            relevantHistory: [{ reference: `Provenance/${provenance.id}` }],
        };
        const created = await this.service.createWithId('Task', task, randomUUID(), { byServer: true });
        return [`Task/${created.stored.id}`];
    }
    async record(activity, written, access, reason, entity) {
        const agent = {
            type: {
                coding: [
                    { system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' },
                ],
            },
            who: { identifier: { system: CLIENT_ID_SYSTEM, value: access.clientId }, display: access.clientName },
        };
        const provenance = {
            resourceType: 'Provenance',
            // the surviving record first, then the retired one, then what moved: unmerge reads them so
            target: written.map((reference) => ({ reference })),
            recorded: this.now().toISOString(),
            activity: { coding: [{ system: LIFECYCLE, code: activity }] },
            ...(reason ? { reason: [{ text: reason }] } : {}),
            agent: [agent],
            ...(entity ? { entity } : {}),
        };
        return (await this.service.createWithId('Provenance', provenance, randomUUID())).stored
            .resource;
    }
}
function versionOf(stored) {
    return `${stored.type}/${stored.id}/_history/${stored.versionId}`;
}
//# sourceMappingURL=merge.js.map