import { expect } from 'chai';
import { testServer } from './harness.js';

describe('storage', () => {
  it('when a document is looked up by _id on the embedded FerretDB, then SQLite searches the _id index', async function () {
    const { database } = await testServer();
    if (!database.isFerretDb) this.skip();
    const plan = (await database.db
      .collection<{ _id: string }>('Patient')
      .find({ _id: 'any-id' })
      .explain()) as { queryPlanner?: { Plan?: string[] } };
    expect(plan.queryPlanner?.Plan?.join(' ')).to.match(/SEARCH .* USING INDEX/);
  });
});
