import { request } from 'node:http';
import { expect } from 'chai';
import { patient } from '../../fixtures/records.js';
import { startServerProcess } from '../../bench/support.js';
import { testServer } from './harness.js';
describe('graceful shutdown on SIGTERM', function () {
    this.timeout(60_000);
    let server;
    before(async () => {
        const main = await testServer();
        server = await startServerProcess(main.embedded.uri, {
            AUTH: 'off',
            AUDIT: 'off',
            MONGODB_DB: 'nims_shutdown_test',
            DRAIN_SECONDS: '20',
        });
    });
    after(() => server?.stop());
    it('when SIGTERM arrives during a request, then that request finishes, new ones are refused, and the process exits 0', async () => {
        const body = JSON.stringify(patient(1, 55));
        let refused;
        const url = new URL(`${server.url}/Patient`);
        // a client that has sent half its body when the signal comes
        const answer = new Promise((resolve, reject) => {
            const call = request({
                host: url.hostname,
                port: url.port,
                path: url.pathname,
                method: 'POST',
                headers: { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(body) },
            }, (response) => {
                let text = '';
                response.on('data', (chunk) => (text += chunk.toString()));
                response.on('end', () => resolve({ status: response.statusCode, text }));
            });
            call.on('error', reject);
            call.write(body.slice(0, 20));
            setTimeout(() => {
                server.process.kill('SIGTERM');
                setTimeout(() => {
                    // no new connection is taken while the one under way finishes
                    void fetch(`${server.url}/metadata`)
                        .then(() => false, () => true)
                        .then((answer) => {
                        refused = answer;
                        call.end(body.slice(20));
                    });
                }, 500);
            }, 300);
        });
        const exited = new Promise((resolve) => server.process.once('exit', resolve));
        const { status, text } = await answer;
        expect(refused).to.equal(true);
        expect(status, text).to.equal(201);
        expect(await exited).to.equal(0);
    });
});
//# sourceMappingURL=shutdown.test.js.map