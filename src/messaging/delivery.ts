import type { Bundle, MessageHeader } from 'fhir/r4';
import { Client } from 'fhir-kit-client';
import type { Db } from 'mongodb';
import { Outbox, type OutboxEntry } from '../store/outbox.js';
import { ukClock } from '../shared/clock.js';
import type { GpMessage } from './dispatcher.js';
import { stableUuid } from './messages.js';
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
  const order = (payload: GpMessage) => ({ key: payload.event.patient, seq: payload.event.seq });
  return new Outbox<GpMessage>(db, 'gp', deliver, { batchSize: 1000, maxTries, order: order as never });
}

/** The UK calendar day of a moment (YYYY-MM-DD). */
export const ukDay = (at: string): string => ukClock(new Date(at)).date;

/**
 * The outbox of practices that take one batch a day (`outbox_gp_daily`, handed over by `runOnce`): per
 * practice and day, one `batch` Bundle whose entries each POST one message to `$process-message`, sent
 * with fhir-kit-client to the practice's endpoint, a person's messages in order. A message the practice's
 * answer says failed, or every message of a practice that could not be reached, waits for the next run.
 */
export function gpDailyOutbox(db: Db, endpoints: Endpoints, maxTries: number): Outbox<GpMessage> {
  const deliver = async (entries: OutboxEntry<GpMessage>[]): Promise<Map<string, string>> => {
    const failed = new Map<string, string>();
    const batches = groupBy(entries, ({ payload }) => `${payload.event.practice}|${ukDay(payload.event.at)}`);
    for (const [key, messages] of batches) {
      const practice = key.split('|')[0]!;
      const endpoint = await endpoints.of(practice);
      const fail = (reason: string) => messages.forEach((m) => failed.set(m._id, reason));
      if (!endpoint) {
        fail(`no active endpoint for practice ${practice}`);
        continue;
      }
      const batch: Bundle = {
        resourceType: 'Bundle',
        id: stableUuid(`daily|${key}|${messages.map((m) => m._id).join(',')}`),
        type: 'batch',
        entry: messages.map(({ payload }) => {
          (payload.message.entry![0]!.resource as MessageHeader).destination![0]!.endpoint = endpoint.address;
          return { resource: payload.message, request: { method: 'POST', url: '$process-message' } };
        }),
      };
      try {
        const answer = (await new Client({ baseUrl: endpoint.address }).batch({
          body: batch as never,
          options: { signal: AbortSignal.timeout(TIMEOUT_MS) },
        })) as unknown as Bundle;
        answer.entry?.forEach((entry, i) => {
          const status = entry.response?.status ?? '';
          if (!/^2\d\d/.test(status) && messages[i])
            failed.set(messages[i]._id, `practice ${practice}: ${status}`);
        });
      } catch (error) {
        fail(`practice ${practice}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failed;
  };
  const order = (payload: GpMessage) => ({ key: payload.event.patient, seq: payload.event.seq });
  return new Outbox<GpMessage>(db, 'gp_daily', deliver, {
    batchSize: 100_000,
    maxTries,
    manual: true,
    order: order as never,
  });
}
