import { callProvider, type Accepted, type Channel, type DeliveryStatus, type Message } from './channel.js';

const STATUSES: Record<string, DeliveryStatus> = {
  accepted: 'sending',
  sending: 'sending',
  delivered: 'delivered',
  read: 'delivered',
  failed: 'permanent-failure',
  'not-registered': 'permanent-failure',
};

/**
 * In-app messages through an NHS App messaging API: `POST {url}/messages` with the NHS number, template,
 * personalisation and reference (201 with the message id; 404 or 422 when the person cannot receive
 * them), `GET {url}/messages/{id}` for its status (accepted, sending, delivered, read, failed).
 */
export class NhsAppChannel implements Channel {
  readonly name = 'nhs-app' as const;

  constructor(
    private readonly url: string,
    private readonly apiKey?: string,
  ) {}

  private call(path: string, body?: unknown): Promise<Record<string, unknown>> {
    return callProvider('The NHS App messaging API', `${this.url.replace(/\/+$/, '')}${path}`, {
      body,
      ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      permanent: [400, 403, 404, 422],
    });
  }

  async send(message: Message): Promise<Accepted> {
    const answer = await this.call('/messages', {
      nhsNumber: message.recipient.nhsNumber,
      templateId: message.template,
      personalisation: message.personalisation,
      reference: message.reference,
    });
    return { providerId: String(answer.id) };
  }

  async status(providerId: string): Promise<DeliveryStatus> {
    const answer = await this.call(`/messages/${encodeURIComponent(providerId)}`);
    return STATUSES[String(answer.status)] ?? 'sending';
  }
}
