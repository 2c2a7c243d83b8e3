import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { ANONYMOUS, type Access } from '../auth/access.js';
import type { AuditLog } from '../auth/audit.js';
import type { TokenService } from '../auth/tokens.js';
import type { BundleProcessor } from '../fhir/transaction.js';
import { route } from '../fhir/router.js';
import { addBatchUploadRoutes } from './batch-upload.js';
import { addBulkExportRoutes } from './bulk-export.js';
import type { FhirService, InteractionResult, RequestContext } from '../fhir/service.js';
import { logger } from '../shared/logger.js';
import { httpDuration, httpRequests } from '../shared/metrics.js';
// the operations register themselves on import: the routes below serve them
import '../operations/index.js';
import { allOperations } from '../operations/registry.js';
import { RESOURCE_TYPES } from '../resources/registry.js';
import { addOperatorRoutes } from './operator.js';
import { fingerprintOf, IdempotentRequests } from './idempotency.js';
import { fail } from '../fhir/errors.js';
import { pageRoutes } from '../web/pages.js';
import { authenticate, authRoutes, fhirBaseOf, smartConfiguration } from './auth.js';
import type { Workers } from '../operations/registry.js';
import { callbackRoutes } from './callbacks.js';
import { limitPerAddress, limitPerClient } from './limits.js';
import { streamFormat, preferences, toFhirRequest } from './request.js';
import { sendError, sendResult } from './response.js';

export interface AppOptions {
  service: FhirService;
  bundles: BundleProcessor;
  /** What operations work with besides the service. */
  workers: Workers;
  /** The bearer token GOV.UK Notify sends with delivery receipts; absent: no receipts are taken. */
  notifyCallbackToken?: string;
  /** Absent only when authentication is switched off (AUTH=off). */
  tokens?: TokenService;
  /** Absent only when the audit trail is switched off (AUDIT=off). */
  audit?: AuditLog;
  maxBodyBytes: number;
  baseUrl?: string;
  /** Requests a minute allowed per IP address and per client. */
  rateLimits: { perAddress: number; perClient: number };
  /** Browser origins allowed to call the API; none means no CORS headers at all. */
  corsOrigins: string[];
  /** Writes done once per client key (`Idempotency-Key`, `X-Request-ID`); absent: keys are not kept. */
  idempotency?: IdempotentRequests;
  /** The COVID-19 invitation preference pages (`/preferences`). */
  preferencePages?: express.Router;
  /** Whether the database answers, for the readiness check. */
  ping(): Promise<void>;
  /** Why the server should not take traffic yet (or any more); undefined when it should. */
  notReady(): string | undefined;
  /** The bearer token `/metrics` asks for; absent: served only to callers on this machine. */
  metricsToken?: string;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For to believe for the caller's address. */
  trustProxy: string | boolean;
}

/** Paths outside the FHIR API that are worth a route of their own in logs and metrics. */
const OTHER_ROUTES = new Set([
  '/metrics',
  '/healthz',
  '/readyz',
  '/auth/token',
  '/auth/jwks.json',
  '/dashboard',
  '/statistics',
  '/preferences',
  '/preferences/details',
  '/preferences/send-code',
  '/preferences/code',
  '/preferences/choice',
  '/preferences/done',
  '/preferences/helpline/sign-in',
]);

/** Words a FHIR path may hold that name no one: interactions and the server's own paths. */
const PATH_WORDS = new Set(['metadata', '_history', '_search', '.well-known', 'smart-configuration']);

/** Whether a path segment is a word nims knows (a type, an operation): anything else a caller made up. */
function known(segment: string): boolean {
  return (
    PATH_WORDS.has(segment) ||
    RESOURCE_TYPES.includes(segment) ||
    allOperations().some((op) => `$${op.definition.code}` === segment)
  );
}

/**
 * The route template of a FHIR path, for logs and metrics: ids are replaced, since they may identify a
 * person, and so is any word nims does not know, so that callers cannot make up new routes without end.
 */
