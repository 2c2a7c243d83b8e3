import type { Resource } from 'fhir/r4';
import { fail } from '../fhir/errors.js';
import { evaluate } from '../search/path.js';
import { findParameter } from '../search/parameters.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
import { allows, formatGrant, type Grant, type Permission } from './scopes.js';

/** Who is asking and what they may do: from a verified access token (or everything, with AUTH=off). */
export interface Access {
  clientId: string;
  clientName: string;
  grants: Grant[];
  /** A GP system's practice (ODS code): it sees only messages that practice sends or receives. */
  practice?: string;
  /** A person's own token, after they proved who they are: it sees only their own preference Consents. */
  patient?: string;
}

/** Used only when authentication is switched off for local development. */
export const UNRESTRICTED: Access = {
  clientId: 'anonymous',
  clientName: 'anyone (AUTH=off)',
  grants: [{ type: '*', permissions: ['c', 'r', 'u', 'd', 's'] }],
};

/** Who asks for a public path (metadata): nobody known, with no permissions at all. */
export const ANONYMOUS: Access = { clientId: 'anonymous', clientName: 'anonymous', grants: [] };

const NAMES: Record<Permission, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

export function may(access: Access, type: string, permission: Permission): boolean {
  return allows(access.grants, type, permission);
}

/** Refuses (403) unless the client's scopes allow `permission` on `type`. */
export function authorize(access: Access, type: string, permission: Permission): void {
  if (!may(access, type, permission)) {
    fail(
      'forbidden',
      `This client may not ${NAMES[permission]} ${type} (granted: ${access.grants.map(formatGrant).join(' ') || 'nothing'})`,
    );
  }
}

/**
 * Types a GP system sees only for its own practice, and the token search parameter that names the
 * practices of a resource. A search adds that parameter; a read checks the resource's values of it.
 */
const PRACTICE_PARAMETERS: Record<string, string> = { Communication: 'practice' };
/** Types a person's own token sees only for that person, and the reference parameter that names them. */
const PATIENT_PARAMETERS: Record<string, string> = { Consent: 'patient' };

/** The parameter and value a bound client's view of `type` is limited to, if it is bound. */
function boundOf(access: Access, type: string): [string, string] | undefined {
  const practice = PRACTICE_PARAMETERS[type];
  if (access.practice && practice) return [practice, `${ODS_CODE_SYSTEM}|${access.practice}`];
  const patient = PATIENT_PARAMETERS[type];
  if (access.patient && patient) return [patient, `Patient/${access.patient}`];
  return undefined;
}

/** Search criteria added to every search of `type` by this client: none unless it is bound. */
export function restrictionOf(access: Access, type: string): [string, string][] {
  const bound = boundOf(access, type);
  return bound ? [bound] : [];
}

/** Whether a bound client may see this resource (always true for other clients and types). */
export function canSee(access: Access, resource: Resource): boolean {
  const bound = boundOf(access, resource.resourceType);
  if (!bound) return true;
  const param = findParameter(resource.resourceType, bound[0])!;
  return evaluate(resource, param.expression).some((node) => {
    const value = node as { system?: unknown; value?: unknown; reference?: unknown };
    return value.reference === bound[1] || `${String(value.system)}|${String(value.value)}` === bound[1];
  });
}

/** Refuses (403) a resource a bound client may not see. */
export function requireVisible(access: Access, resource: Resource | undefined): void {
  if (resource && !canSee(access, resource)) {
    const whose = access.practice ? `practice ${access.practice}` : `the person this token is for`;
    fail('forbidden', `This client may see only ${resource.resourceType} of ${whose}`);
  }
}

/** Whether some resources of `type` are hidden from this client (so type-wide history is refused). */
export function isPartial(access: Access, type: string): boolean {
  return boundOf(access, type) !== undefined;
}
