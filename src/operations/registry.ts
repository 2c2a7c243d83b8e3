import type { SupplierUploads } from '../batch/uploads.js';
import type { PatientMerges } from '../register/merge.js';
import type { OperationDefinition, OperationDefinitionParameter } from 'fhir/r4';
import { NIMS_BASE } from '../resources/extensions.js';
import type { Permission } from '../auth/scopes.js';
import type { FhirRequest } from '../fhir/request.js';
import type { CohortKeeper } from '../cohort/keeper.js';
import type { GpDailyBatch } from '../messaging/daily.js';
import type { GpInbound } from '../messaging/inbound.js';
import type { CallRecallScheduler } from '../notifications/schedules.js';
import type { InvitationWorker } from '../notifications/worker.js';
import type { FhirService, InteractionResult } from '../fhir/service.js';
import type { Deliveries } from '../store/outbox.js';
import type { PreferenceService } from '../preferences/service.js';
import type { TokenService } from '../auth/tokens.js';
import type { AnomalyScanner } from '../resolution/anomaly-scan.js';
import type { ExportJobs } from '../export/jobs.js';

type OperationRequest = FhirRequest & { type?: string; id?: string };

/** The server's background parts operations use; each absent where it does not run (unit use). */
export interface Workers {
  /** Merges of register records of one person. */
  merges?: PatientMerges;
  /** Suppliers' vaccination event files. */
  uploads?: SupplierUploads;
  /** The population index behind cohorts. */
  cohorts?: CohortKeeper;
  /** Sends invitation runs. */
  invitations?: InvitationWorker;
  /** Starts scheduled call and recall runs. */
  callRecall?: CallRecallScheduler;
  /** Deliveries to other systems, for staff to follow. */
  outboxes?: Deliveries[];
  /** Vaccination messages GP systems send nims. */
  gpInbound?: GpInbound;
  /** The daily batches to practices that take their messages once a day. */
  gpDaily?: GpDailyBatch;
  /** The COVID-19 invitation preference journey (identity, one-time code, Consent). */
  preferences?: PreferenceService;
  /** Finds suspect vaccination records and opens Tasks for them. */
  anomalies?: AnomalyScanner;
  /** Bulk Data exports. */
  exports?: ExportJobs;
  /** Issues tokens (absent with AUTH=off). */
  tokens?: TokenService;
}

/** What operations work with: the FHIR interactions and the background workers. */
export interface OperationServices extends Workers {
  service: FhirService;
}

/** A custom operation: its definition (served in the CapabilityStatement), the scopes it needs, its handler. */
export interface Operation {
  definition: OperationDefinition & { code: string };
  /** The (type, permission) pairs a client needs to call it. */
  needs(request: OperationRequest): [string, Permission][];
  handle(request: OperationRequest, services: OperationServices): Promise<InteractionResult>;
}

const operations: Operation[] = [];

export function registerOperation(operation: Operation): void {
  operations.push(operation);
}

export function findOperation(
  code: string,
  level: 'system' | 'type' | 'instance',
  type?: string,
): Operation | undefined {
  return operations.find(
    (op) =>
      op.definition.code === code &&
      op.definition[level] &&
      (level === 'system' || !op.definition.resource || op.definition.resource.includes(type as never)),
  );
}

export function allOperations(): Operation[] {
  return [...operations];
}

/**
 * The definition of an operation on the whole server (`$code`), on resource types (`{type}/$code`) or on
 * one resource (`{type}/{id}/$code`), in nims's canonical space.
 */
export function operationDefinition(
  code: string,
  name: string,
  resource: string[],
  description: string,
  parameter: OperationDefinitionParameter[],
  level: 'system' | 'type' | 'instance' = 'type',
): Operation['definition'] {
  return {
    resourceType: 'OperationDefinition',
    url: `${NIMS_BASE}/OperationDefinition/${code}`,
    name,
    status: 'active',
    kind: 'operation',
    code,
    resource: resource as never[],
    system: level === 'system',
    type: level === 'type',
    instance: level === 'instance',
    affectsState: true,
    description,
    parameter,
  };
}
