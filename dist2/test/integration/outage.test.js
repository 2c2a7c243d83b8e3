import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT, startServer } from '../../src/server.js';
import { errorCode } from './harness.js';
describe('database outage', () => {
    let server;
    let dataDir;
    before(async () => {
        dataDir = mkdtempSync(join(tmpdir(), 'nims-outage-'));
        server = await startServer({
            ...loadConfig({ AUTH: 'off', MLLP_PORT: '0' }, PROJECT_ROOT),
            port: 0,
            host: '127.0.0.1',
            dataDir,
            dbName: 'outage',
        });
    });
    after(async () => {
        // the audit trail cannot be written to a stopped database: give up on it quickly
        await server.stop({ auditDeadlineMs: 100 });
        rmSync(dataDir, { recursive: true, force: true });
    });
    it('when the database goes away, then requests answer 503 with Retry-After, and the server keeps running', async () => {
        expect((await fetch(`${server.url}/Patient?family=x`)).status).to.equal(200);
        await server.embedded.stop();
        const response = await fetch(`${server.url}/Patient/anyone`);
        expect(response.status).to.equal(503);
        expect(response.headers.get('retry-after')).to.equal('5');
        const body = (await response.json());
        expect(errorCode(body)).to.equal('database-unavailable');
        expect(JSON.stringify(body)).to.not.match(/Mongo|ECONNREFUSED|127\\.0\\.0\\.1/);
        expect((await fetch(`${server.url}/metadata`)).status).to.equal(200);
    });
});
//# sourceMappingURL=outage.test.js.map