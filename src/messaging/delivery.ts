import type { MessageHeader } from 'fhir/r4';
import { Client } from 'fhir-kit-client';
import type { Db } from 'mongodb';
import { Outbox, type OutboxEntry } from '../store/outbox.js';
import type { GpMessage } from './messages.js';
import type { Endpoints } from './endpoints.js';
import { groupBy } from '../shared/group.js';

/** How long a practice's system has to take a message or a day's batch. */
const TIMEOUT_MS = 30_000;

/**
 * The outbox of messages to GP practices (`outbox_gp`): each sent as it happens with fhir-kit-client to
 * the practice's active Endpoint (`{address}/$process-message`), a person's messages in the order their
 * changes happened, retried with backoff while the practice's system is down (or has no endpoint yet),
 * given up after `maxTries` (dead letters for the service desk).
 */
export function gpOutbox(db: Db, endpoints: Endpoints, maxTries: number): Outbox<GpMessage> {
  const deliver = async (entries: OutboxEntry<GpMessage>[]): Promise<Map<string, string>> => {
    const failed = new Map<string, string>();
    const byPractice = groupBy(entries, (entry) => entry.payload.event.practice);
    await Promise.all(
      [...byPractice].map(async ([practice, messages]) => {
        const endpoint = await endpoints.of(practice);
        if (!endpoint) {
          for (const m of messages) failed.set(m._id, `no active endpoint for practice ${practice}`);
          return;
        }
        const client = new Client({ baseUrl: endpoint.address });
        for (const [i, { payload }] of messages.entries()) {
          const header = payload.message.entry![0]!.resource as MessageHeader;
          header.destination![0]!.endpoint = endpoint.address;
          try {
            await client.operation({
              name: 'process-message',
              method: 'POST',
              input: payload.message as never,
              options: { signal: AbortSignal.timeout(TIMEOUT_MS) },
            });
          } catch (error) {
            // the practice's system is down or refused: the rest wait for the next try, in order
            const reason = `practice ${practice}: ${error instanceof Error ? error.message : String(error)}`;
            for (const later of messages.slice(i)) failed.set(later._id, reason);
            return;
          }
        }
      }),
    );
    return failed;
  };
  return new Outbox<GpMessage>(db, 'gp', deliver, {
    batchSize: 1000,
    maxTries,
    order: ({ event }) => ({ key: event.patient, seq: event.seq }),
    about: ({ event }) => [`Patient/${event.patient}`],
  });
}
