import type { Db } from 'mongodb';
import type { ProgrammeCode } from '../cohort/programmes.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { Outbox, type OutboxEntry } from '../store/outbox.js';

/** One invited person, as the booking system gets them: who, which invitation, when. */
export interface BookingInvitation {
  patient: { reference: string; identifier: { system: string; value: string } };
  /** The Communication of the message that invited them. */
  invitation: { reference: string };
  /** The invitation run (Task). */
  run: { reference: string };
  programme: ProgrammeCode;
  invitedAt: string;
}

export function bookingInvitation(
  run: string,
  patientId: string,
  nhsNumber: string,
  communication: string,
  programme: ProgrammeCode,
  invitedAt: string,
): { id: string; payload: BookingInvitation } {
  return {
    // one hand-off per person and run, whichever message of theirs got through
    id: `${run}/${patientId}`,
    payload: {
      patient: {
        reference: `Patient/${patientId}`,
        identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber },
      },
      invitation: { reference: `Communication/${communication}` },
      run: { reference: `Task/${run}` },
      programme,
      invitedAt,
    },
  };
}

/** How long the booking system has to take a batch. */
const TIMEOUT_MS = 30_000;

/**
 * The outbox of invited people for the booking system: batches POSTed to `url` as NDJSON, one line per
 * person with its stable `id` (the booking system drops an id it has seen), retried with backoff.
 */
export function bookingOutbox(db: Db, url: string, apiKey?: string): Outbox<BookingInvitation> {
  return new Outbox<BookingInvitation>(
    db,
    'booking',
    async (entries: OutboxEntry<BookingInvitation>[]) => {
      const body = entries.map((e) => JSON.stringify({ id: e._id, ...e.payload })).join('\n') + '\n';
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`the booking system answered ${response.status}`);
      return undefined;
    },
    { about: ({ patient }) => [patient.reference] },
  );
}
