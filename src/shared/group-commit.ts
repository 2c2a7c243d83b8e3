interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<T, R> {
  queue: Waiting<T, R>[];
  running: number;
}

/**
 * Group commit: items submitted under one key while `parallel` commits of that key are under way are
 * committed together by the next one. Under load many requests share each round trip to the database; a
 * request that comes alone is committed at once, waiting for nobody.
 */
export class GroupCommit<T, R> {
  private readonly lanes = new Map<string, Lane<T, R>>();

  constructor(
    /** Commits items of one key; answers one result per item, in their order. */
    private readonly commit: (key: string, items: T[]) => Promise<R[]>,
    private readonly parallel = 2,
    private readonly maxItems = 250,
  ) {}

  submit(key: string, item: T): Promise<R> {
    return this.submitAll(key, [item]).then(([result]) => result!);
  }

  /** Several items at once: they are committed together (split only beyond `maxItems`). */
  submitAll(key: string, items: T[]): Promise<R[]> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queue: [], running: 0 };
      this.lanes.set(key, lane);
    }
    const queue = lane.queue;
    const results = items.map(
      (item) => new Promise<R>((resolve, reject) => queue.push({ item, resolve, reject })),
    );
    if (lane.running < this.parallel) void this.drain(key, lane);
    return Promise.all(results);
  }

  private async drain(key: string, lane: Lane<T, R>): Promise<void> {
    lane.running++;
    while (lane.queue.length > 0) {
      const group = lane.queue.splice(0, this.maxItems);
      try {
        const results = await this.commit(
          key,
          group.map((w) => w.item),
        );
        group.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    lane.running--;
    if (lane.running === 0) this.lanes.delete(key);
  }
}