export function routeTemplate(path: string): string {
  const segments = path.split('/').filter(Boolean);
  return `/fhir/${segments
    .map((s, i) =>
      i === 0 || s.startsWith('_') || s.startsWith('$')
        ? known(s)
          ? s
          : ':unknown'
        : i === 2 && s === '_history'
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
  if (path === '/fhir' || path.startsWith('/fhir/')) return routeTemplate(path.slice(5));
  return OTHER_ROUTES.has(path) ? path : 'other';
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const REQUEST_ID = /^[A-Za-z0-9\-_.]{1,64}$/;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The key that makes a write happen once: `Idempotency-Key`, else the client's own `X-Request-ID`.
 * An Idempotency-Key that is not a safe token is refused; a bad X-Request-ID is only not used.
 */
function idempotencyKeyOf(request: Request): string | undefined {
  if (!UNSAFE_METHODS.has(request.method)) return undefined;
  const key = request.headers['idempotency-key'];
  if (key !== undefined) {
    if (typeof key !== 'string' || !REQUEST_ID.test(key))
      fail(
        'invalid-request',
        'Idempotency-Key must be 1 to 64 letters, digits, dots, hyphens or underscores',
      );
    return key;
  }
  const requestId = request.headers['x-request-id'];
  return typeof requestId === 'string' && REQUEST_ID.test(requestId) ? requestId : undefined;
}

export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy);

  app.use((request: Request, response: Response, next: NextFunction) => {
    const given = request.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    response.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const route = routeOf(request.originalUrl);
      // methods beyond the ones HTTP names are not labels: a caller could make up any number of them
      const method = HTTP_METHODS.has(request.method) ? request.method : 'other';
      // winston formats every line before its level is looked at: asked first, a quiet log costs nothing
      if (logger.isInfoEnabled())
        logger.info('request', { method, route, status: response.statusCode, durationMs, requestId });
      httpRequests.inc({ method, route, status: response.statusCode });
      httpDuration.observe({ method, route }, durationMs / 1000);
    });
    next();
  });

  app.use(helmet());
  if (options.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: options.corsOrigins,
        allowedHeaders: [
          'Authorization',
          'Content-Type',
          'Accept',
          'If-Match',
          'If-None-Match',
          'If-None-Exist',
          'If-Modified-Since',
          'Prefer',
          'X-Request-Id',
          'Idempotency-Key',
        ],
        exposedHeaders: [
          'ETag',
          'Location',
          'Last-Modified',
          'X-Request-Id',
          'Retry-After',
          'Idempotent-Replayed',
        ],
        maxAge: 600,
      }),
    );
  }
  // routes added where they are, not as routers of their own: each router on the way costs every request
  addOperatorRoutes(app, options);
  app.use(limitPerAddress(options.rateLimits.perAddress));
  // the FHIR API comes before the pages and other routes, so that its requests do not pass them all
  const fhir = express.Router();
  const baseOf = (request: Request) => fhirBaseOf(request, options.baseUrl);
  fhir.get('/.well-known/smart-configuration', (request, response) => {
    response.json(smartConfiguration(baseOf(request)));
  });
  fhir.use(authenticate(options.tokens), limitPerClient(options.rateLimits.perClient));
  fhir.use(
    express.raw({
      type: (request) => streamFormat(request as Request) === undefined,
      limit: options.maxBodyBytes,
    }),
  );
  if (options.workers.exports) addBulkExportRoutes(fhir, options.workers.exports, options.audit, baseOf);
  if (options.workers.uploads) addBatchUploadRoutes(fhir, options.workers.uploads, options.audit, baseOf);
  fhir.use((request: Request, response: Response, next: NextFunction) => {
    const baseUrl = baseOf(request);
    const context: RequestContext = {
      baseUrl,
      strict: preferences(request).strict,
      // metadata needs no token: it runs with no permissions at all
      access: (response.locals.access as Access | undefined) ?? ANONYMOUS,
      ...(request.ip ? { address: request.ip } : {}),
    };
    Promise.resolve()
      .then(async () => {
        const fhirRequest = toFhirRequest(request, context);
        // with a key, the interaction runs once; a repeat gets the first answer (and is audited)
        const key = fhirRequest.stream ? undefined : idempotencyKeyOf(request);
        const idempotency = key ? options.idempotency : undefined;
        let replayed = false;
        const once = idempotency
          ? async (run: () => Promise<InteractionResult>) => {
              const body = Buffer.isBuffer(request.body) ? request.body : undefined;
              const answer = await idempotency.once(
                `${context.access.clientId}|${key}`,
                fingerprintOf(request.method, request.originalUrl, body),
                run,
              );
              replayed = answer.replayed;
              return answer.result;
            }
          : undefined;
        const result = await route(fhirRequest, {
          service: options.service,
          processBundle: (bundle, ctx) => options.bundles.process(bundle, ctx),
          ...(options.audit ? { audit: options.audit } : {}),
          ...(once ? { once } : {}),
          ...options.workers,
        });
        if (replayed) response.setHeader('Idempotent-Replayed', 'true');
        sendResult(request, response, result, baseUrl);
      })
      .catch(next);
  });
  app.use('/fhir', fhir);
  app.use(pageRoutes());
  if (options.preferencePages) app.use(options.preferencePages);
  if (options.notifyCallbackToken && options.workers.invitations)
    app.use(callbackRoutes(options.notifyCallbackToken, options.workers.invitations));
  if (options.tokens) app.use(authRoutes(options.tokens, options.baseUrl));
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
