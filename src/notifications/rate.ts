import type { Accepted, Channel, DeliveryStatus, Message } from './channel.js';

/** A clock a limiter waits on: the real one, or a test's. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A provider's rate limit (GOV.UK Notify allows 3,000 messages a minute a key): each caller takes the
 * next free slot, `1 / perSecond` apart, and waits for it, in the order they asked.
 */
export class Limiter {
  private nextSlot = 0;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock = realClock,
  ) {}

  async take(): Promise<void> {
    const now = this.clock.now();
    // a slot in the past is now: an idle limiter lets the next one through at once
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / this.perSecond;
    if (slot > now) await this.clock.sleep(slot - now);
  }
}

/** A channel held to a limiter (which channels on one provider key share). Status checks are not limited. */
export class RateLimited implements Channel {
  readonly name;

  constructor(
    private readonly inner: Channel,
    private readonly limiter: Limiter,
  ) {
    this.name = inner.name;
  }

  async send(message: Message): Promise<Accepted> {
    await this.limiter.take();
    return this.inner.send(message);
  }

  status(providerId: string): Promise<DeliveryStatus> {
    return this.inner.status(providerId);
  }
}
