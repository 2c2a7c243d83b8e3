import { PermanentFailure, TemporaryFailure, } from './channel.js';
const STATUSES = {
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
export class NhsAppChannel {
    url;
    apiKey;
    name = 'nhs-app';
    constructor(url, apiKey) {
        this.url = url;
        this.apiKey = apiKey;
    }
    async call(path, body) {
        let response;
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
        }
        catch {
            throw new TemporaryFailure('The NHS App messaging API did not answer');
        }
        if (response.ok)
            return (await response.json());
        const text = `The NHS App messaging API answered ${response.status}`;
        throw [400, 403, 404, 422].includes(response.status)
            ? new PermanentFailure(text)
            : new TemporaryFailure(text);
    }
    async send(message) {
        const answer = await this.call('/messages', {
            nhsNumber: message.recipient.nhsNumber,
            templateId: message.template,
            personalisation: message.personalisation,
            reference: message.reference,
        });
        return { providerId: String(answer.id) };
    }
    async status(providerId) {
        const answer = await this.call(`/messages/${encodeURIComponent(providerId)}`);
        return STATUSES[String(answer.status)] ?? 'sending';
    }
}
//# sourceMappingURL=nhs-app.js.map