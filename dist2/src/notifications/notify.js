import { NotifyClient } from 'notifications-node-client';
import { PermanentFailure, TemporaryFailure, } from './channel.js';
const NOTIFY_STATUSES = {
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
export function notifyStatus(status) {
    return NOTIFY_STATUSES[String(status)] ?? 'sending';
}
/** The HTTP status of a failed call through the Notify client (an axios error), if it got an answer. */
function httpStatus(error) {
    return error.response?.status;
}
/**
 * Text messages and emails through GOV.UK Notify (or anything that speaks its API: `POST
 * /v2/notifications/sms|email`, a JWT signed with the API key's secret), with the official client.
 * 400 and 403 (a bad number or address, a key that may not send) are permanent; 429, 5xx and no answer
 * are temporary.
 */
export class NotifyChannel {
    name;
    client;
    constructor(name, baseUrl, apiKey) {
        this.name = name;
        this.client = new NotifyClient(baseUrl.replace(/\/+$/, ''), apiKey);
    }
    async send(message) {
        const options = { personalisation: message.personalisation, reference: message.reference };
        try {
            const response = this.name === 'sms'
                ? await this.client.sendSms(message.template, message.recipient.mobile, options)
                : await this.client.sendEmail(message.template, message.recipient.email, options);
            return { providerId: response.data.id };
        }
        catch (error) {
            throw this.failure(error);
        }
    }
    async status(providerId) {
        try {
            const response = await this.client.getNotificationById(providerId);
            return notifyStatus(response.data.status);
        }
        catch (error) {
            throw this.failure(error);
        }
    }
    failure(error) {
        const status = httpStatus(error);
        const text = `GOV.UK Notify (${this.name}) answered ${status ?? 'nothing'}`;
        return status === 400 || status === 403 ? new PermanentFailure(text) : new TemporaryFailure(text);
    }
}
//# sourceMappingURL=notify.js.map