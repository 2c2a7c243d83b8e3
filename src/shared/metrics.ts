import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What operators scrape from `/metrics` (Prometheus text format): every metric nims keeps, in one place.
 * Counted in memory by the process that did the work, so a scrape never touches the database; sum over
 * processes in Prometheus.
 */
export const metrics = new Registry();
collectDefaultMetrics({ register: metrics, prefix: 'nims_' });

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
  help: 'Pending outbox entries this process is handing over',
  labelNames: ['topic'] as const,
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
