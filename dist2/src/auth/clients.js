import { randomUUID } from 'node:crypto';
import { isOdsCode } from '../shared/ods.js';
import { isRole, ROLES } from './roles.js';
import { parseScopes } from './scopes.js';
function checkJwks(jwks) {
    const keys = jwks?.keys;
    if (!Array.isArray(keys) || keys.length === 0)
        throw new Error('the JWKS must have a non-empty "keys" array');
    for (const key of keys) {
        if (typeof key !== 'object' || key === null || typeof key.kty !== 'string')
            throw new Error('every JWKS key needs a "kty"');
        // a client's registration holds public keys only
        if ('d' in key || 'p' in key || 'k' in key)
            throw new Error('the JWKS must hold public keys only');
    }
    return jwks;
}
/** Checks a registration and shapes its record; throws an Error that says what is wrong. */
export function clientRecord(input, now = new Date()) {
    const name = input.name.trim();
    if (!name)
        throw new Error('a client needs a name');
    if (input.role !== undefined && !isRole(input.role))
        throw new Error(`unknown role '${input.role}' (roles: ${Object.keys(ROLES).join(', ')})`);
    const role = input.role;
    const scopeText = input.scopes ?? (role ? ROLES[role].scopes : undefined);
    if (!scopeText)
        throw new Error('give --scopes or a --role');
    const { grants, invalid } = parseScopes(scopeText);
    if (invalid.length > 0)
        throw new Error(`not system scopes nims understands: ${invalid.join(' ')}`);
    if (grants.length === 0)
        throw new Error('a client needs at least one scope');
    if ((input.jwks === undefined) === (input.jwksUri === undefined))
        throw new Error('give exactly one of a JWKS or a JWKS URL');
    if (input.jwksUri !== undefined && !/^https?:\/\//.test(input.jwksUri))
        throw new Error('the JWKS URL must be http(s)');
    if (input.practice !== undefined && !isOdsCode(input.practice))
        throw new Error(`'${input.practice}' is not an ODS code`);
    if (role === 'gp-system' && input.practice === undefined)
        throw new Error('a gp-system client needs --practice (its ODS code)');
    return {
        _id: randomUUID(),
        name,
        ...(role ? { role } : {}),
        scopes: scopeText.split(' ').filter(Boolean),
        ...(input.jwks !== undefined ? { jwks: checkJwks(input.jwks) } : {}),
        ...(input.jwksUri !== undefined ? { jwksUri: input.jwksUri } : {}),
        ...(input.practice !== undefined ? { practice: input.practice } : {}),
        status: 'active',
        created: now.toISOString(),
    };
}
/** Registered clients, in MongoDB (`auth_clients`, keyed by client id). */
export class ClientStore {
    clients;
    constructor(db) {
        this.clients = db.collection('auth_clients');
    }
    async add(input) {
        const record = clientRecord(input);
        await this.clients.insertOne(record);
        return record;
    }
    get(id) {
        return this.clients.findOne({ _id: id });
    }
    list() {
        return this.clients.find({}).sort({ created: 1 }).toArray();
    }
    /** Returns false when no such client exists. */
    async setStatus(id, status) {
        const result = await this.clients.updateOne({ _id: id }, { $set: { status } });
        return result.matchedCount === 1;
    }
}
//# sourceMappingURL=clients.js.map