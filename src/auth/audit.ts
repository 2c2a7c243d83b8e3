import type { AuditEvent, AuditEventEntity, Resource } from 'fhir/r4';
import { NIMS_BASE } from '../resources/extensions.js';
import { referenceKey } from '../search/index-values.js';
import { findParameter, parameterNodes } from '../search/parameters.js';
import { logger } from '../shared/logger.js';
import type { Repository } from '../store/repository.js';
import type { Access } from './access.js';

export const CLIENT_ID_SYSTEM = `${NIMS_BASE}/client-id`;

/** One FHIR interaction as the audit trail records it. */
export interface AuditEntry {
  access: Access;
  /** The caller's IP address. */
  address?: string;
  /** http://hl7.org/fhir/restful-interaction code: read, search-type, create, operation, ... */
  interaction: string;
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  /** The request path and query below the FHIR base, for searches and operations. */
  query?: string;
  /** `Type/id` of every resource the interaction read or wrote. */
  references: string[];
  /** `Patient/id` of every person whose record it touched. */
  patients: string[];
  status: number;
  /** Why it failed, as the error code the client was given. */
  failure?: string;
}

/** The resources and people a set of resources stands for, for an audit entry. */
export function touched(resources: Resource[]): Pick<AuditEntry, 'references' | 'patients'> {
  const references = new Set<string>();
  const patients = new Set<string>();
  for (const resource of resources) {
    const ref = `${resource.resourceType}/${resource.id}`;
    references.add(ref);
    if (resource.resourceType === 'Patient') patients.add(ref);
    const param = findParameter(resource.resourceType, 'patient');
    if (!param || resource.resourceType === 'AuditEvent') continue;
    for (const node of parameterNodes(resource, param)) {
      const reference = (node as { reference?: unknown }).reference;
      if (typeof reference !== 'string') continue;
      const key = referenceKey(reference);
      if (key.startsWith('Patient/')) patients.add(key);
    }
  }
  return { references: [...references], patients: [...patients] };
}

function outcomeOf(status: number): AuditEvent['outcome'] {
  if (status < 400) return '0';
  return status < 500 ? '4' : '8';
}

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

/** The FHIR AuditEvent of an entry. */
export function auditEvent(entry: AuditEntry, recorded: Date): AuditEvent {
  const patients = new Set(entry.patients);
  const entities: AuditEventEntity[] = [
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
        ...(entry.address ? { network: { address: entry.address, type: '2' as const } } : {}),
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

export interface AuditOptions {
  /** How long an entry may wait before it is written. */
  flushMs: number;
  /** Most events written in one go. */
  batchSize: number;
  /** With this many entries waiting, requests wait for the trail to catch up instead of running ahead. */
  highWater: number;
}

const DEFAULTS: AuditOptions = { flushMs: 200, batchSize: 500, highWater: 20_000 };

/**
 * The audit trail: entries are queued and written in batches as AuditEvent resources, so a request does
 * not wait for its own audit write. A failed write keeps its batch for the next attempt; close() writes
 * everything still queued, so a clean shutdown loses nothing.
 */
export class AuditLog {
  private queue: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** After close() nothing is scheduled any more: a queue that could not be written is given up. */
  private closed = false;
  private readonly options: AuditOptions;

  constructor(
    private readonly repository: Repository,
    options: Partial<AuditOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Queues an entry; resolves at once unless the queue is over its high-water mark. */
  record(entry: AuditEntry): Promise<void> {
    return this.recordEvent(auditEvent(entry, new Date()));
  }

  /** Queues an AuditEvent made elsewhere (a step of the preference service); as `record`. */
  async recordEvent(event: AuditEvent): Promise<void> {
    this.queue.push(event);
    if (this.queue.length >= this.options.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
    if (this.queue.length >= this.options.highWater) await this.flush();
  }

  /** Writes what is queued now, one batch at a time; resolves once written or failed (then kept). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && !this.closed)
        this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
    });
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.batchSize);
      try {
        await this.repository.insertNew('AuditEvent', batch);
      } catch (error) {
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
  async close(deadlineMs = 30_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    this.closed = true;
    await this.writing;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length > 0) logger.error('audit events could not be written', { lost: this.queue.length });
  }

  get pending(): number {
    return this.queue.length;
  }
}
