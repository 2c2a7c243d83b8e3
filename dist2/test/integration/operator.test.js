import { expect } from 'chai';
import { create, eventually, extraServer, scrape, testServer } from './harness.js';
const root = (server, path) => new URL(path, server.url).toString();
describe('health checks and metrics for operators', function () {
    this.timeout(30_000);
    it('when a probe asks, then liveness and readiness answer pass as health+json without any token', async () => {
        const server = await testServer();
        for (const path of ['/healthz', '/readyz']) {
            const response = await fetch(root(server, path));
            expect(response.status).to.equal(200);
            expect(response.headers.get('content-type')).to.match(/^application\/health\+json/);
            expect(await response.json()).to.deep.equal({ status: 'pass' });
        }
    });
    it('when requests are answered, then /metrics counts them by route template, never by id or made-up path', async () => {
        const server = await testServer();
        const before = await scrape(server);
        await fetch(root(server, '/fhir/metadata'));
        await fetch(root(server, '/fhir/NoSuchType/9434765919'));
        await fetch(root(server, '/fhir/Patient/9434765919/$made-up'));
        const after = await scrape(server);
        const delta = (series) => (after.get(series) ?? 0) - (before.get(series) ?? 0);
        expect(delta('nims_http_requests_total{method="GET",route="/fhir/metadata",status="200"}')).to.equal(1);
        const routes = [...after.keys()].filter((s) => s.startsWith('nims_http_requests_total'));
        expect(routes.some((s) => s.includes('route="/fhir/:unknown/:id"'))).to.equal(true);
        expect(routes.some((s) => s.includes('route="/fhir/Patient/:id/:unknown"'))).to.equal(true);
        expect(routes.join('\n')).not.to.match(/NoSuchType|made-up|9434765919/);
        expect(after.get('nims_process_resident_memory_bytes')).to.be.greaterThan(0);
    });
    it('when the server works, then /metrics shows database command times, the cohort index and how long outbox entries wait', async () => {
        const server = await testServer();
        await create({ resourceType: 'Patient', birthDate: '1960-01-01' });
        const series = await eventually(async () => {
            const now = await scrape(server);
            // the daily batches' view is read when a scrape first finds it old, and shown by the next
            expect([...now.keys()]).to.include('nims_outbox_oldest_age_seconds{topic="gp_daily"}');
            return now;
        });
        const find = (pattern) => [...series].filter(([name]) => pattern.test(name));
        const inserts = find(/^nims_db_operation_duration_seconds_count\{.*command="insert".*collection="Patient"/);
        expect(inserts.length).to.be.greaterThan(0);
        expect(inserts.every(([name]) => /outcome="(ok|failed)"/.test(name))).to.equal(true);
        expect(series.get('nims_cohort_index_people')).to.be.greaterThan(0);
        expect(series.get('nims_cohort_index_bytes')).to.be.greaterThan(0);
        expect(series.get('nims_cohort_index_lag_seconds')).to.be.within(0, 30);
        for (const topic of ['gp', 'gp_daily'])
            expect(series.get(`nims_outbox_oldest_age_seconds{topic="${topic}"}`)).to.be.at.least(0);
        expect(series.get('nims_outbox_queued{topic="gp_daily"}')).to.be.at.least(0);
    });
    it('when METRICS_TOKEN is set, then /metrics asks for it as a bearer token', async () => {
        const server = await extraServer({ AUTH: 'off', METRICS_TOKEN: 'scrape-secret-of-this-test' });
        try {
            const without = await fetch(root(server, '/metrics'));
            expect(without.status).to.equal(401);
            expect(without.headers.get('www-authenticate')).to.equal('Bearer');
            const wrong = await fetch(root(server, '/metrics'), { headers: { authorization: 'Bearer nope' } });
            expect(wrong.status).to.equal(401);
            expect((await scrape(server, 'scrape-secret-of-this-test')).size).to.be.greaterThan(10);
        }
        finally {
            await server.stop();
        }
    });
});
//# sourceMappingURL=operator.test.js.map