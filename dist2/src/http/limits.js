import { rateLimit } from 'express-rate-limit';
import { FhirError } from '../fhir/errors.js';
const WINDOW_MS = 60_000;
/** A limiter of requests per minute; over the limit, 429 with Retry-After and an OperationOutcome. */
function limiter(perMinute, who, key) {
    return rateLimit({
        windowMs: WINDOW_MS,
        limit: perMinute,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        ...(key ? { keyGenerator: key } : {}),
        handler: (request, _response, next) => {
            const reset = request.rateLimit?.resetTime;
            const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
            next(new FhirError([
                {
                    code: 'too-many-requests',
                    diagnostics: `More than ${perMinute} requests a minute from this ${who}`,
                },
            ], { 'Retry-After': String(seconds) }));
        },
    });
}
/** Per caller IP address, before anything else is done for the request. */
export function limitPerAddress(perMinute) {
    return limiter(perMinute, 'address');
}
/** Per authenticated client (after authentication has set `response.locals.access`). */
export function limitPerClient(perMinute) {
    return limiter(perMinute, 'client', (_request, response) => response.locals.access?.clientId ?? '');
}
//# sourceMappingURL=limits.js.map