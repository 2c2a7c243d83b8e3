import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { BundleProcessor } from '../fhir/transaction.js';
import { route } from '../fhir/router.js';
import type { FhirService, RequestContext } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { preferences, toFhirRequest } from './request.js';
import { sendError, sendResult } from './response.js';

export interface AppOptions {
  service: FhirService;
  bundles: BundleProcessor;
  maxBodyBytes: number;
  baseUrl?: string;
}

/** The route template of a FHIR path, for logs: ids are replaced, since they may identify a person. */
export function routeTemplate(path: string): string {
  const segments = path.split('/').filter(Boolean);
  return `/fhir/${segments
    .map((s, i) =>
      i === 0 || s.startsWith('_') || s.startsWith('$') || (i === 2 && s === '_history')
        ? s
        : i === 3
          ? ':vid'
          : ':id',
    )
    .join('/')}`.replace(/\/$/, '');
}

/** The logged route of a request URL: the FHIR route template, without the query (it may name people). */
function routeOf(url: string): string {
  const path = url.split('?')[0]!;
  return path === '/fhir' || path.startsWith('/fhir/') ? routeTemplate(path.slice(5)) : 'other';
}

const REQUEST_ID = /^[A-Za-z0-9\-_.]{1,64}$/;

export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((request: Request, response: Response, next: NextFunction) => {
    const given = request.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    response.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      logger.info('request', {
        method: request.method,
        route: routeOf(request.originalUrl),
        status: response.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        requestId,
      });
    });
    next();
  });

  app.use('/fhir', express.raw({ type: () => true, limit: options.maxBodyBytes }));
  app.use('/fhir', (request: Request, response: Response, next: NextFunction) => {
    const baseUrl = options.baseUrl ?? `${request.protocol}://${request.get('host') ?? 'localhost'}/fhir`;
    const context: RequestContext = { baseUrl, strict: preferences(request).strict };
    Promise.resolve()
      .then(async () => {
        const fhirRequest = toFhirRequest(request, context);
        const result = await route(fhirRequest, options.service, (bundle, ctx) =>
          options.bundles.process(bundle, ctx),
        );
        sendResult(request, response, result, baseUrl);
      })
      .catch(next);
  });
  app.use((request: Request, response: Response) => {
    response
      .status(404)
      .type('application/fhir+json')
      .send(
        JSON.stringify({
          resourceType: 'OperationOutcome',
          issue: [
            { severity: 'error', code: 'not-found', diagnostics: 'Not found; the FHIR API is under /fhir' },
          ],
        }),
      );
  });
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) =>
    sendError(request, response, error),
  );
  return app;
}
