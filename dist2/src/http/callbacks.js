import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { notifyStatus } from '../notifications/notify.js';
import { logger } from '../shared/logger.js';
function sameSecret(given, expected) {
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
}
/**
 * Delivery receipts from GOV.UK Notify: `POST /callbacks/notify` with the bearer token set in Notify's
 * callback settings (NOTIFY_CALLBACK_TOKEN) and its JSON (id, reference, status, ...). A receipt settles
 * the message at once, instead of at the next status poll.
 */
export function callbackRoutes(token, invitations) {
    const router = express.Router();
    router.post('/callbacks/notify', express.json({ limit: '16kb' }), (request, response) => {
        const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
        if (!sameSecret(given, token))
            return void response.status(401).json({ error: 'unauthorised' });
        const body = request.body;
        if (typeof body.id !== 'string' || typeof body.reference !== 'string')
            return void response.status(400).json({ error: 'id and reference are required' });
        invitations
            .reported(body.reference, body.id, notifyStatus(body.status))
            // Notify retries what is not acknowledged: an unknown message is acknowledged all the same
            .then(() => response.status(204).end())
            .catch((error) => {
            logger.error('notify callback failed', { error: String(error) });
            response.status(503).end();
        });
    });
    return router;
}
//# sourceMappingURL=callbacks.js.map