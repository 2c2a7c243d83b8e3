// A GOV.UK Notify-shaped server for tests, on a free local port: it checks the JWT as Notify does (HS256
// with the API key's secret, iss the service id, iat within 30 seconds), keeps what it is sent, and
// answers with the failures a test asks for.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { jwtVerify } from 'jose';
async function body(request) {
    const chunks = [];
    for await (const chunk of request)
        chunks.push(chunk);
    return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}
export async function startFakeNotify() {
    const serviceId = randomUUID();
    const secret = randomUUID();
    const fake = {
        url: '',
        apiKey: `nims_test-${serviceId}-${secret}`,
        sent: [],
        rules: new Map(),
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
    const server = createServer((request, response) => {
        const answer = (status, payload) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(payload));
        };
        void (async () => {
            if (fake.down)
                return answer(fake.down, { status_code: fake.down, errors: [{ error: 'Down' }] });
            const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
            try {
                const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
                    algorithms: ['HS256'],
                });
                if (payload.iss !== serviceId || Math.abs(Date.now() / 1000 - (payload.iat ?? 0)) > 30)
                    throw new Error();
            }
            catch {
                return answer(403, { status_code: 403, errors: [{ error: 'AuthError', message: 'Invalid token' }] });
            }
            const send = /^\/v2\/notifications\/(sms|email)$/.exec(request.url ?? '');
            if (request.method === 'POST' && send) {
                const type = send[1];
                if (fake.delayMs)
                    await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
                const payload = await body(request);
                const to = String(type === 'sms' ? payload.phone_number : payload.email_address);
                const rule = fake.rules.get(to);
                if (rule?.sendStatus)
                    return answer(rule.sendStatus, {
                        status_code: rule.sendStatus,
                        errors: [{ error: 'BadRequestError' }],
                    });
                const notification = {
                    id: randomUUID(),
                    type,
                    to,
                    template: String(payload.template_id),
                    personalisation: (payload.personalisation ?? {}),
                    ...(typeof payload.reference === 'string' ? { reference: payload.reference } : {}),
                    status: rule?.deliveryStatus ?? 'delivered',
                };
                fake.sent.push(notification);
                return answer(201, {
                    id: notification.id,
                    reference: notification.reference ?? null,
                    template: { id: notification.template },
                });
            }
            const status = /^\/v2\/notifications\/([0-9a-f-]{36})$/.exec(request.url ?? '');
            if (request.method === 'GET' && status) {
                const found = fake.sent.find((n) => n.id === status[1]);
                return found
                    ? answer(200, { id: found.id, type: found.type, status: found.status, reference: found.reference })
                    : answer(404, { status_code: 404, errors: [{ error: 'NoResultFound' }] });
            }
            return answer(404, { status_code: 404, errors: [{ error: 'NotFound' }] });
        })();
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${server.address().port}`;
    return fake;
}
//# sourceMappingURL=notify.js.map