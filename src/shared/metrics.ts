import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Aggregator,
} from 'prom-client';

/**
 * What operators scrape from `/metrics` (Prometheus text format): every metric nims keeps, in one place.
 * Counted in memory by the process that did the work, so a scrape never touches the database; sum over
 * separately run servers in Prometheus. The server processes of one `WORKERS` cluster answer together
 * (see `scrape`).
 */
export const metrics = new Registry();
collectDefaultMetrics({ register: metrics, prefix: 'nims_' });

const SCRAPE = 'nims:scrape';
/** Scrapes waiting for the cluster's primary, by request id. */
const scrapes = new Map<string, (answer: { text?: string; error?: string }) => void>();

if (cluster.isWorker) {
  // the primary collects this registry from every worker (prom-client's cluster messages)
  AggregatorRegistry.setRegistries([metrics]);
  new AggregatorRegistry();
  process.on('message', (message: { type?: string; id?: string; text?: string; error?: string }) => {
    if (message.type === SCRAPE && message.id) scrapes.get(message.id)?.(message);
  });
}

/**
 * The text of a scrape: this process's metrics or, in a worker of a cluster, every worker's together
 * (counters and histograms summed; gauges of one process's state as each says, see `aggregator`), so
 * that a scrape landing on any worker sees the whole server.
 */
export async function scrape(): Promise<string> {
  if (!cluster.isWorker || !process.send) return metrics.metrics();
  const id = randomUUID();
  const answer = await new Promise<{ text?: string; error?: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ error: 'the cluster did not answer in time' }), 10_000);
    scrapes.set(id, (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    process.send!({ type: SCRAPE, id });
  });
  scrapes.delete(id);
  if (answer.text === undefined) throw new Error(answer.error ?? 'no metrics');
  return answer.text;
}

/** In a cluster's primary: answers its workers' scrapes with every worker's metrics together. */
export function answerScrapes(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: string }) => {
    if (message.type !== SCRAPE) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: SCRAPE, id: message.id, text }),
      (error: unknown) => worker.send({ type: SCRAPE, id: message.id, error: String(error) }),
    );
  });
}

/** 1 a process: a cluster's scrape adds up how many server processes answered it. */
new Gauge({
  name: 'nims_server_processes',
  help: 'Server processes whose metrics this scrape holds (WORKERS of them in a cluster that is up)',
  registers: [metrics],
  aggregator: 'sum',
}).set(1);

export const httpRequests = new Counter({
  name: 'nims_http_requests_total',
  help: 'HTTP requests answered, by method, route template and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metrics],
});

export const httpDuration = new Histogram({
  name: 'nims_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method and route template',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metrics],
});

export const outboxAdded = new Counter({
  name: 'nims_outbox_added_total',
  help: 'Entries stored in an outbox (booking, letters, gp, gp_daily) to hand to another system',
  labelNames: ['topic'] as const,
  registers: [metrics],
});

export const outboxDelivered = new Counter({
  name: 'nims_outbox_delivered_total',
  help: 'Outbox entries the receiving system took',
  labelNames: ['topic'] as const,
  registers: [metrics],
});

export const outboxFailed = new Counter({
  name: 'nims_outbox_failed_tries_total',
  help: 'Tries to hand over an outbox entry that failed (it is tried again later, or given up)',
  labelNames: ['topic'] as const,
  registers: [metrics],
});

export const outboxDead = new Counter({
  name: 'nims_outbox_dead_total',
  help: 'Outbox entries given up after their last try (dead letters for staff to look at)',
  labelNames: ['topic'] as const,
  registers: [metrics],
});

export const outboxQueued = new Gauge({
  name: 'nims_outbox_queued',
  help: 'Pending outbox entries this process is handing over (gp_daily: messages waiting for their daily batch)',
  labelNames: ['topic'] as const,
  registers: [metrics],
});

/** A gauge whose values are read at each scrape from the parts that report them (see `watch`). */
function scrapedGauge<L extends string>(
  name: string,
  help: string,
  /** How the workers of a cluster report it together. */
  aggregator: Aggregator,
  labelNames: readonly L[] = [],
) {
  type Source = { labels: Partial<Record<L, string>>; read: () => number | undefined };
  /** By label set, every part watching it, latest last (a test runs several servers in one process). */
  const sources = new Map<string, Source[]>();
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [metrics],
    aggregator,
    collect() {
      this.reset();
      for (const watching of sources.values()) {
        const { labels, read } = watching.at(-1)!;
        const value = read();
        if (value !== undefined) this.set(labels, value);
      }
    },
  });
  return {
    /**
     * Reports `read()` under `labels` at every scrape (nothing while it answers undefined); of the parts
     * watching the same labels, the latest is read. Answers the function that stops it.
     */
    watch(labels: Partial<Record<L, string>>, read: () => number | undefined): () => void {
      const key = JSON.stringify(labels);
      const source = { labels, read };
      sources.set(key, [...(sources.get(key) ?? []), source]);
      return () => {
        const rest = (sources.get(key) ?? []).filter((s) => s !== source);
        if (rest.length > 0) sources.set(key, rest);
        else sources.delete(key);
      };
    },
  };
}

export const outboxOldestAge = scrapedGauge(
  'nims_outbox_oldest_age_seconds',
  'Age of the oldest pending outbox entry (0 when none waits); gp_daily: of the oldest day with a batch waiting',
  'max',
  ['topic'] as const,
);

export const cohortIndexPeople = scrapedGauge(
  'nims_cohort_index_people',
  'People in the cohort index of this process (absent until it is built; the most of any worker)',
  'max',
);

export const cohortIndexBytes = scrapedGauge(
  'nims_cohort_index_bytes',
  'Memory the cohort index of this process takes, as it counts it (of all workers together)',
  'sum',
);

export const cohortIndexLag = scrapedGauge(
  'nims_cohort_index_lag_seconds',
  'Time since the cohort index of this process last caught up with the change log (it polls every second; the longest of any worker)',
  'max',
);

export const databaseDuration = new Histogram({
  name: 'nims_db_operation_duration_seconds',
  help: 'Time the database took to answer a command, by command, collection and outcome (ok or failed)',
  labelNames: ['command', 'collection', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metrics],
});

export const messagesSent = new Counter({
  name: 'nims_invitation_messages_total',
  help: 'Invitation and reminder messages by channel and outcome: accepted, refused or unknown by the provider, then delivered or failed',
  labelNames: ['channel', 'outcome'] as const,
  registers: [metrics],
});

export const gpMessagesReceived = new Counter({
  name: 'nims_gp_messages_received_total',
  help: 'Vaccination messages from GP systems (FHIR and HL7 v2), by outcome: stored, duplicate or refused',
  labelNames: ['outcome'] as const,
  registers: [metrics],
});
