import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { SERVER_CONTEXT } from '../fhir/service.js';
import { isChild, recipientOf } from '../notifications/recipient.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { logger } from '../shared/logger.js';
import { Expiry } from '../store/expiry.js';
import { currentChoice, preferenceConsent } from './consent.js';
import { detailsProblem, findPerson } from './matching.js';
/** The steps of the journey, as the audit trail names them. */
export const PREFERENCE_STEP_SYSTEM = `${NIMS_BASE}/CodeSystem/preference-step`;
/** Tries of one code. */
const CODE_TRIES = 3;
/** How long a verification (from the details to the choice) lasts. */
const VERIFICATION_MS = 30 * 60_000;
/** Identity checks an hour from one IP address (a helpline agent counts apart from the public). */
const CHECKS_PER_ADDRESS_HOUR = 20;
/** Codes an hour sent to one person. */
const CODES_PER_PERSON_HOUR = 3;
/** Why a step did not go on, in words the page and the API both use. */
export class PreferenceRefusal extends Error {
    reason;
    details;
    constructor(reason, message, details = {}) {
        super(message);
        this.reason = reason;
        this.details = details;
    }
}
/** The one message for every reason a person is not found: it never says whether someone exists. */
export const NOT_FOUND_MESSAGE = 'We could not confirm your details. Check what you entered, or call the helpline on 119 to set your preference by phone.';
const LOCKED = 'You have entered the wrong code too many times. Ask for a new code.';
/** A phone number or email address shown with most of it hidden: `07*** ***123`, `j***@e***.com`. */
export function masked(destination, value) {
    if (destination === 'sms') {
        const digits = value.replace(/\D/g, '').replace(/^44/, '0');
        return `${digits.slice(0, 2)}*** ***${digits.slice(-3)}`;
    }
    const [local = '', domain = ''] = value.split('@');
    const dot = domain.lastIndexOf('.');
    return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***${dot >= 0 ? domain.slice(dot) : ''}`;
}
const sha256 = (value) => createHash('sha256').update(value).digest('hex');
const hour = (now) => now.toISOString().slice(0, 13);
/**
 * The COVID-19 invitation preference service: finds the person from what they type, sends a one-time code
 * to the mobile or email on their record, and once the code is confirmed records their choice as a
 * Consent. Codes are kept only as salted hashes, for `codeSeconds`, for three tries; checks are limited
 * per IP address and codes per person. Every step leaves an AuditEvent (time, address, step, outcome).
 */
export class PreferenceService {
    service;
    channels;
    settings;
    audit;
    now;
    verifications;
    counters;
    /** Verifications and counters go once expired: nothing of a person's check stays longer than needed. */
    expiries;
    constructor(db, service, channels, settings, audit, now = () => new Date()) {
        this.service = service;
        this.channels = channels;
        this.settings = settings;
        this.audit = audit;
        this.now = now;
        this.verifications = db.collection('preference_verifications');
        this.counters = db.collection('preference_counters');
        this.expiries = [new Expiry(this.verifications), new Expiry(this.counters)];
    }
    /**
     * Step 1: the person's details. Answers a handle for the next steps and where a code can go (masked),
     * or refuses with the same `not-found` whatever the reason (no one, several, under 16, no way to
     * reach them).
     */
    async verify(details, origin) {
        for (const expiry of this.expiries)
            expiry.touch();
        return this.step('verify-identity', origin, undefined, async () => {
            await this.limit(`address|${origin.actor?.id ?? ''}|${origin.address ?? ''}`, CHECKS_PER_ADDRESS_HOUR);
            const problem = detailsProblem(details);
            if (problem)
                throw new PreferenceRefusal('invalid-details', problem);
            const person = await findPerson(this.service, details);
            const recipient = person ? recipientOf(person, this.now()) : undefined;
            const reachable = ['sms', 'email'].filter((kind) => kind === 'sms' ? recipient?.mobile : recipient?.email);
            if (!person)
                return this.notFound('no single match');
            if (isChild(person, this.now()))
                return this.notFound('under 16', person.id);
            if (reachable.length === 0)
                return this.notFound('no mobile or email on record', person.id);
            const handle = randomBytes(32).toString('base64url');
            await this.verifications.insertOne({
                _id: sha256(handle),
                patient: person.id,
                destinations: reachable,
                expires: new Date(this.now().getTime() + VERIFICATION_MS),
            });
            return {
                result: {
                    handle,
                    destinations: reachable.map((kind) => ({
                        kind,
                        masked: masked(kind, kind === 'sms' ? recipient.mobile : recipient.email),
                    })),
                },
                outcome: 'matched',
                patient: person.id,
            };
        });
    }
    notFound(why, patient) {
        throw new PreferenceRefusal('not-found', NOT_FOUND_MESSAGE, {
            auditReason: why,
            ...(patient ? { auditPatient: patient } : {}),
        });
    }
    /** Step 2: a new six-digit code to the chosen destination (an earlier code stops working). */
    async sendCode(handle, destination, origin) {
        const verification = await this.open(handle, 'send-code', origin);
        return this.step('send-code', origin, verification.patient, async () => {
            if (!verification.destinations.includes(destination))
                throw new PreferenceRefusal('invalid-details', 'Choose where to send the code');
            await this.limit(`person|${verification.patient}`, CODES_PER_PERSON_HOUR);
            const patient = (await this.service.readIfExists('Patient', verification.patient))?.resource;
            const recipient = patient ? recipientOf(patient, this.now()) : undefined;
            const to = destination === 'sms' ? recipient?.mobile : recipient?.email;
            if (!recipient || !to)
                throw new PreferenceRefusal('not-found', NOT_FOUND_MESSAGE);
            const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
            const salt = randomBytes(16).toString('hex');
            const expires = new Date(this.now().getTime() + this.settings.codeSeconds * 1000);
            await this.verifications.updateOne({ _id: verification._id }, { $set: { code: { hash: this.hash(salt, code), salt, expires, triesLeft: CODE_TRIES } } });
            await this.channels.get(destination).send({
                reference: `preference-code/${randomBytes(8).toString('hex')}`,
                template: this.settings.templates[destination],
                recipient: {
                    nhsNumber: recipient.nhsNumber,
                    name: recipient.name,
                    ...(destination === 'sms' ? { mobile: to } : { email: to }),
                },
                personalisation: { code },
            });
            return { result: { expires }, outcome: `sent by ${destination}` };
        });
    }
    /** Step 3: the code. Answers the person it proves; a wrong code uses one of three tries. */
    async confirm(handle, code, origin) {
        const verification = await this.open(handle, 'confirm-code', origin);
        return this.step('confirm-code', origin, verification.patient, async () => {
            const sent = verification.code;
            if (!sent)
                throw new PreferenceRefusal('no-code', 'Ask for a code first');
            if (sent.triesLeft <= 0)
                throw new PreferenceRefusal('locked', LOCKED);
            if (sent.expires.getTime() < this.now().getTime())
                throw new PreferenceRefusal('expired', 'The code has expired. Ask for a new code.');
            const given = Buffer.from(this.hash(sent.salt, code.trim()));
            if (!timingSafeEqual(given, Buffer.from(sent.hash))) {
                // one try used, whichever request gets there first
                const after = await this.verifications.findOneAndUpdate({ _id: verification._id, 'code.salt': sent.salt, 'code.triesLeft': sent.triesLeft }, { $inc: { 'code.triesLeft': -1 } }, { returnDocument: 'after' });
                const left = after?.code?.triesLeft ?? 0;
                throw left > 0
                    ? new PreferenceRefusal('wrong-code', `The code is not right. You have ${left} ${left === 1 ? 'try' : 'tries'} left.`, { triesLeft: left })
                    : new PreferenceRefusal('locked', LOCKED, { triesLeft: 0 });
            }
            // a code works once
            await this.verifications.updateOne({ _id: verification._id }, { $set: { confirmed: true }, $unset: { code: '' } });
            return { result: verification.patient, outcome: 'confirmed' };
        });
    }
    /** The person's current choice (none recorded: invitations are sent). */
    async choiceOf(patientId) {
        const consent = currentChoice(await this.service.ofPatient('Consent', patientId));
        return { choice: consent?.provision?.type ?? 'permit', ...(consent ? { consent } : {}) };
    }
    /**
     * Step 4: records a choice: a new version of the person's preference Consent (or the first one). Only
     * the choice and its date are kept.
     */
    async choose(patientId, choice, origin) {
        return this.step('record-choice', origin, patientId, async () => {
            const patient = (await this.service.readIfExists('Patient', patientId))?.resource;
            if (!patient)
                throw new PreferenceRefusal('not-found', NOT_FOUND_MESSAGE);
            const { consent: current } = await this.choiceOf(patientId);
            const consent = preferenceConsent(patient, choice, this.now());
            const result = current
                ? await this.service.update('Consent', current.id, { ...consent, id: current.id })
                : await this.service.create('Consent', consent, SERVER_CONTEXT);
            return { result: result.body, outcome: choice };
        });
    }
    hash(salt, code) {
        return createHmac('sha256', salt).update(code).digest('hex');
    }
    /** The verification a handle names, while it lasts; a step on one that is gone is audited too. */
    async open(handle, step, origin) {
        const verification = await this.verifications.findOne({ _id: sha256(handle) });
        if (!verification || verification.expires.getTime() < this.now().getTime()) {
            this.record(step, origin, undefined, 'expired: no verification under that handle', false);
            throw new PreferenceRefusal('expired', 'Your session has ended. Start again.');
        }
        return verification;
    }
    /** Counts one use against a limit per hour; refuses once it is reached. */
    async limit(key, perHour) {
        const now = this.now();
        const counter = await this.counters.findOneAndUpdate({ _id: `${key}|${hour(now)}` }, { $inc: { n: 1 }, $setOnInsert: { expires: new Date(now.getTime() + 2 * 3_600_000) } }, { upsert: true, returnDocument: 'after' });
        if ((counter?.n ?? 0) > perHour)
            throw new PreferenceRefusal('too-many', 'Too many attempts. Try again in an hour, or call the helpline on 119.');
    }
    /** Runs a step and leaves its audit record, whatever its outcome. */
    async step(step, origin, patient, run) {
        try {
            const { result, outcome, patient: found } = await run();
            this.record(step, origin, found ?? patient, outcome, true);
            return result;
        }
        catch (error) {
            const audited = error instanceof PreferenceRefusal ? error : undefined;
            this.record(step, origin, audited?.details.auditPatient ?? patient, audited ? [audited.reason, audited.details.auditReason].filter(Boolean).join(': ') : 'error', false);
            throw error;
        }
    }
    record(step, origin, patient, outcome, success) {
        if (!this.audit)
            return;
        this.audit
            .recordEvent(preferenceAuditEvent(step, origin, patient, outcome, success, this.now()))
            .catch((error) => {
            logger.error('preference audit record failed', { error: String(error) });
        });
    }
}
/** The AuditEvent of one step: when, from which address, which step, how it ended, and for whom. */
export function preferenceAuditEvent(step, origin, patient, outcome, success, at) {
    return {
        resourceType: 'AuditEvent',
        type: {
            system: 'http://dicom.nema.org/resources/ontology/DCM',
            code: '110114',
            display: 'User Authentication',
        },
        subtype: [{ system: PREFERENCE_STEP_SYSTEM, code: step }],
        action: step === 'record-choice' ? 'U' : 'E',
        recorded: at.toISOString(),
        outcome: success ? '0' : '4',
        outcomeDesc: outcome,
        agent: [
            {
                who: origin.actor
                    ? {
                        identifier: { system: `${NIMS_BASE}/client-id`, value: origin.actor.id },
                        display: origin.actor.name,
                    }
                    : { display: 'member of the public (preference web page)' },
                requestor: true,
                ...(origin.address ? { network: { address: origin.address, type: '2' } } : {}),
            },
        ],
        source: { site: 'nims', observer: { display: 'nims preference service' } },
        ...(patient
            ? {
                entity: [
                    {
                        what: { reference: `Patient/${patient}` },
                        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1' },
                        role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1' },
                    },
                ],
            }
            : {}),
    };
}
//# sourceMappingURL=service.js.map