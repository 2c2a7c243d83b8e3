import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';
import type { OperationOutcome, Resource } from 'fhir/r4';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT, startServer, type RunningServer } from '../../src/server.js';

let running: Promise<RunningServer> | undefined;
let dataDir: string | undefined;

/** The real server on a real FerretDB, both on free ports; started once for the whole run. */
export function testServer(): Promise<RunningServer> {
  if (!running) {
    dataDir = mkdtempSync(join(tmpdir(), 'nims-test-'));
    const config = {
      ...loadConfig({}, PROJECT_ROOT),
      port: 0,
      host: '127.0.0.1',
      dataDir,
      dbName: 'nims_test',
    };
    running = startServer(config);
  }
  return running;
}

export async function stopTestServer(): Promise<void> {
  if (!running) return;
  const server = await running;
  running = undefined;
  await server.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

export async function client(): Promise<Client> {
  return new Client({ baseUrl: (await testServer()).url });
}

export async function baseUrl(): Promise<string> {
  return (await testServer()).url;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { resourceType?: string };
}

/** A plain HTTP call, for what a FHIR client library would not send (bad bodies, odd headers). */
export async function http(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = `${await baseUrl()}${path.startsWith('/') ? path : `/${path}`}`;
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/fhir+json';
  }
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as RawResponse['body']) : {},
  };
}

/** The error code (stable, from the server's catalogue) of an OperationOutcome. */
export function errorCode(outcome: unknown): string | undefined {
  return (outcome as OperationOutcome).issue?.[0]?.details?.coding?.[0]?.code;
}

export function ruleKeys(outcome: unknown): string[] {
  return ((outcome as OperationOutcome).issue ?? []).flatMap(
    (i) => i.details?.coding?.filter((c) => c.system?.endsWith('profile-rule')).map((c) => c.code!) ?? [],
  );
}

/** fhir-kit-client's own resource type, for bodies. */
export function asBody(resource: object): Record<string, unknown> & { resourceType: string } {
  return resource as Record<string, unknown> & { resourceType: string };
}

/** Creates a resource over HTTP and returns what the server stored. */
export async function create<T extends Resource>(resource: T): Promise<T & { id: string }> {
  const fhir = await client();
  return (await fhir.create({
    resourceType: resource.resourceType,
    body: asBody(resource),
  })) as unknown as T & { id: string };
}

/** The HTTP status of a failed fhir-kit-client call. */
export async function statusOf(call: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown } }).response;
    if (response) return response;
    throw error;
  }
  throw new Error('expected the call to fail');
}
