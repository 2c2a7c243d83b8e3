import { expect } from 'chai';
import { fuzzHttp, invalidStored } from '../fuzz/http.js';
import { extraServer, tokenFor } from './harness.js';
describe('fuzzing the HTTP surface (a short run; npm run fuzz for a long one)', function () {
    this.timeout(300_000);
    let server;
    // its own server and database: what the fuzzing starts (scans, exports) ends with it
    before(async () => {
        server = await extraServer({ MONGODB_DB: 'nims_fuzz_test' });
    });
    after(() => server?.stop());
    it('when hundreds of random and mutated requests arrive, then none is answered 500 or leaks, and what was stored is valid', async () => {
        const token = await tokenFor('system/*.cruds', undefined, server);
        const runs = Number(process.env.FUZZ_RUNS ?? 400);
        // a fixed seed: the same requests every run (npm run fuzz draws new ones)
        const report = await fuzzHttp(server.url, token, runs, { seed: 20261202 });
        expect(report.requests).to.equal(runs);
        expect(await invalidStored(report.created, token)).to.deep.equal([]);
        // the server still answers
        expect((await fetch(`${server.url}/metadata`)).status).to.equal(200);
    });
});
//# sourceMappingURL=fuzz.test.js.map