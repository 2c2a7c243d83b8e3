import { expect } from 'chai';
import { metrics, outboxOldestAge } from '../../src/shared/metrics.js';
describe('metrics read at scrape time', () => {
    it('when two parts watch the same labels and the later stops, then the earlier is read again', async () => {
        const topic = `test-${Date.now()}`;
        const value = async () => (await metrics.getSingleMetric('nims_outbox_oldest_age_seconds').get()).values.find((v) => v.labels.topic === topic)?.value;
        const stopFirst = outboxOldestAge.watch({ topic }, () => 1);
        const stopSecond = outboxOldestAge.watch({ topic }, () => 2);
        expect(await value()).to.equal(2);
        stopSecond();
        expect(await value()).to.equal(1);
        stopFirst();
        expect(await value()).to.equal(undefined);
    });
});
//# sourceMappingURL=metrics.test.js.map