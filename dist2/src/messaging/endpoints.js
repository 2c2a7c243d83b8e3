import { EXTENSIONS } from '../resources/extensions.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
export function deliveryModeOf(endpoint) {
    const mode = endpoint?.extension?.find((e) => e.url === EXTENSIONS.gpDeliveryMode)?.valueCode;
    return mode === 'daily' ? 'daily' : 'immediate';
}
/**
 * How long the endpoints are remembered before they are read again (a read of thousands takes the
 * database seconds); a change made through this process is seen at once (`forget`).
 */
const ENDPOINT_TTL_MS = 5 * 60_000;
/**
 * Practices' active endpoints by ODS code: all of them read at once (a few thousand small documents,
 * one pass) and remembered, read again in the background every five minutes (at once after a change
 * here), so fanning out to thousands of practices is no search each and never waits for a re-read.
 */
export class Endpoints {
    db;
    byPractice;
    readAt = 0;
    rereading = false;
    constructor(db) {
        this.db = db;
    }
    async of(practice) {
        if (!this.byPractice) {
            this.readAt = Date.now();
            this.byPractice = this.readAll().catch((error) => {
                this.byPractice = undefined;
                throw error;
            });
        }
        else if (Date.now() - this.readAt > ENDPOINT_TTL_MS && !this.rereading) {
            // read again in the background: a fan-out to thousands of practices does not wait for it
            this.rereading = true;
            this.readAll()
                .then((fresh) => {
                this.byPractice = Promise.resolve(fresh);
                this.readAt = Date.now();
            })
                .catch(() => undefined)
                .finally(() => (this.rereading = false));
        }
        return (await this.byPractice).get(practice);
    }
    /** Reads them again on the next question (an Endpoint was created, changed or deleted here). */
    forget() {
        this.byPractice = undefined;
    }
    async readAll() {
        const endpoints = new Map();
        const documents = this.db
            .collection('Endpoint')
            .find({}, { projection: { res: 1, del: 1 } });
        for await (const doc of documents) {
            const endpoint = doc.res;
            const ods = endpoint?.managingOrganization?.identifier;
            if (doc.del || endpoint?.status !== 'active' || ods?.system !== ODS_CODE_SYSTEM || !ods.value)
                continue;
            endpoints.set(ods.value, endpoint);
        }
        return endpoints;
    }
}
//# sourceMappingURL=endpoints.js.map