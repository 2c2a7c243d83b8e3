import { logger } from '../shared/logger.js';
/**
 * A channel with no provider behind it: it keeps what it would have sent (in memory, for tests and for
 * looking at) and logs only the reference, never the person. Used for every channel nims is not
 * configured to reach, so a development server invites without contacting anyone.
 */
export class RecordingChannel {
    name;
    sent = [];
    constructor(name) {
        this.name = name;
    }
    send(message) {
        this.sent.push(message);
        logger.info('message recorded, not sent', { channel: this.name, reference: message.reference });
        return Promise.resolve({ providerId: `recorded-${this.sent.length}`, status: 'delivered' });
    }
    status() {
        return Promise.resolve('delivered');
    }
}
//# sourceMappingURL=recording.js.map