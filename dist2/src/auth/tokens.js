import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, } from 'jose';
import { logger } from '../shared/logger.js';
import { isDuplicateKey } from '../store/mongo-errors.js';
import { Expiry } from '../store/expiry.js';
import { ClientStore } from './clients.js';
import { SigningKeys, TOKEN_ALG } from './keys.js';
import { formatGrant, intersect, parseScopes } from './scopes.js';
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Algorithms SMART Backend Services allows for client assertions. */
const ASSERTION_ALGS = ['RS384', 'ES384'];
/** A client assertion may expire at most this far ahead (SMART: five minutes). */
const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_SKEW_S = 30;
const ACCESS_TOKEN_TYPE = 'at+jwt';
/** What a person's own token allows, bound to them (Access.patient). */
const PERSON_SCOPE = 'system/Consent.crus';
/** How long a client record (its status and practice) is reused before it is read again. */
const CLIENT_CACHE_MS = 30_000;
const MAX_CACHED_TOKENS = 10_000;
/** Where the authorisation endpoints live, beside the FHIR base (`…/fhir` → `…/auth/…`). */
export function authUrls(fhirBase) {
    const root = fhirBase.replace(/\/fhir$/, '');
    return { token: `${root}/auth/token`, jwks: `${root}/auth/jwks.json` };
}
/** An OAuth 2.0 error answer (RFC 6749 section 5.2). */
export class OAuthError extends Error {
    status;
    error;
    description;
    constructor(status, error, description) {
        super(description);
        this.status = status;
        this.error = error;
        this.description = description;
    }
}
/** A bearer token that cannot be accepted; the reason goes back in WWW-Authenticate. */
export class InvalidToken extends Error {
}
/**
 * SMART Backend Services: exchanges a client's signed assertion for an access token, and turns access
 * tokens back into an Access for each request.
 */
