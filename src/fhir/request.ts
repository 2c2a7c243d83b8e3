import type { Readable } from 'node:stream';
import type { RequestContext, SearchParams } from './service.js';

/** A FHIR request independent of its transport (HTTP, or an entry of a batch or transaction). */
export interface FhirRequest {
  method: string;
  /** The path below the FHIR base, without leading slash: `Patient/1/_history/2`. */
  path: string;
  params: SearchParams;
  body?: unknown;
  ifMatch?: number;
  ifNoneExist?: string;
  /** The id a create must use: a transaction gives ids up front so its entries can refer to each other. */
  assignedId?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  /** An NDJSON or CSV body, unread: operations that load data stream it line by line. */
  stream?: { body: Readable; format: 'ndjson' | 'csv' };
  /** Prefer: respond-async: the client takes a 202 and polls (Bulk Data). */
  respondAsync?: boolean;
  context: RequestContext;
}
