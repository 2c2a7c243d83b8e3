import type { OperationDefinition } from 'fhir/r4';
import type { FhirRequest } from '../fhir/request.js';
import type { FhirService, InteractionResult } from '../fhir/service.js';

/** A custom operation: its definition (served in the CapabilityStatement) and its handler. */
export interface Operation {
  definition: OperationDefinition & { code: string };
  handle(
    request: FhirRequest & { type?: string; id?: string },
    service: FhirService,
  ): Promise<InteractionResult>;
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
