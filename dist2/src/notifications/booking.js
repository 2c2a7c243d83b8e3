import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { Outbox } from '../store/outbox.js';
export function bookingInvitation(run, patientId, nhsNumber, communication, programme, invitedAt) {
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
export function bookingOutbox(db, url, apiKey) {
    return new Outbox(db, 'booking', async (entries) => {
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
        if (!response.ok)
            throw new Error(`the booking system answered ${response.status}`);
        return undefined;
    });
}
//# sourceMappingURL=booking.js.map