import { expect } from 'chai';
import { crashTest } from '../crash/crash.js';
import { testServer } from './harness.js';
// The quick form of `npm run crashtest`: a few kills, so that npm test proves the same invariants.
describe('crash test (quick): SIGKILL during a load of creates and updates', function () {
    this.timeout(600_000);
    it('when the server is killed and started again mid-load, then every acknowledged write is stored once with its history and every message reaches the GP system once', async () => {
        const main = await testServer();
        const report = await crashTest({
            mongodbUri: main.embedded.uri,
            dbName: 'nims_crash_test',
            writes: 300,
            kills: 3,
            clients: 4,
            seed: 20261202,
        });
        expect(report.violations.join('\n')).to.equal('');
        expect(report.kills).to.equal(3);
        expect(report.writes).to.equal(300);
        expect(report.versions).to.equal(300);
        expect(report.taken).to.equal(report.messages);
    });
});
//# sourceMappingURL=crash.test.js.map