import {
  PermanentFailure,
  TemporaryFailure,
  type Accepted,
  type Channel,
  type DeliveryStatus,
  type Message,
} from './channel.js';

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

  private async call(path: string, body?: unknown): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/+$/, '')}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new TemporaryFailure('The NHS App messaging API did not answer');
    }
    if (response.ok) return (await response.json()) as Record<string, unknown>;
    const text = `The NHS App messaging API answered ${response.status}`;
    throw [400, 403, 404, 422].includes(response.status)
      ? new PermanentFailure(text)
      : new TemporaryFailure(text);
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
