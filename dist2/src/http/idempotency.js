import { createHash } from 'node:crypto';
import { FhirError, fail } from '../fhir/errors.js';
import { Expiry } from '../store/expiry.js';
import { isDuplicateKey } from '../store/mongo-errors.js';
/** How long a key holds its answer. */
const KEEP_MS = 24 * 3_600_000;
/** How long a second request with the same key waits for the first to finish. */
const WAIT_MS = 30_000;
/** A first request that names no process (an older key) and is unfinished after this long has died. */
const ABANDONED_MS = 120_000;
/** Answers that say "try again" (a conflict with a write under way, too many requests): not kept. */
const RETRYABLE = new Set([409, 429]);
/** The fingerprint of a request: the same method, path and body make the same. */
export function fingerprintOf(method, url, body) {
    return createHash('sha256')
        .update(`${method} ${url}\n`)
        .update(body ?? Buffer.alloc(0))
        .digest('hex');
}
/**
 * Idempotent writes: a client's request carrying a key (`Idempotency-Key`, or `X-Request-ID`) is done
 * once; the same key from the same client within 24 hours answers what the first answered and writes
 * nothing, even when both arrive at once on two server processes: the key is claimed by inserting it
 * (`_id`, unique in the store), and the loser waits for the winner's answer. A 4xx answer is kept like a
 * success, except 409 and 429, which ask for a retry; those and a 5xx (the database away, say) free the
 * key for the retry, and so does the death of the process that ran the first request (killed before it
 * answered): the next request with the key runs.
 */
export class IdempotentRequests {
    processes;
    keys;
    expiry;
    constructor(db, processes) {
        this.processes = processes;
        this.keys = db.collection('idempotency_keys');
        this.expiry = new Expiry(this.keys);
    }
    /** Runs the request once for its key; answers its result and whether it is a repeat of an earlier one. */
    async once(key, fingerprint, run) {
        this.expiry.touch();
        while (!(await this.claim(key, fingerprint))) {
            const answer = await this.answerOf(key, fingerprint);
            if (answer)
                return { result: replay(answer), replayed: true };
            // the first request will never answer (its process died, or it failed): this one runs
        }
        let answer;
        try {
            const result = await run();
            answer = {
                result: {
                    status: result.status,
                    ...(result.stored ? { stored: result.stored } : {}),
                    ...(result.body ? { body: result.body } : {}),
                },
            };
            await this.keys.updateOne({ _id: key }, { $set: { answer } });
            return { result, replayed: false };
        }
        catch (error) {
            if (error instanceof FhirError && error.status < 500 && !RETRYABLE.has(error.status)) {
                answer = { error: { problems: error.problems, headers: error.headers } };
                await this.keys.updateOne({ _id: key }, { $set: { answer } });
            }
            else
                await this.keys.deleteOne({ _id: key, answer: { $exists: false } });
            throw error;
        }
    }
    /** Takes the key for this request; false when another request holds it (or held it: its answer is kept). */
    async claim(key, fingerprint) {
        const now = new Date();
        try {
            await this.keys.insertOne({
                _id: key,
                fingerprint,
                holder: this.processes.self,
                startedAt: now,
                expires: new Date(now.getTime() + KEEP_MS),
            });
            return true;
        }
        catch (error) {
            if (!isDuplicateKey(error))
                throw error;
        }
        const held = await this.keys.findOne({ _id: key });
        if (!held)
            return this.claim(key, fingerprint);
        if (held.fingerprint !== fingerprint)
            fail('idempotency-key-reused', 'This key was used for another request; send a new key for a new request');
        // a first request that will never finish (its process died): this one takes the key over
        if (!held.answer && !(await this.underWay(held))) {
            const taken = await this.keys.updateOne({ _id: key, startedAt: held.startedAt }, { $set: { startedAt: now, holder: this.processes.self } });
            return taken.modifiedCount === 1;
        }
        return false;
    }
    /** Whether the request that holds a key unanswered may still answer: its process is alive. */
    async underWay(held) {
        if (held.holder !== undefined)
            return this.processes.alive(held.holder);
        return Date.now() - held.startedAt.getTime() <= ABANDONED_MS;
    }
    /**
     * The first request's answer, waited for while it is still being worked out; undefined when it will
     * not come (the key was let go, or its holder died), so the key can be claimed again.
     */
    async answerOf(key, fingerprint) {
        const deadline = Date.now() + WAIT_MS;
        for (;;) {
            const held = await this.keys.findOne({ _id: key });
            if (!held)
                return undefined;
            if (held.fingerprint !== fingerprint)
                fail('idempotency-key-reused', 'This key was used for another request; send a new key for a new request');
            if (held.answer)
                return held.answer;
            if (!(await this.underWay(held)))
                return undefined;
            if (Date.now() > deadline)
                fail('version-conflict', 'The first request with this key has not finished; try again shortly');
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }
}
/** An earlier answer given again: its result, or its error thrown again. */
function replay(answer) {
    if ('error' in answer)
        throw new FhirError(answer.error.problems, { ...answer.error.headers, 'Idempotent-Replayed': 'true' });
    return answer.result;
}
//# sourceMappingURL=idempotency.js.map