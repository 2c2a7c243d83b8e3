import { SignJWT } from 'jose';
import { callProvider, type Accepted, type Channel, type DeliveryStatus, type Message } from './channel.js';

const NOTIFY_STATUSES: Record<string, DeliveryStatus> = {
  created: 'sending',
  sending: 'sending',
  pending: 'sending',
  sent: 'sending',
  delivered: 'delivered',
  'permanent-failure': 'permanent-failure',
  'temporary-failure': 'temporary-failure',
  'technical-failure': 'technical-failure',
};

/** A Notify status (from a status call or a callback) in the channels' vocabulary. */
export function notifyStatus(status: unknown): DeliveryStatus {
  return NOTIFY_STATUSES[String(status)] ?? 'sending';
}

/**
 * How long one signed token is used. Notify refuses a token issued more than 30 seconds from its own
 * clock; signing one per call instead took a sixth of the server's CPU in an invitation run.
 */
const TOKEN_REUSE_MS = 5_000;

/**
 * Text messages and emails through GOV.UK Notify (or anything that speaks its API): `POST
 * /v2/notifications/sms|email` and `GET /v2/notifications/{id}`, each with a JWT (HS256, `iss` the
 * service id, `iat` the time) signed with the API key's secret. The key is `{name}-{service id}-{secret}`,
 * the two ids 36 characters each. 400 and 403 (a bad number or address, a key that may not send) are
 * permanent; 429, 5xx and no answer are temporary.
 */
export class NotifyChannel implements Channel {
  private readonly serviceId: string;
  private readonly secret: Uint8Array;
  private token: { value: Promise<string>; at: number } | undefined;

  constructor(
    readonly name: 'sms' | 'email',
    private readonly baseUrl: string,
    apiKey: string,
    private readonly now: () => number = Date.now,
  ) {
    this.serviceId = apiKey.slice(-73, -37);
    this.secret = new TextEncoder().encode(apiKey.slice(-36));
  }

  private authorization(): Promise<string> {
    const now = this.now();
    if (!this.token || now - this.token.at >= TOKEN_REUSE_MS) {
      const value = new SignJWT({ iss: this.serviceId, iat: Math.floor(now / 1000) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(this.secret);
      // a signing that failed is not kept for the next calls
      value.catch(() => {
        if (this.token?.value === value) this.token = undefined;
      });
      this.token = { value, at: now };
    }
    return this.token.value;
  }

  private async call(path: string, body?: unknown): Promise<Record<string, unknown>> {
    return callProvider(`GOV.UK Notify (${this.name})`, `${this.baseUrl.replace(/\/+$/, '')}${path}`, {
      body,
      authorization: `Bearer ${await this.authorization()}`,
      permanent: [400, 403],
    });
  }

  async send(message: Message): Promise<Accepted> {
    const to =
      this.name === 'sms'
        ? { phone_number: message.recipient.mobile }
        : { email_address: message.recipient.email };
    const answer = await this.call(`/v2/notifications/${this.name}`, {
      ...to,
      template_id: message.template,
      personalisation: message.personalisation,
      reference: message.reference,
    });
    return { providerId: String(answer.id) };
  }

  async status(providerId: string): Promise<DeliveryStatus> {
    const answer = await this.call(`/v2/notifications/${encodeURIComponent(providerId)}`);
    return notifyStatus(answer.status);
  }
}
