import type { Resource } from 'fhir/r4';

/** What a follower of the change log needs to know of a version of this type, taken from the resource. */
export type ChangeDescriber = (resource: Resource) => Record<string, unknown>;

const describers = new Map<string, ChangeDescriber>();

/**
 * Makes every change log entry of a version of `type` carry what `describe` says of the resource, so
 * that followers in other processes can act on it without reading the version back (a lookup of the
 * whole document each). A follower must still read back entries without facts: those of deletions, and
 * those a process without the describer wrote.
 */
export function describeChanges(type: string, describe: ChangeDescriber): void {
  describers.set(type, describe);
}

/** The facts for a version's log entry, if its type has a describer and it is not a deletion. */
export function factsOf(type: string, resource: Resource | undefined): { facts?: Record<string, unknown> } {
  const describe = describers.get(type);
  return describe && resource ? { facts: describe(resource) } : {};
}
