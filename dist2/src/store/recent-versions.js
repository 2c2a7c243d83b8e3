/**
 * Versions this process stored lately, so that reading one back (the GP dispatcher reads each new
 * version of an Immunization moments after it was stored) needs no database read. A stored version
 * never changes; the one way it can go, a failed transaction taken back, forgets it here. Kept as
 * copies: callers may change what they are given.
 */
export class RecentVersions {
    max;
    versions = new Map();
    constructor(max = 10_000) {
        this.max = max;
    }
    remember(stored) {
        const key = keyOf(stored.type, stored.id, stored.versionId);
        // the oldest goes first: a Map keeps insertion order
        if (this.versions.size >= this.max && !this.versions.has(key))
            this.versions.delete(this.versions.keys().next().value);
        this.versions.set(key, copyOf(stored));
    }
    get(type, id, version) {
        const stored = this.versions.get(keyOf(type, id, version));
        return stored && copyOf(stored);
    }
    forget(type, id, version) {
        this.versions.delete(keyOf(type, id, version));
    }
}
const keyOf = (type, id, version) => `${type}/${id}/${version}`;
const copyOf = (stored) => stored.resource ? { ...stored, resource: structuredClone(stored.resource) } : { ...stored };
//# sourceMappingURL=recent-versions.js.map