/** How often expired documents are swept away where the database does not do it itself. */
const SWEEP_EVERY_MS = 10 * 60_000;
/** Collections whose documents carry an `expires` date after which they are of no use. */
export const EXPIRING_COLLECTIONS = [
    'auth_jti',
    'preference_verifications',
    'preference_counters',
    'preference_web_sessions',
    'idempotency_keys',
    'export_jobs',
    'export_files',
    'processes',
];
/**
 * Removes a collection's documents past their `expires`. MongoDB does it by itself (a TTL index on
 * `expires`, see ensureIndexes); FerretDB has no TTL indexes, so each use may start a sweep, at most
 * one every ten minutes, in the background.
 */
export class Expiry {
    collection;
    lastSweep = 0;
    constructor(collection) {
        this.collection = collection;
    }
    touch() {
        if (Date.now() - this.lastSweep < SWEEP_EVERY_MS)
            return;
        this.lastSweep = Date.now();
        const expired = { expires: { $lt: new Date() } };
        void this.collection.deleteMany(expired).catch(() => undefined);
    }
}
//# sourceMappingURL=expiry.js.map