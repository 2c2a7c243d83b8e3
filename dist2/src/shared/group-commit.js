/**
 * Group commit: items submitted under one key while `parallel` commits of that key are under way are
 * committed together by the next one. Under load many requests share each round trip to the database; a
 * request that comes alone is committed at once, waiting for nobody.
 */
export class GroupCommit {
    commit;
    parallel;
    maxItems;
    lanes = new Map();
    constructor(
    /** Commits items of one key; answers one result per item, in their order. */
    commit, parallel = 2, maxItems = 250) {
        this.commit = commit;
        this.parallel = parallel;
        this.maxItems = maxItems;
    }
    submit(key, item) {
        return new Promise((resolve, reject) => {
            let lane = this.lanes.get(key);
            if (!lane) {
                lane = { queue: [], running: 0 };
                this.lanes.set(key, lane);
            }
            lane.queue.push({ item, resolve, reject });
            if (lane.running < this.parallel)
                void this.drain(key, lane);
        });
    }
    async drain(key, lane) {
        lane.running++;
        while (lane.queue.length > 0) {
            const group = lane.queue.splice(0, this.maxItems);
            try {
                const results = await this.commit(key, group.map((w) => w.item));
                group.forEach((w, i) => w.resolve(results[i]));
            }
            catch (error) {
                for (const w of group)
                    w.reject(error);
            }
        }
        lane.running--;
        if (lane.running === 0)
            this.lanes.delete(key);
    }
}
//# sourceMappingURL=group-commit.js.map