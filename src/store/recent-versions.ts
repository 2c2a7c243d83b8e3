import type { StoredVersion } from './repository.js';

/**
 * Versions this process stored lately, so that reading one back (the GP dispatcher reads each new
 * version of an Immunization moments after it was stored) needs no database read. A stored version
 * never changes; the one way it can go, a failed transaction taken back, forgets it here. Kept as
 * copies: callers may change what they are given.
 */
export class RecentVersions {
  private readonly versions = new Map<string, StoredVersion>();

  constructor(private readonly max = 10_000) {}

  remember(stored: StoredVersion): void {
    const key = keyOf(stored.type, stored.id, stored.versionId);
    // the oldest goes first: a Map keeps insertion order
    if (this.versions.size >= this.max && !this.versions.has(key))
      this.versions.delete(this.versions.keys().next().value!);
    this.versions.set(key, copyOf(stored));
  }

  get(type: string, id: string, version: number): StoredVersion | undefined {
    const stored = this.versions.get(keyOf(type, id, version));
    return stored && copyOf(stored);
  }

  forget(type: string, id: string, version: number): void {
    this.versions.delete(keyOf(type, id, version));
  }
}

const keyOf = (type: string, id: string, version: number) => `${type}/${id}/${version}`;
const copyOf = (stored: StoredVersion): StoredVersion =>
  stored.resource ? { ...stored, resource: structuredClone(stored.resource) } : { ...stored };
