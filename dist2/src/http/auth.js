import express from 'express';
import { UNRESTRICTED } from '../auth/access.js';
import { ROLES } from '../auth/roles.js';
import { authUrls, InvalidToken, OAuthError } from '../auth/tokens.js';
import { FhirError } from '../fhir/errors.js';
/** The FHIR base URL of a request: the configured one, else what the request was addressed to. */
export function fhirBaseOf(request, configured) {
    return configured ?? `${request.protocol}://${request.get('host') ?? 'localhost'}/fhir`;
}
/** SMART's discovery document for backend services. */
export function smartConfiguration(fhirBase) {
    const urls = authUrls(fhirBase);
    return {
        token_endpoint: urls.token,
        jwks_uri: urls.jwks,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
        grant_types_supported: ['client_credentials'],
        scopes_supported: [
            'system/*.rs',
            'system/*.cruds',
            ...[...new Set(Object.values(ROLES).flatMap((r) => r.scopes.split(' ')))].sort(),
        ],
        response_types_supported: ['token'],
        capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
    };
}
function oauthError(response, error) {
    response
        .status(error.status)
        .setHeader('Cache-Control', 'no-store')
        .json({ error: error.error, error_description: error.description });
}
/** `POST /auth/token` and `GET /auth/jwks.json`. */
export function authRoutes(tokens, configuredBase) {
    const router = express.Router();
    router.post('/auth/token', express.urlencoded({ extended: false, limit: '64kb' }), (request, response, next) => {
        if (!request.is('application/x-www-form-urlencoded')) {
            oauthError(response, new OAuthError(400, 'invalid_request', 'Send application/x-www-form-urlencoded'));
            return;
        }
        const form = Object.fromEntries(Object.entries(request.body).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : undefined,
        ]));
        tokens
            .issue(form, authUrls(fhirBaseOf(request, configuredBase)).token)
            .then((answer) => {
            response.setHeader('Cache-Control', 'no-store').setHeader('Pragma', 'no-cache').json(answer);
        })
            .catch((error) => (error instanceof OAuthError ? oauthError(response, error) : next(error)));
    });
    router.get('/auth/jwks.json', (_request, response, next) => {
        tokens.keys
            .jwks()
            .then((jwks) => response.setHeader('Cache-Control', 'max-age=300').json(jwks))
            .catch(next);
    });
    return router;
}
/** FHIR paths anyone may read: how to connect is not a secret. */
const PUBLIC_PATHS = new Set(['/metadata', '/.well-known/smart-configuration']);
/**
 * Puts the caller's Access in `response.locals.access`: from the bearer token, or unrestricted when
 * authentication is off. Refuses (401, with WWW-Authenticate) anything else.
 */
export function authenticate(tokens) {
    return (request, response, next) => {
        if (PUBLIC_PATHS.has(request.path))
            return next();
        if (!tokens) {
            response.locals.access = UNRESTRICTED;
            return next();
        }
        const header = request.headers.authorization;
        const match = header ? /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header) : null;
        if (!match) {
            return next(new FhirError([{ code: 'unauthenticated', diagnostics: 'Send an access token: Authorization: Bearer …' }], {
                'WWW-Authenticate': 'Bearer realm="nims"',
            }));
        }
        tokens
            .verify(match[1])
            .then((access) => {
            response.locals.access = access;
            next();
        })
            .catch((error) => {
            if (!(error instanceof InvalidToken))
                return next(error);
            const why = error.message.replace(/"/g, "'");
            next(new FhirError([{ code: 'unauthenticated', diagnostics: `The access token is not accepted: ${why}` }], {
                'WWW-Authenticate': `Bearer realm="nims", error="invalid_token", error_description="${why}"`,
            }));
        });
    };
}
//# sourceMappingURL=auth.js.map