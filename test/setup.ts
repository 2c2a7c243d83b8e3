// Loaded by mocha before any test file (see .mocharc.json).
process.env.LOG_LEVEL ??= 'silent';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    const { stopTestServer } = await import('./integration/harness.js');
    await stopTestServer();
  },
};
