const realClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
/**
 * A provider's rate limit (GOV.UK Notify allows 3,000 messages a minute a key): each caller takes the
 * next free slot, `1 / perSecond` apart, and waits for it, in the order they asked.
 */
export class Limiter {
    perSecond;
    clock;
    nextSlot = 0;
    constructor(perSecond, clock = realClock) {
        this.perSecond = perSecond;
        this.clock = clock;
    }
    async take() {
        const now = this.clock.now();
        // a slot in the past is now: an idle limiter lets the next one through at once
        const slot = Math.max(now, this.nextSlot);
        this.nextSlot = slot + 1000 / this.perSecond;
        if (slot > now)
            await this.clock.sleep(slot - now);
    }
}
/** A channel held to a limiter (which channels on one provider key share). Status checks are not limited. */
export class RateLimited {
    inner;
    limiter;
    name;
    constructor(inner, limiter) {
        this.inner = inner;
        this.limiter = limiter;
        this.name = inner.name;
    }
    async send(message) {
        await this.limiter.take();
        return this.inner.send(message);
    }
    status(providerId) {
        return this.inner.status(providerId);
    }
}
//# sourceMappingURL=rate.js.map