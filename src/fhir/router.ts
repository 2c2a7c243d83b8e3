import type { Bundle, Resource } from 'fhir/r4';
import { findOperation } from '../operations/registry.js';
import { fail } from './errors.js';
import type { FhirRequest } from './request.js';
import type { FhirService, InteractionResult, RequestContext } from './service.js';
import { etag } from './bundles.js';
import { capabilityStatement } from './capability.js';

export type BundleHandler = (bundle: unknown, context: RequestContext) => Promise<Bundle<Resource>>;

const TYPE = /^[A-Z][A-Za-z]+$/;

function notAllowed(method: string, path: string): never {
  fail('method-not-allowed', `${method} is not supported on /${path}`);
}

function notModified(request: FhirRequest, version: number, lastUpdated: string): boolean {
  if (request.ifNoneMatch !== undefined)
    return request.ifNoneMatch.split(',').some((t) => t.trim() === etag(version) || t.trim() === '*');
  if (request.ifModifiedSince !== undefined) {
    const since = Date.parse(request.ifModifiedSince);
    // HTTP dates have whole seconds
    return !Number.isNaN(since) && Math.floor(Date.parse(lastUpdated) / 1000) * 1000 <= since;
  }
  return false;
}

/** Maps a request to its interaction. The single place that knows FHIR's URL grammar. */
export async function route(
  request: FhirRequest,
  service: FhirService,
  processBundle: BundleHandler,
): Promise<InteractionResult> {
  const { method, params, context } = request;
  const segments = request.path.split('/').filter((s) => s !== '');
  const [first, second, third, fourth] = segments;
  if (segments.length > 4) fail('unknown-route', `/${request.path} is not a FHIR URL`);

  if (first === undefined) {
    if (method === 'POST') return { status: 200, body: await processBundle(request.body, context) };
    notAllowed(method, request.path);
  }
  if (first === 'metadata') {
    if (method !== 'GET' || segments.length > 1) notAllowed(method, request.path);
    return { status: 200, body: capabilityStatement(context.baseUrl) };
  }
  if (first === '_history') {
    if (method !== 'GET' || segments.length > 1) notAllowed(method, request.path);
    return { status: 200, body: await service.history(params, context) };
  }
  if (first.startsWith('$')) return operation(request, service, first.slice(1), 'system');
  if (!TYPE.test(first)) fail('unknown-route', `/${request.path} is not a FHIR URL`);
  const type = first;

  if (second === undefined) {
    switch (method) {
      case 'GET':
        return { status: 200, body: await service.search(type, params, context) };
      case 'POST':
        return service.create(type, request.body, context, request.ifNoneExist);
      case 'PUT':
        if (params.length === 0)
          fail('invalid-request', `A conditional update of ${type} needs search criteria`);
        return service.conditionalUpdate(type, params, request.body, context, request.ifMatch);
      case 'DELETE':
        if (params.length === 0)
          fail('invalid-request', `A conditional delete of ${type} needs search criteria`);
        return service.conditionalDelete(type, params, context);
      default:
        notAllowed(method, request.path);
    }
  }
  if (second === '_search' && third === undefined) {
    if (method !== 'POST') notAllowed(method, request.path);
    return { status: 200, body: await service.search(type, params, context) };
  }
  if (second === '_history' && third === undefined) {
    if (method !== 'GET') notAllowed(method, request.path);
    return { status: 200, body: await service.history(params, context, type) };
  }
  if (second.startsWith('$')) {
    if (third !== undefined) fail('unknown-route', `/${request.path} is not a FHIR URL`);
    return operation(request, service, second.slice(1), 'type', type);
  }
  const id = second;

  if (third === undefined) {
    switch (method) {
      case 'GET': {
        const stored = await service.read(type, id);
        return notModified(request, stored.versionId, stored.lastUpdated)
          ? { status: 304, stored }
          : { status: 200, stored };
      }
      case 'PUT':
        return service.update(type, id, request.body, request.ifMatch);
      case 'PATCH':
        return service.patch(type, id, request.body, request.ifMatch);
      case 'DELETE':
        return service.delete(type, id, request.ifMatch);
      default:
        notAllowed(method, request.path);
    }
  }
  if (third === '_history') {
    if (method !== 'GET') notAllowed(method, request.path);
    if (fourth === undefined) return { status: 200, body: await service.history(params, context, type, id) };
    return { status: 200, stored: await service.vread(type, id, fourth) };
  }
  if (third.startsWith('$') && fourth === undefined)
    return operation(request, service, third.slice(1), 'instance', type, id);
  fail('unknown-route', `/${request.path} is not a FHIR URL`);
}

async function operation(
  request: FhirRequest,
  service: FhirService,
  code: string,
  level: 'system' | 'type' | 'instance',
  type?: string,
  id?: string,
): Promise<InteractionResult> {
  const op = findOperation(code, level, type);
  if (!op)
    fail(
      'unknown-route',
      `Operation $${code} is not supported at ${level} level${type ? ` on ${type}` : ''}`,
    );
  if (request.method !== 'POST' && !(request.method === 'GET' && op.definition.affectsState === false)) {
    notAllowed(request.method, request.path);
  }
  if (id !== undefined && type !== undefined) await service.read(type, id);
  return op.handle({ ...request, ...(type ? { type } : {}), ...(id ? { id } : {}) }, service);
}