export class TokenService {
    options;
    clients;
    keys;
    replays;
    replayExpiry;
    clientKeys = new Map();
    clientCache = new Map();
    verified = new Map();
    constructor(db, options) {
        this.options = options;
        this.clients = new ClientStore(db);
        this.keys = new SigningKeys(db, options.keyRotationMs, options.keySecret);
        this.replays = db.collection('auth_jti');
        this.replayExpiry = new Expiry(this.replays);
    }
    async client(id) {
        const cached = this.clientCache.get(id);
        if (cached && Date.now() - cached.at < CLIENT_CACHE_MS)
            return cached.record;
        const record = await this.clients.get(id);
        if (this.clientCache.size > MAX_CACHED_TOKENS)
            this.clientCache.clear();
        this.clientCache.set(id, { record, at: Date.now() });
        return record;
    }
    keysOf(client) {
        const source = client.jwksUri ?? JSON.stringify(client.jwks);
        const cached = this.clientKeys.get(client._id);
        if (cached?.source === source)
            return cached.keys;
        const keys = client.jwksUri
            ? createRemoteJWKSet(new URL(client.jwksUri), { timeoutDuration: 5000, cooldownDuration: 30_000 })
            : createLocalJWKSet(client.jwks);
        this.clientKeys.set(client._id, { source, keys });
        return keys;
    }
    /** The token endpoint: checks the grant and the assertion, answers with a token or an OAuthError. */
    async issue(form, tokenUrl) {
        if (form.grant_type !== 'client_credentials')
            throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
        if (form.client_assertion_type !== ASSERTION_TYPE)
            throw new OAuthError(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
        const assertion = form.client_assertion;
        if (!assertion)
            throw new OAuthError(400, 'invalid_request', 'client_assertion is missing');
        if (!form.scope)
            throw new OAuthError(400, 'invalid_request', 'scope is missing');
        const requested = parseScopes(form.scope);
        if (requested.invalid.length > 0)
            throw new OAuthError(400, 'invalid_scope', `Not system scopes: ${requested.invalid.join(' ')}`);
        const client = await this.authenticateClient(assertion, tokenUrl);
        const granted = intersect(requested.grants, parseScopes(client.scopes.join(' ')).grants);
        if (granted.length === 0)
            throw new OAuthError(400, 'invalid_scope', 'None of the requested scopes is allowed for this client');
        const scope = granted.map(formatGrant).join(' ');
        const accessToken = await this.sign({ scope, client_name: client.name }, client._id, tokenUrl, this.options.tokenTtlSeconds);
        logger.info('access token issued', { client: client._id, scope });
        return {
            access_token: accessToken,
            token_type: 'bearer',
            expires_in: this.options.tokenTtlSeconds,
            scope,
        };
    }
    /**
     * A short-lived token for one person who proved who they are through a consent app: it may read and
     * write that person's own preference Consents and nothing else.
     */
    async issuePersonToken(client, patientId, issuer, ttlSeconds) {
        const scope = PERSON_SCOPE;
        const claims = { scope, client_name: client.name, patient: patientId };
        const accessToken = await this.sign(claims, client.id, issuer, ttlSeconds);
        logger.info('person token issued', { client: client.id });
        return { access_token: accessToken, token_type: 'bearer', expires_in: ttlSeconds, scope };
    }
    /** An access token of this server (issuer and audience from `url`'s origin) for a client. */
    async sign(claims, clientId, url, ttlSeconds) {
        const key = await this.keys.current();
        const origin = new URL(url).origin;
        return new SignJWT(claims)
            .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
            .setIssuer(origin)
            .setSubject(clientId)
            .setAudience(`${origin}/fhir`)
            .setIssuedAt()
            .setExpirationTime(`${ttlSeconds}s`)
            .setJti(randomUUID())
            .sign(key.privateKey);
    }
    /** Verifies a client assertion (RFC 7523 as profiled by SMART) and returns the client it proves. */
    async authenticateClient(assertion, tokenUrl) {
        const refuse = (why) => {
            throw new OAuthError(401, 'invalid_client', why);
        };
        let claimed;
        try {
            const { alg } = decodeProtectedHeader(assertion);
            if (!alg || !ASSERTION_ALGS.includes(alg))
                refuse(`The assertion must be signed with ${ASSERTION_ALGS.join(' or ')}`);
            claimed = decodeJwt(assertion).iss;
        }
        catch (error) {
            if (error instanceof OAuthError)
                throw error;
            refuse('The assertion is not a JWT');
        }
        if (typeof claimed !== 'string')
            return refuse('The assertion has no issuer');
        const client = await this.client(claimed);
        if (!client || client.status !== 'active')
            return refuse('Unknown or disabled client');
        let payload;
        try {
            ({ payload } = await jwtVerify(assertion, this.keysOf(client), {
                algorithms: ASSERTION_ALGS,
                issuer: client._id,
                subject: client._id,
                audience: tokenUrl,
                requiredClaims: ['exp', 'jti'],
                clockTolerance: CLOCK_SKEW_S,
            }));
        }
        catch (error) {
            return refuse(`The assertion was refused: ${describeJoseError(error)}`);
        }
        const now = Math.floor(Date.now() / 1000);
        if (payload.exp > now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S)
            refuse('The assertion expires more than five minutes ahead');
        await this.useOnce(client._id, String(payload.jti), payload.exp);
        return client;
    }
    /** Remembers an assertion's jti until it expires; a second use is a replay. */
    async useOnce(clientId, jti, exp) {
        try {
            await this.replays.insertOne({
                _id: `${clientId}|${jti}`,
                expires: new Date((exp + CLOCK_SKEW_S) * 1000),
            });
        }
        catch (error) {
            if (isDuplicateKey(error))
                throw new OAuthError(401, 'invalid_client', 'The assertion was used before (jti)');
            throw error;
        }
        this.replayExpiry.touch();
    }
    /** The Access a bearer token carries; throws InvalidToken when it is not one of ours, or no longer good. */
    async verify(token) {
        const cached = this.verified.get(token);
        if (cached && cached.exp > Date.now() / 1000)
            return this.withClient(cached.access);
        let payload;
        try {
            ({ payload } = await jwtVerify(token, async (header) => {
                const key = header.kid ? await this.keys.verifier(header.kid) : undefined;
                if (!key)
                    throw new InvalidToken('The token was not signed by this server');
                return key;
            }, { algorithms: [TOKEN_ALG], typ: ACCESS_TOKEN_TYPE, requiredClaims: ['exp', 'sub', 'scope'] }));
        }
        catch (error) {
            if (error instanceof InvalidToken)
                throw error;
            throw new InvalidToken(describeJoseError(error));
        }
        const access = {
            clientId: payload.sub,
            clientName: typeof payload.client_name === 'string' ? payload.client_name : payload.sub,
            grants: parseScopes(String(payload.scope)).grants,
            ...(typeof payload.patient === 'string' ? { patient: payload.patient } : {}),
        };
        if (this.verified.size >= MAX_CACHED_TOKENS)
            this.verified.delete(this.verified.keys().next().value);
        this.verified.set(token, { access, exp: payload.exp });
        return this.withClient(access);
    }
    /** Adds what the client's registration says now: a disabled client's tokens stop working. */
    async withClient(access) {
        const client = await this.client(access.clientId);
        if (!client || client.status !== 'active')
            throw new InvalidToken('The client is disabled');
        return client.practice ? { ...access, practice: client.practice } : access;
    }
}
function describeJoseError(error) {
    if (error instanceof joseErrors.JWTExpired)
        return 'it has expired';
    if (error instanceof joseErrors.JWTClaimValidationFailed)
        return `claim ${error.claim} is not acceptable`;
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
        return 'the signature does not verify';
    if (error instanceof joseErrors.JOSEAlgNotAllowed)
        return 'its algorithm is not allowed';
    if (error instanceof joseErrors.JWKSNoMatchingKey)
        return 'no registered key matches it';
    if (error instanceof joseErrors.JOSEError)
        return error.code;
    return 'it could not be verified';
}
//# sourceMappingURL=tokens.js.map