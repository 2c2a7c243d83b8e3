// Loaded by mocha before any test file (see .mocharc.json).
process.env.LOG_LEVEL ??= 'silent';
export const mochaHooks = {
    async afterAll() {
        const { stopTestServer } = await import('./integration/harness.js');
        await stopTestServer();
    },
};
//# sourceMappingURL=setup.js.map