import { connect } from 'node:net';
import { expect } from 'chai';
import { extraServer } from './harness.js';
let server;
/** Sends `text` on a raw connection and answers what comes back before the server closes it (or 8 s). */
function rawExchange(text) {
    const url = new URL(server.url);
    const started = Date.now();
    return new Promise((resolve) => {
        let answer = '';
        const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
        const done = () => resolve({ answer, seconds: (Date.now() - started) / 1000 });
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('close', done);
        socket.on('error', done);
        setTimeout(() => socket.destroy(), 8000);
    });
}
describe('slow clients: header and request timeouts', function () {
    this.timeout(30_000);
    before(async () => {
        server = await extraServer({
            MONGODB_DB: 'nims_slow_test',
            AUTH: 'off',
            HEADERS_TIMEOUT_SECONDS: '1',
            REQUEST_TIMEOUT_SECONDS: '2',
        });
    });
    after(() => server?.stop());
    it('when a client sends its headers too slowly, then it gets 408 and is cut off while others are served', async () => {
        const slow = rawExchange('GET /fhir/metadata HTTP/1.1\r\nHost: localhost\r\n');
        const other = await fetch(`${server.url}/metadata`);
        expect(other.status).to.equal(200);
        const { answer, seconds } = await slow;
        expect(answer).to.match(/^HTTP\/1\.1 408/);
        expect(seconds).to.be.lessThan(5);
    });
    it('when a client sends its body too slowly, then it gets 408 and nothing is stored', async () => {
        const { answer, seconds } = await rawExchange('POST /fhir/Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\nContent-Length: 500\r\n\r\n{"resourceType":"Patient",');
        expect(answer).to.match(/^HTTP\/1\.1 408/);
        expect(seconds).to.be.lessThan(6);
        const stored = (await (await fetch(`${server.url}/Patient?_summary=count`)).json());
        expect(stored.total).to.equal(0);
    });
});
//# sourceMappingURL=slow-clients.test.js.map