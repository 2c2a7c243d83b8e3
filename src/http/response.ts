import type { Request, Response } from 'express';
import type { Resource } from 'fhir/r4';
import { etag, versionUrl } from '../fhir/bundles.js';
import { ERRORS, FhirError, informational, operationOutcome } from '../fhir/errors.js';
import type { InteractionResult } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { isUnavailable } from '../store/mongo-errors.js';
import { preferences } from './request.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function send(request: Request, response: Response, status: number, body?: Resource): void {
  response.status(status);
  if (body === undefined) {
    response.end();
    return;
  }
  const pretty = /[?&]_pretty=true(&|$)/.test(request.originalUrl);
  const text = JSON.stringify(body, null, pretty ? 2 : undefined);
  response.setHeader('Content-Type', FHIR_JSON);
  response.setHeader('Content-Length', Buffer.byteLength(text));
  // the text as it is: Express's send would look the type up again, copy the text into a Buffer and
  // check freshness, which the service has done (a sixth of a bare Express answer's cost). Node leaves
  // the body out for HEAD
  response.end(text);
}

/** Writes an interaction's result: status, version headers, and the body `Prefer: return=` asks for. */
export function sendResult(
  request: Request,
  response: Response,
  result: InteractionResult,
  baseUrl: string,
): void {
  const { stored } = result;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
  if (stored && stored.versionId > 0) {
    response.setHeader('ETag', etag(stored.versionId));
    response.setHeader('Last-Modified', new Date(stored.lastUpdated).toUTCString());
    if (result.status === 201 || ['POST', 'PUT', 'PATCH'].includes(request.method)) {
      response.setHeader('Location', versionUrl(baseUrl, stored));
    }
  }
  if (result.status === 304) return send(request, response, 304);
  if (result.body) return send(request, response, result.status, result.body);
  const isWrite = ['POST', 'PUT', 'PATCH'].includes(request.method);
  const prefer = preferences(request).return;
  if (isWrite && prefer === 'minimal') return send(request, response, result.status);
  if (isWrite && prefer === 'OperationOutcome') {
    return send(
      request,
      response,
      result.status,
      informational(`${stored?.type}/${stored?.id} stored as version ${stored?.versionId}`),
    );
  }
  send(request, response, result.status, stored?.resource);
}

interface HttpError {
  type?: string;
  status?: number;
}

/** Turns any failure into an OperationOutcome; nothing internal (stack, driver message) reaches the client. */
export function sendError(request: Request, response: Response, error: unknown): void {
  if (error instanceof FhirError) {
    for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
    return send(request, response, error.status, operationOutcome(error.problems));
  }
  const httpError = error as HttpError;
  if (httpError.type === 'entity.too.large') {
    return send(
      request,
      response,
      413,
      operationOutcome([{ code: 'too-large', diagnostics: 'The request body is too large' }]),
    );
  }
  if (
    httpError.type === 'entity.parse.failed' ||
    httpError.type === 'encoding.unsupported' ||
    httpError.type === 'request.aborted'
  ) {
    return send(
      request,
      response,
      400,
      operationOutcome([{ code: 'invalid-request', diagnostics: 'The request body could not be read' }]),
    );
  }
  if (isUnavailable(error)) {
    logger.warn('database unavailable', { error: (error as Error).name });
    response.setHeader('Retry-After', '5');
    return send(
      request,
      response,
      ERRORS['database-unavailable'].status,
      operationOutcome([
        { code: 'database-unavailable', diagnostics: 'The database is not reachable; try again shortly' },
      ]),
    );
  }
  // the message may quote stored data, so only the error's name and where it happened are logged
  const stack = (error as Error).stack?.split('\n').slice(1, 6).join(' | ');
  const { code, codeName } = error as { code?: unknown; codeName?: unknown };
  logger.error('unexpected error', {
    error: (error as Error).name,
    ...(typeof code === 'number' ? { code } : {}),
    ...(typeof codeName === 'string' ? { codeName } : {}),
    stack,
    requestId: response.getHeader('X-Request-Id'),
  });
  send(
    request,
    response,
    500,
    operationOutcome([{ code: 'internal-error', diagnostics: 'The server failed to handle this request' }]),
  );
}
