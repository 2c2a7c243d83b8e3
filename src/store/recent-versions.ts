import type { Resource } from 'fhir/r4';
import { textOf } from './kept-documents.js';
import type { StoredVersion } from './repository.js';

type Remembered = Omit<StoredVersion, 'resource'> & { text?: string; alone?: true };

/**
 * Versions this process stored lately, so that reading one back (the GP dispatcher reads each new
 * version of an Immunization moments after it was stored) needs no database read. A stored version
 * never changes; the one way it can go, a failed transaction taken back, forgets it here. The resource
 * is kept as its JSON text, so that callers may change what they are given (cheaper than a deep copy).
 */
export class RecentVersions {
  private readonly versions = new Map<string, Remembered>();

  constructor(private readonly max = 10_000) {}

  /** `alone`: a first version not in history yet (see CurrentDocument.alone). */
  remember(stored: StoredVersion, alone = false): void {
    const key = keyOf(stored.type, stored.id, stored.versionId);
    // the oldest goes first: a Map keeps insertion order
    if (this.versions.size >= this.max && !this.versions.has(key))
      this.versions.delete(this.versions.keys().next().value!);
    const { resource, ...version } = stored;
    this.versions.set(key, {
      ...version,
      ...(resource ? { text: textOf(resource) } : {}),
      ...(alone ? { alone: true as const } : {}),
    });
  }

  get(type: string, id: string, version: number): StoredVersion | undefined {
    const remembered = this.versions.get(keyOf(type, id, version));
    if (!remembered) return undefined;
    const { text, alone: _alone, ...stored } = remembered;
    return text === undefined ? stored : { ...stored, resource: JSON.parse(text) as Resource };
  }

  /** Whether the remembered version is a first version not in history yet. */
  isAlone(type: string, id: string, version: number): boolean {
    return this.versions.get(keyOf(type, id, version))?.alone === true;
  }

  forget(type: string, id: string, version: number): void {
    this.versions.delete(keyOf(type, id, version));
  }
}

const keyOf = (type: string, id: string, version: number) => `${type}/${id}/${version}`;
