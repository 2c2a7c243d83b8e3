import { logger } from '../shared/logger.js';
import type { Accepted, Channel, ChannelName, DeliveryStatus, Message } from './channel.js';

/**
 * A channel with no provider behind it: it keeps what it would have sent (in memory, for tests and for
 * looking at) and logs only the reference, never the person. Used for every channel nims is not
 * configured to reach, so a development server invites without contacting anyone.
 */
export class RecordingChannel implements Channel {
  readonly sent: Message[] = [];

  constructor(readonly name: ChannelName) {}

  send(message: Message): Promise<Accepted> {
    this.sent.push(message);
    logger.info('message recorded, not sent', { channel: this.name, reference: message.reference });
    return Promise.resolve({ providerId: `recorded-${this.sent.length}`, status: 'delivered' });
  }

  status(): Promise<DeliveryStatus> {
    return Promise.resolve('delivered');
  }
}
