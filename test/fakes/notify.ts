// A GOV.UK Notify-shaped server for tests, on a free local port: it checks the JWT as Notify does (HS256
// with the API key's secret, iss the service id, iat within 30 seconds), keeps what it is sent, and
// answers with the failures a test asks for.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

export interface SentNotification {
  id: string;
  type: 'sms' | 'email';
  to: string;
  template: string;
  personalisation: Record<string, string>;
  reference?: string;
  status: string;
  /** When the token it came with was issued (its `iat`, epoch seconds). */
  issuedAt: number;
  /** When it was taken (`performance.now()`). */
  at: number;
}

export interface FakeNotify {
  url: string;
  apiKey: string;
  sent: SentNotification[];
  /** What to answer for a recipient: an HTTP status at send, or the delivery status it ends in. */
  rules: Map<string, { sendStatus?: number; deliveryStatus?: string }>;
  /** Answer every request with this status while set (the gateway is down). */
  down?: number;
  /** Take this long over each message (a slow gateway). */
  delayMs?: number;
  /** While set, each message waits for it before it is taken (counted in `waiting`). */
  gate?: Promise<void>;
  waiting: number;
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
}

export async function startFakeNotify(): Promise<FakeNotify> {
  const serviceId = randomUUID();
  const secret = randomUUID();
  const fake: FakeNotify = {
    url: '',
    apiKey: `nims_test-${serviceId}-${secret}`,
    sent: [],
    rules: new Map(),
    waiting: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  // status calls look messages up by id: a benchmark's gateway holds a hundred thousand
  const byId = new Map<string, SentNotification>();
  const server: Server = createServer((request, response) => {
    const answer = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    void (async () => {
      if (fake.down) return answer(fake.down, { status_code: fake.down, errors: [{ error: 'Down' }] });
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      let issuedAt: number;
      try {
        const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
          algorithms: ['HS256'],
        });
        issuedAt = payload.iat ?? 0;
        if (payload.iss !== serviceId || Math.abs(Date.now() / 1000 - issuedAt) > 30) throw new Error();
      } catch {
        return answer(403, { status_code: 403, errors: [{ error: 'AuthError', message: 'Invalid token' }] });
      }
      const send = /^\/v2\/notifications\/(sms|email)$/.exec(request.url ?? '');
      if (request.method === 'POST' && send) {
        const type = send[1] as 'sms' | 'email';
        if (fake.delayMs) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
        if (fake.gate) {
          fake.waiting++;
          await fake.gate;
          fake.waiting--;
        }
        const payload = await body(request);
        const to = String(type === 'sms' ? payload.phone_number : payload.email_address);
        const rule = fake.rules.get(to);
        if (rule?.sendStatus)
          return answer(rule.sendStatus, {
            status_code: rule.sendStatus,
            errors: [{ error: 'BadRequestError' }],
          });
        const notification: SentNotification = {
          id: randomUUID(),
          type,
          to,
          template: String(payload.template_id),
          personalisation: (payload.personalisation ?? {}) as Record<string, string>,
          ...(typeof payload.reference === 'string' ? { reference: payload.reference } : {}),
          status: rule?.deliveryStatus ?? 'delivered',
          issuedAt,
          at: performance.now(),
        };
        fake.sent.push(notification);
        byId.set(notification.id, notification);
        return answer(201, {
          id: notification.id,
          reference: notification.reference ?? null,
          template: { id: notification.template },
        });
      }
      const status = /^\/v2\/notifications\/([0-9a-f-]{36})$/.exec(request.url ?? '');
      if (request.method === 'GET' && status) {
        const found = byId.get(status[1]!);
        return found
          ? answer(200, { id: found.id, type: found.type, status: found.status, reference: found.reference })
          : answer(404, { status_code: 404, errors: [{ error: 'NoResultFound' }] });
      }
      return answer(404, { status_code: 404, errors: [{ error: 'NotFound' }] });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
