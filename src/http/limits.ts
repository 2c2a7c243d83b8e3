import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Access } from '../auth/access.js';
import { FhirError } from '../fhir/errors.js';

const WINDOW_MS = 60_000;

/**
 * Requests counted per key in fixed windows of a minute, in this process. A plain synchronous counter:
 * express-rate-limit's middleware, with its asynchronous store, cost each request 5 to 10% of the server's
 * time on a read; its key for an address is kept.
 */
class FixedWindow {
  private counts = new Map<string, number>();
  private endsAt = 0;

  /** Counts one request of the key: how many it has made in this window, and the seconds left of it. */
  count(key: string, now: number): { made: number; secondsLeft: number } {
    if (now >= this.endsAt) {
      this.counts = new Map();
      this.endsAt = now + WINDOW_MS;
    }
    const made = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, made);
    return { made, secondsLeft: Math.max(1, Math.ceil((this.endsAt - now) / 1000)) };
  }
}

/**
 * A limiter of requests per minute, with the IETF draft's `RateLimit-Policy` and `RateLimit` headers; over
 * the limit, 429 with Retry-After and an OperationOutcome.
 */
function limiter(perMinute: number, who: string, keyOf: (request: Request, response: Response) => string) {
  const window = new FixedWindow();
  const policy = `${perMinute};w=${WINDOW_MS / 1000}`;
  return (request: Request, response: Response, next: NextFunction) => {
    const { made, secondsLeft } = window.count(keyOf(request, response), Date.now());
    response.setHeader('RateLimit-Policy', policy);
    response.setHeader(
      'RateLimit',
      `limit=${perMinute}, remaining=${Math.max(0, perMinute - made)}, reset=${secondsLeft}`,
    );
    if (made <= perMinute) return next();
    next(
      new FhirError(
        [
          {
            code: 'too-many-requests',
            diagnostics: `More than ${perMinute} requests a minute from this ${who}`,
          },
        ],
        { 'Retry-After': String(secondsLeft) },
      ),
    );
  };
}

/** Per caller IP address (an IPv6 caller by its /56 network), before anything else is done for the request. */
export function limitPerAddress(perMinute: number): RequestHandler {
  return limiter(perMinute, 'address', (request) => (request.ip ? ipKeyGenerator(request.ip) : ''));
}

/** Per authenticated client (after authentication has set `response.locals.access`). */
export function limitPerClient(perMinute: number): RequestHandler {
  return limiter(
    perMinute,
    'client',
    (_request, response) => (response.locals.access as Access | undefined)?.clientId ?? '',
  );
}
