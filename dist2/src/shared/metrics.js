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
    labelNames: ['method', 'route', 'status'],
    registers: [metrics],
});
export const httpDuration = new Histogram({
    name: 'nims_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
});
export const outboxAdded = new Counter({
    name: 'nims_outbox_added_total',
    help: 'Entries stored in an outbox (booking, letters, gp, gp_daily) to hand to another system',
    labelNames: ['topic'],
    registers: [metrics],
});
export const outboxDelivered = new Counter({
    name: 'nims_outbox_delivered_total',
    help: 'Outbox entries the receiving system took',
    labelNames: ['topic'],
    registers: [metrics],
});
export const outboxFailed = new Counter({
    name: 'nims_outbox_failed_tries_total',
    help: 'Tries to hand over an outbox entry that failed (it is tried again later, or given up)',
    labelNames: ['topic'],
    registers: [metrics],
});
export const outboxDead = new Counter({
    name: 'nims_outbox_dead_total',
    help: 'Outbox entries given up after their last try (dead letters for staff to look at)',
    labelNames: ['topic'],
    registers: [metrics],
});
export const outboxQueued = new Gauge({
    name: 'nims_outbox_queued',
    help: 'Pending outbox entries this process is handing over (gp_daily: messages waiting for their daily batch)',
    labelNames: ['topic'],
    registers: [metrics],
});
/** A gauge whose values are read at each scrape from the parts that report them (see `watch`). */
function scrapedGauge(name, help, labelNames = []) {
    /** By label set, every part watching it, latest last (a test runs several servers in one process). */
    const sources = new Map();
    new Gauge({
        name,
        help,
        labelNames,
        registers: [metrics],
        collect() {
            this.reset();
            for (const watching of sources.values()) {
                const { labels, read } = watching.at(-1);
                const value = read();
                if (value !== undefined)
                    this.set(labels, value);
            }
        },
    });
    return {
        /**
         * Reports `read()` under `labels` at every scrape (nothing while it answers undefined); of the parts
         * watching the same labels, the latest is read. Answers the function that stops it.
         */
        watch(labels, read) {
            const key = JSON.stringify(labels);
            const source = { labels, read };
            sources.set(key, [...(sources.get(key) ?? []), source]);
            return () => {
                const rest = (sources.get(key) ?? []).filter((s) => s !== source);
                if (rest.length > 0)
                    sources.set(key, rest);
                else
                    sources.delete(key);
            };
        },
    };
}
export const outboxOldestAge = scrapedGauge('nims_outbox_oldest_age_seconds', 'Age of the oldest pending outbox entry (0 when none waits); gp_daily: of the oldest day with a batch waiting', ['topic']);
export const cohortIndexPeople = scrapedGauge('nims_cohort_index_people', 'People in the cohort index of this process (absent until it is built)');
export const cohortIndexBytes = scrapedGauge('nims_cohort_index_bytes', 'Memory the cohort index of this process takes, as it counts it');
export const cohortIndexLag = scrapedGauge('nims_cohort_index_lag_seconds', 'Time since the cohort index of this process last caught up with the change log (it polls every second)');
export const databaseDuration = new Histogram({
    name: 'nims_db_operation_duration_seconds',
    help: 'Time the database took to answer a command, by command, collection and outcome (ok or failed)',
    labelNames: ['command', 'collection', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [metrics],
});
export const messagesSent = new Counter({
    name: 'nims_invitation_messages_total',
    help: 'Invitation and reminder messages by channel and outcome: accepted, refused or unknown by the provider, then delivered or failed',
    labelNames: ['channel', 'outcome'],
    registers: [metrics],
});
export const gpMessagesReceived = new Counter({
    name: 'nims_gp_messages_received_total',
    help: 'Vaccination messages from GP systems (FHIR and HL7 v2), by outcome: stored, duplicate or refused',
    labelNames: ['outcome'],
    registers: [metrics],
});
//# sourceMappingURL=metrics.js.map