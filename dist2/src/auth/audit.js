import { NIMS_BASE } from '../resources/extensions.js';
import { referenceKey } from '../search/index-values.js';
import { findParameter, parameterNodes } from '../search/parameters.js';
import { logger } from '../shared/logger.js';
export const CLIENT_ID_SYSTEM = `${NIMS_BASE}/client-id`;
/** The resources and people a set of resources stands for, for an audit entry. */
export function touched(resources) {
    const references = new Set();
    const patients = new Set();
    for (const resource of resources) {
        const ref = `${resource.resourceType}/${resource.id}`;
        references.add(ref);
        if (resource.resourceType === 'Patient')
            patients.add(ref);
        const param = findParameter(resource.resourceType, 'patient');
        if (!param || resource.resourceType === 'AuditEvent')
            continue;
        for (const node of parameterNodes(resource, param)) {
            const reference = node.reference;
            if (typeof reference !== 'string')
                continue;
            const key = referenceKey(reference);
            if (key.startsWith('Patient/'))
                patients.add(key);
        }
    }
    return { references: [...references], patients: [...patients] };
}
function outcomeOf(status) {
    if (status < 400)
        return '0';
    return status < 500 ? '4' : '8';
}
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
/** The FHIR AuditEvent of an entry. */
export function auditEvent(entry, recorded) {
    const patients = new Set(entry.patients);
    const entities = [
        ...entry.references
            .filter((r) => !patients.has(r))
            .map((reference) => ({
            what: { reference },
            type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
            role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
        })),
        ...entry.patients.map((reference) => ({
            what: { reference },
            type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
            role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
        })),
        ...(entry.query
            ? [
                {
                    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
                    role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
                    query: Buffer.from(entry.query).toString('base64'),
                },
            ]
            : []),
    ];
    return {
        resourceType: 'AuditEvent',
        type: {
            system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
            code: 'rest',
            display: 'RESTful Operation',
        },
        subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: entry.interaction }],
        action: entry.action,
        recorded: recorded.toISOString(),
        outcome: outcomeOf(entry.status),
        ...(entry.failure ? { outcomeDesc: `${entry.status} ${entry.failure}` } : {}),
        agent: [
            {
                type: {
                    coding: [
                        {
                            system: 'http://dicom.nema.org/resources/ontology/DCM',
                            code: '110150',
                            display: 'Application',
                        },
                    ],
                },
                who: {
                    identifier: { system: CLIENT_ID_SYSTEM, value: entry.access.clientId },
                    display: entry.access.clientName,
                },
                altId: entry.access.clientId,
                requestor: true,
                ...(entry.address ? { network: { address: entry.address, type: '2' } } : {}),
            },
        ],
        source: {
            site: 'nims',
            observer: { display: 'nims FHIR server' },
            type: [
                {
                    system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
                    code: '4',
                    display: 'Application Server',
                },
            ],
        },
        ...(entities.length > 0 ? { entity: entities } : {}),
    };
}
const DEFAULTS = { flushMs: 200, batchSize: 500, highWater: 20_000 };
/**
 * The audit trail: entries are queued and written in batches as AuditEvent resources, so a request does
 * not wait for its own audit write. A failed write keeps its batch for the next attempt; close() writes
 * everything still queued, so a clean shutdown loses nothing.
 */
export class AuditLog {
    repository;
    queue = [];
    timer;
    writing;
    /** After close() nothing is scheduled any more: a queue that could not be written is given up. */
    closed = false;
    options;
    constructor(repository, options = {}) {
        this.repository = repository;
        this.options = { ...DEFAULTS, ...options };
    }
    /** Queues an entry; resolves at once unless the queue is over its high-water mark. */
    record(entry) {
        return this.recordEvent(auditEvent(entry, new Date()));
    }
    /** Queues an AuditEvent made elsewhere (a step of the preference service); as `record`. */
    async recordEvent(event) {
        this.queue.push(event);
        if (this.queue.length >= this.options.batchSize)
            void this.flush();
        else
            this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
        if (this.queue.length >= this.options.highWater)
            await this.flush();
    }
    /** Writes what is queued now, one batch at a time; resolves once written or failed (then kept). */
    flush() {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.writing ??= this.drain().finally(() => {
            this.writing = undefined;
            if (this.queue.length > 0 && !this.closed)
                this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
        });
        return this.writing;
    }
    async drain() {
        while (this.queue.length > 0) {
            const batch = this.queue.slice(0, this.options.batchSize);
            try {
                await this.repository.insertNew('AuditEvent', batch);
            }
            catch (error) {
                logger.error('audit write failed; the events stay queued', {
                    error: error instanceof Error ? error.message : String(error),
                    queued: this.queue.length,
                });
                return;
            }
            this.queue = this.queue.slice(batch.length);
        }
    }
    /** Writes everything still queued (retrying while the database recovers), then stops. */
    async close(deadlineMs = 30_000) {
        const deadline = Date.now() + deadlineMs;
        while (this.queue.length > 0 && Date.now() < deadline) {
            await this.flush();
            if (this.queue.length > 0)
                await new Promise((resolve) => setTimeout(resolve, 500));
        }
        this.closed = true;
        await this.writing;
        clearTimeout(this.timer);
        this.timer = undefined;
        if (this.queue.length > 0)
            logger.error('audit events could not be written', { lost: this.queue.length });
    }
    get pending() {
        return this.queue.length;
    }
}
//# sourceMappingURL=audit.js.map