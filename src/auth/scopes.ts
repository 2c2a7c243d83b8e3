/**
 * SMART on FHIR system scopes: v2 `system/Type.cruds` (any ordered subset of c, r, u, d, s) and the v1
 * forms `system/Type.read`, `.write` and `.*`. `Type` may be `*`. Also `nims-export/{profile}`, held as a
 * grant to read the pseudo-type `export:{profile}`.
 */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

const ORDER: Permission[] = ['c', 'r', 'u', 'd', 's'];
const V1: Record<string, Permission[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ORDER,
};
const SCOPE = /^system\/(\*|[A-Z][A-Za-z]+)\.([a-z*]+)$/;
/** nims's own scope naming the Bulk Data export profile a client receives (see src/export/profiles.ts). */
const EXPORT_SCOPE = /^nims-export\/([a-z][a-z0-9-]{0,40})$/;

export interface Grant {
  type: string;
  permissions: Permission[];
}

/** One scope as a grant; undefined when it is not a system scope nims understands. */
export function parseScope(scope: string): Grant | undefined {
  const profile = EXPORT_SCOPE.exec(scope)?.[1];
  if (profile) return { type: `export:${profile}`, permissions: ['r'] };
  const match = SCOPE.exec(scope);
  if (!match) return undefined;
  const [, type, letters] = match as unknown as [string, string, string];
  const v1 = V1[letters];
  if (v1) return { type, permissions: v1 };
  // v2: letters in the order c, r, u, d, s, each at most once
  const permissions = ORDER.filter((p) => letters.includes(p));
  return permissions.join('') === letters ? { type, permissions } : undefined;
}

export function formatGrant(grant: Grant): string {
  if (grant.type.startsWith('export:')) return `nims-export/${grant.type.slice('export:'.length)}`;
  return `system/${grant.type}.${grant.permissions.join('')}`;
}

/** Parses a space-separated scope list; `invalid` lists what could not be understood. */
export function parseScopes(text: string): { grants: Grant[]; invalid: string[] } {
  const grants: Grant[] = [];
  const invalid: string[] = [];
  for (const scope of text.split(' ').filter(Boolean)) {
    const grant = parseScope(scope);
    if (grant) grants.push(grant);
    else invalid.push(scope);
  }
  return { grants, invalid };
}

export function allows(grants: Grant[], type: string, permission: Permission): boolean {
  return grants.some((g) => (g.type === '*' || g.type === type) && g.permissions.includes(permission));
}

/**
 * What a client gets when it asks for `requested` and is registered for `allowed`: each requested grant
 * cut down to the permissions the registration gives for its type (a requested `*` is cut per allowed
 * grant). Empty grants are dropped.
 */
export function intersect(requested: Grant[], allowed: Grant[]): Grant[] {
  const result = new Map<string, Set<Permission>>();
  const give = (type: string, permissions: Permission[]) => {
    if (permissions.length === 0) return;
    const set = result.get(type) ?? new Set();
    for (const p of permissions) set.add(p);
    result.set(type, set);
  };
  for (const want of requested) {
    for (const have of allowed) {
      const common = want.permissions.filter((p) => have.permissions.includes(p));
      if (want.type === '*') give(have.type, common);
      else if (have.type === '*' || have.type === want.type) give(want.type, common);
    }
  }
  return [...result].map(([type, set]) => ({ type, permissions: ORDER.filter((p) => set.has(p)) }));
}
