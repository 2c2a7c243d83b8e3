import { timingSafeEqual } from 'node:crypto';
import type { IRouter, Request, Response } from 'express';
import { metrics, scrape } from '../shared/metrics.js';

/** How long the database has to answer the readiness check. */
const PING_TIMEOUT_MS = 2000;

/** Loopback addresses, as Node reports them. */
const LOCAL = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a caller may read the metrics: with the token when one is set, else only from this machine. */
function mayScrape(request: Request, token: string | undefined): boolean {
  if (token === undefined) return LOCAL.has(request.socket.remoteAddress ?? '');
  const [scheme, given] = (request.headers.authorization ?? '').split(' ');
  return scheme?.toLowerCase() === 'bearer' && given !== undefined && sameSecret(given, token);
}

/**
 * What the people who run nims look at: `/healthz` (the process answers), `/readyz` (take traffic: the
 * database answers, the cohort index is built, the workers run and the server is not stopping), both
 * `application/health+json` with nothing about the data; and `/metrics` in Prometheus text format.
 */
export function addOperatorRoutes(
  router: IRouter,
  options: {
    ping(): Promise<void>;
    notReady(): string | undefined;
    metricsToken?: string;
  },
): void {
  const health = (response: Response, pass: boolean, output?: string) =>
    response
      .status(pass ? 200 : 503)
      .setHeader('Cache-Control', 'no-store')
      .type('application/health+json')
      .send(JSON.stringify({ status: pass ? 'pass' : 'fail', ...(output ? { output } : {}) }));
  router.get('/healthz', (_request, response) => health(response, true));
  router.get('/readyz', (_request, response) => {
    const reason = options.notReady();
    if (reason) return health(response, false, reason);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the database did not answer in time')), PING_TIMEOUT_MS);
    });
    Promise.race([options.ping(), late])
      .then(() => health(response, true))
      // the reason names no host or credential: only that the database is not there
      .catch(() => health(response, false, 'database unavailable'))
      .finally(() => clearTimeout(timer));
  });
  router.get('/metrics', (request, response, next) => {
    if (!mayScrape(request, options.metricsToken)) {
      if (options.metricsToken) response.setHeader('WWW-Authenticate', 'Bearer');
      response
        .status(options.metricsToken ? 401 : 403)
        .type('text/plain')
        .send('Not allowed\n');
      return;
    }
    scrape()
      .then((text) => response.setHeader('Cache-Control', 'no-store').type(metrics.contentType).send(text))
      .catch(next);
  });
}
