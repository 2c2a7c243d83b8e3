import type { Endpoint } from 'fhir/r4';
import type { Db } from 'mongodb';
import type { CurrentDocument } from '../store/repository.js';
import { resourceOf, type Kept } from '../store/kept-documents.js';
import { EXTENSIONS } from '../resources/extensions.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';

/** How a practice gets its messages: one as each change happens, or one batch a day. */
export type DeliveryMode = 'immediate' | 'daily';

export function deliveryModeOf(endpoint: Endpoint | undefined): DeliveryMode {
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
  private byPractice: Promise<Map<string, Endpoint>> | undefined;
  private readAt = 0;
  private rereading = false;

  constructor(private readonly db: Db) {}

  async of(practice: string): Promise<Endpoint | undefined> {
    if (!this.byPractice) {
      this.readAt = Date.now();
      this.byPractice = this.readAll().catch((error: unknown) => {
        this.byPractice = undefined;
        throw error;
      });
    } else if (Date.now() - this.readAt > ENDPOINT_TTL_MS && !this.rereading) {
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
  forget(): void {
    this.byPractice = undefined;
  }

  private async readAll(): Promise<Map<string, Endpoint>> {
    const endpoints = new Map<string, Endpoint>();
    const documents = this.db
      .collection<Kept<CurrentDocument>>('Endpoint')
      .find({}, { projection: { res: 1, del: 1 } });
    for await (const doc of documents) {
      const endpoint = resourceOf(doc.res) as Endpoint | undefined;
      const ods = endpoint?.managingOrganization?.identifier;
      if (doc.del || endpoint?.status !== 'active' || ods?.system !== ODS_CODE_SYSTEM || !ods.value) continue;
      endpoints.set(ods.value, endpoint);
    }
    return endpoints;
  }
}
