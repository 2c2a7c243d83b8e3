import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';
import { PROJECT_ROOT } from '../../src/server.js';
import { requestToken, testServer } from './harness.js';
const run = promisify(execFile);
/** Runs the built `npm run client` command against the test run's database. */
async function clientCommand(args) {
    const server = await testServer();
    const { stdout } = await run(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'cli', 'client.js'), ...args], {
        env: { ...process.env, MONGODB_URI: server.embedded.uri, MONGODB_DB: 'nims_test' },
    });
    return stdout;
}
describe('npm run client', function () {
    this.timeout(30_000);
    let dir;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), 'nims-client-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    it('when a client is added with a role and a JWKS file, then its id comes alone on the last line and it can get a token', async () => {
        const { publicKey, privateKey } = await generateKeyPair('ES384');
        const jwksFile = join(dir, 'jwks.json');
        writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384' }] }));
        const output = await clientCommand([
            'add',
            '--name',
            'Practice A81001',
            '--role',
            'gp-system',
            '--practice',
            'A81001',
            '--jwks',
            jwksFile,
        ]);
        const id = output.trim().split('\n').pop();
        expect(id).to.match(/^[0-9a-f-]{36}$/);
        const server = await testServer();
        const registered = {
            id,
            kid: 'k1',
            alg: 'ES384',
            privateKey,
            tokenUrl: server.url.replace(/\/fhir$/, '/auth/token'),
        };
        const { status, body } = await requestToken(registered, 'system/*.rs');
        expect(status).to.equal(200);
        expect(body.scope).to.equal('system/Patient.rs system/Immunization.rs system/Communication.rs system/Organization.rs');
        expect(await clientCommand(['list'])).to.match(new RegExp(`^${id}\\tactive\\tPractice A81001\\tgp-system\\tA81001`, 'm'));
        await clientCommand(['disable', '--id', id]);
        expect(await clientCommand(['list'])).to.match(new RegExp(`^${id}\\tdisabled`, 'm'));
    });
    it('when the registration is wrong, then the command fails saying why and registers nothing', async () => {
        const privateJwks = join(dir, 'private.json');
        const { privateKey } = await generateKeyPair('ES384', { extractable: true });
        writeFileSync(privateJwks, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
        const failures = [
            [
                ['add', '--name', 'x', '--role', 'gp-system', '--jwks-uri', 'https://keys.example.org/jwks'],
                /needs --practice/,
            ],
            [
                ['add', '--name', 'x', '--role', 'wizard', '--jwks-uri', 'https://keys.example.org/jwks'],
                /unknown role/,
            ],
            [
                ['add', '--name', 'x', '--scopes', 'patient/*.read', '--jwks-uri', 'https://keys.example.org/jwks'],
                /not system scopes/,
            ],
            [['add', '--name', 'x', '--role', 'auditor', '--jwks', privateJwks], /public keys only/],
        ];
        const before = await clientCommand(['list']);
        for (const [args, message] of failures) {
            const error = await clientCommand(args).then(() => undefined, (e) => e);
            expect(error?.code, args.join(' ')).to.equal(1);
            expect(error.stderr).to.match(message);
        }
        expect(await clientCommand(['list'])).to.equal(before);
    });
});
//# sourceMappingURL=client-command.test.js.map