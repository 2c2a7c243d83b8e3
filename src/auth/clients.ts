import { randomUUID } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import type { Collection, Db } from 'mongodb';
import { isOdsCode } from '../shared/ods.js';
import { isRole, ROLES, type Role } from './roles.js';
import { parseScopes } from './scopes.js';

/** A registered client application. Its public keys verify its assertions; nims never holds its secrets. */
export interface ClientRecord {
  /** The client id. */
  _id: string;
  name: string;
  role?: Role;
  /** The most it may be granted. */
  scopes: string[];
  jwks?: JSONWebKeySet;
  jwksUri?: string;
  /** GP systems: the ODS code of their practice. */
  practice?: string;
  status: 'active' | 'disabled';
  created: string;
}

export interface NewClient {
  name: string;
  role?: string;
  scopes?: string;
  jwks?: unknown;
  jwksUri?: string;
  practice?: string;
}

function checkJwks(jwks: unknown): JSONWebKeySet {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error('the JWKS must have a non-empty "keys" array');
  for (const key of keys as Record<string, unknown>[]) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string')
      throw new Error('every JWKS key needs a "kty"');
    // a client's registration holds public keys only
    if ('d' in key || 'p' in key || 'k' in key) throw new Error('the JWKS must hold public keys only');
  }
  return jwks as JSONWebKeySet;
}

/** Checks a registration and shapes its record; throws an Error that says what is wrong. */
export function clientRecord(input: NewClient, now = new Date()): ClientRecord {
  const name = input.name.trim();
  if (!name) throw new Error('a client needs a name');
  if (input.role !== undefined && !isRole(input.role))
    throw new Error(`unknown role '${input.role}' (roles: ${Object.keys(ROLES).join(', ')})`);
  const role = input.role;
  const scopeText = input.scopes ?? (role ? ROLES[role].scopes : undefined);
  if (!scopeText) throw new Error('give --scopes or a --role');
  const { grants, invalid } = parseScopes(scopeText);
  if (invalid.length > 0) throw new Error(`not system scopes nims understands: ${invalid.join(' ')}`);
  if (grants.length === 0) throw new Error('a client needs at least one scope');
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
  private readonly clients: Collection<ClientRecord>;

  constructor(db: Db) {
    this.clients = db.collection<ClientRecord>('auth_clients');
  }

  async add(input: NewClient): Promise<ClientRecord> {
    const record = clientRecord(input);
    await this.clients.insertOne(record);
    return record;
  }

  get(id: string): Promise<ClientRecord | null> {
    return this.clients.findOne({ _id: id });
  }

  list(): Promise<ClientRecord[]> {
    return this.clients.find({}).sort({ created: 1 }).toArray();
  }

  /** Returns false when no such client exists. */
  async setStatus(id: string, status: ClientRecord['status']): Promise<boolean> {
    const result = await this.clients.updateOne({ _id: id }, { $set: { status } });
    return result.matchedCount === 1;
  }
}
