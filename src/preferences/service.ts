import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { AuditEvent, Consent, Patient } from 'fhir/r4';
import type { Collection, Db } from 'mongodb';
import type { AuditLog } from '../auth/audit.js';
import { SERVER_CONTEXT, type FhirService } from '../fhir/service.js';
import type { Channel, ChannelName } from '../notifications/channel.js';
import { isChild, recipientOf } from '../notifications/recipient.js';
import { NIMS_BASE } from '../resources/extensions.js';
import { logger } from '../shared/logger.js';
import { Expiry } from '../store/expiry.js';
import { currentChoice, preferenceConsent, type InvitationChoice } from './consent.js';
import { detailsProblem, findPerson, type IdentityDetails } from './matching.js';

/** Where a one-time code can go: the mobile number or the email address on the register. */
export type CodeDestination = 'sms' | 'email';

/** Who is using the service: the caller's IP address, and the helpline agent or app acting for them. */
export interface Origin {
  address?: string;
  /** A helpline agent or a consent app (client id and name); absent for the public web page. */
  actor?: { id: string; name: string };
}

export interface PreferenceSettings {
  /** How long a code may be used. */
  codeSeconds: number;
  /** The Notify templates of the code text and email (personalisation: `code`). */
  templates: Record<CodeDestination, string>;
}

/** The steps of the journey, as the audit trail names them. */
export const PREFERENCE_STEP_SYSTEM = `${NIMS_BASE}/CodeSystem/preference-step`;
type Step = 'verify-identity' | 'send-code' | 'confirm-code' | 'record-choice';

/** Tries of one code. */
const CODE_TRIES = 3;
/** How long a verification (from the details to the choice) lasts. */
const VERIFICATION_MS = 30 * 60_000;
/** Identity checks an hour from one IP address (a helpline agent counts apart from the public). */
const CHECKS_PER_ADDRESS_HOUR = 20;
/** Codes an hour sent to one person. */
const CODES_PER_PERSON_HOUR = 3;

interface VerificationDocument {
  /** SHA-256 of the handle the person holds: the store cannot be used to act for them. */
  _id: string;
  patient: string;
  destinations: CodeDestination[];
  expires: Date;
  code?: { hash: string; salt: string; expires: Date; triesLeft: number };
  confirmed?: boolean;
}

interface CounterDocument {
  _id: string;
  n: number;
  expires: Date;
}

/** Why a step did not go on, in words the page and the API both use. */
export class PreferenceRefusal extends Error {
  constructor(
    readonly reason:
      | 'invalid-details'
      | 'not-found'
      | 'too-many'
      | 'expired'
      | 'wrong-code'
      | 'locked'
      | 'no-code',
    message: string,
    readonly details: {
      /** Tries left of the code, after a wrong one. */
      triesLeft?: number;
      /** What the audit trail records (staff only): the real reason behind a neutral answer. */
      auditReason?: string;
      auditPatient?: string;
    } = {},
  ) {
    super(message);
  }
}

/** The one message for every reason a person is not found: it never says whether someone exists. */
export const NOT_FOUND_MESSAGE =
  'We could not confirm your details. Check what you entered, or call the helpline on 119 to set your preference by phone.';

const LOCKED = 'You have entered the wrong code too many times. Ask for a new code.';

/** A phone number or email address shown with most of it hidden: `07*** ***123`, `j***@e***.com`. */
export function masked(destination: CodeDestination, value: string): string {
  if (destination === 'sms') {
    const digits = value.replace(/\D/g, '').replace(/^44/, '0');
    return `${digits.slice(0, 2)}*** ***${digits.slice(-3)}`;
  }
  const [local = '', domain = ''] = value.split('@');
  const dot = domain.lastIndexOf('.');
  return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***${dot >= 0 ? domain.slice(dot) : ''}`;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const hour = (now: Date) => now.toISOString().slice(0, 13);

/**
 * The COVID-19 invitation preference service: finds the person from what they type, sends a one-time code
 * to the mobile or email on their record, and once the code is confirmed records their choice as a
 * Consent. Codes are kept only as salted hashes, for `codeSeconds`, for three tries; checks are limited
 * per IP address and codes per person. Every step leaves an AuditEvent (time, address, step, outcome).
 */
export class PreferenceService {
  private readonly verifications: Collection<VerificationDocument>;
  private readonly counters: Collection<CounterDocument>;
  /** Verifications and counters go once expired: nothing of a person's check stays longer than needed. */
  private readonly expiries: { touch(): void }[];

  constructor(
    db: Db,
    private readonly service: FhirService,
    private readonly channels: Map<ChannelName, Channel>,
    private readonly settings: PreferenceSettings,
    private readonly audit: AuditLog | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.verifications = db.collection<VerificationDocument>('preference_verifications');
    this.counters = db.collection<CounterDocument>('preference_counters');
    this.expiries = [new Expiry(this.verifications), new Expiry(this.counters)];
  }

  /**
   * Step 1: the person's details. Answers a handle for the next steps and where a code can go (masked),
   * or refuses with the same `not-found` whatever the reason (no one, several, under 16, no way to
   * reach them).
   */
  async verify(
    details: IdentityDetails,
    origin: Origin,
  ): Promise<{ handle: string; destinations: { kind: CodeDestination; masked: string }[] }> {
    for (const expiry of this.expiries) expiry.touch();
    return this.step('verify-identity', origin, undefined, async () => {
      await this.limit(`address|${origin.actor?.id ?? ''}|${origin.address ?? ''}`, CHECKS_PER_ADDRESS_HOUR);
      const problem = detailsProblem(details);
      if (problem) throw new PreferenceRefusal('invalid-details', problem);
      const person = await findPerson(this.service, details);
      const recipient = person ? recipientOf(person, this.now()) : undefined;
      const reachable = (['sms', 'email'] as const).filter((kind) =>
        kind === 'sms' ? recipient?.mobile : recipient?.email,
      );
      if (!person) return this.notFound('no single match');
      if (isChild(person, this.now())) return this.notFound('under 16', person.id);
      if (reachable.length === 0) return this.notFound('no mobile or email on record', person.id);
      const handle = randomBytes(32).toString('base64url');
      await this.verifications.insertOne({
        _id: sha256(handle),
        patient: person.id!,
        destinations: reachable,
        expires: new Date(this.now().getTime() + VERIFICATION_MS),
      });
      return {
        result: {
          handle,
          destinations: reachable.map((kind) => ({
            kind,
            masked: masked(kind, kind === 'sms' ? recipient!.mobile! : recipient!.email!),
          })),
        },
        outcome: 'matched',
        patient: person.id!,
      };
    });
  }

  private notFound(why: string, patient?: string): never {
    throw new PreferenceRefusal('not-found', NOT_FOUND_MESSAGE, {
      auditReason: why,
      ...(patient ? { auditPatient: patient } : {}),
    });
  }

  /** Step 2: a new six-digit code to the chosen destination (an earlier code stops working). */
  async sendCode(handle: string, destination: CodeDestination, origin: Origin): Promise<{ expires: Date }> {
    const verification = await this.open(handle, 'send-code', origin);
    return this.step('send-code', origin, verification.patient, async () => {
      if (!verification.destinations.includes(destination))
        throw new PreferenceRefusal('invalid-details', 'Choose where to send the code');
      await this.limit(`person|${verification.patient}`, CODES_PER_PERSON_HOUR);
      const patient = (await this.service.readIfExists('Patient', verification.patient))?.resource as
        | Patient
        | undefined;
      const recipient = patient ? recipientOf(patient, this.now()) : undefined;
      const to = destination === 'sms' ? recipient?.mobile : recipient?.email;
      if (!recipient || !to) throw new PreferenceRefusal('not-found', NOT_FOUND_MESSAGE);
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const salt = randomBytes(16).toString('hex');
      const expires = new Date(this.now().getTime() + this.settings.codeSeconds * 1000);
      await this.verifications.updateOne(
        { _id: verification._id },
        { $set: { code: { hash: this.hash(salt, code), salt, expires, triesLeft: CODE_TRIES } } },
      );
      await this.channels.get(destination)!.send({
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
  async confirm(handle: string, code: string, origin: Origin): Promise<string> {
    const verification = await this.open(handle, 'confirm-code', origin);
    return this.step('confirm-code', origin, verification.patient, async () => {
      const sent = verification.code;
      if (!sent) throw new PreferenceRefusal('no-code', 'Ask for a code first');
      if (sent.triesLeft <= 0) throw new PreferenceRefusal('locked', LOCKED);
      if (sent.expires.getTime() < this.now().getTime())
        throw new PreferenceRefusal('expired', 'The code has expired. Ask for a new code.');
      const given = Buffer.from(this.hash(sent.salt, code.trim()));
      if (!timingSafeEqual(given, Buffer.from(sent.hash))) {
        // one try used, whichever request gets there first
        const after = await this.verifications.findOneAndUpdate(
          { _id: verification._id, 'code.salt': sent.salt, 'code.triesLeft': sent.triesLeft },
          { $inc: { 'code.triesLeft': -1 } },
          { returnDocument: 'after' },
        );
        const left = after?.code?.triesLeft ?? 0;
        throw left > 0
          ? new PreferenceRefusal(
              'wrong-code',
              `The code is not right. You have ${left} ${left === 1 ? 'try' : 'tries'} left.`,
              { triesLeft: left },
            )
          : new PreferenceRefusal('locked', LOCKED, { triesLeft: 0 });
      }
      // a code works once
      await this.verifications.updateOne(
        { _id: verification._id },
        { $set: { confirmed: true }, $unset: { code: '' } },
      );
      return { result: verification.patient, outcome: 'confirmed' };
    });
  }

  /** The person's current choice (none recorded: invitations are sent). */
  async choiceOf(patientId: string): Promise<{ choice: InvitationChoice; consent?: Consent }> {
    const consent = currentChoice(await this.service.ofPatient<Consent>('Consent', patientId));
    return { choice: consent?.provision?.type ?? 'permit', ...(consent ? { consent } : {}) };
  }

  /**
   * Step 4: records a choice: a new version of the person's preference Consent (or the first one). Only
   * the choice and its date are kept.
   */
  async choose(patientId: string, choice: InvitationChoice, origin: Origin): Promise<Consent> {
    return this.step('record-choice', origin, patientId, async () => {
      const patient = (await this.service.readIfExists('Patient', patientId))?.resource as
        | Patient
        | undefined;
      if (!patient) throw new PreferenceRefusal('not-found', NOT_FOUND_MESSAGE);
      const { consent: current } = await this.choiceOf(patientId);
      const consent = preferenceConsent(patient, choice, this.now());
      const result = current
        ? await this.service.update('Consent', current.id!, { ...consent, id: current.id })
        : await this.service.create('Consent', consent, SERVER_CONTEXT);
      return { result: result.body as Consent, outcome: choice };
    });
  }

  private hash(salt: string, code: string): string {
    return createHmac('sha256', salt).update(code).digest('hex');
  }

  /** The verification a handle names, while it lasts; a step on one that is gone is audited too. */
  private async open(handle: string, step: Step, origin: Origin): Promise<VerificationDocument> {
    const verification = await this.verifications.findOne({ _id: sha256(handle) });
    if (!verification || verification.expires.getTime() < this.now().getTime()) {
      this.record(step, origin, undefined, 'expired: no verification under that handle', false);
      throw new PreferenceRefusal('expired', 'Your session has ended. Start again.');
    }
    return verification;
  }

  /** Counts one use against a limit per hour; refuses once it is reached. */
  private async limit(key: string, perHour: number): Promise<void> {
    const now = this.now();
    const counter = await this.counters.findOneAndUpdate(
      { _id: `${key}|${hour(now)}` },
      { $inc: { n: 1 }, $setOnInsert: { expires: new Date(now.getTime() + 2 * 3_600_000) } },
      { upsert: true, returnDocument: 'after' },
    );
    if ((counter?.n ?? 0) > perHour)
      throw new PreferenceRefusal(
        'too-many',
        'Too many attempts. Try again in an hour, or call the helpline on 119.',
      );
  }

  /** Runs a step and leaves its audit record, whatever its outcome. */
  private async step<T>(
    step: Step,
    origin: Origin,
    patient: string | undefined,
    run: () => Promise<{ result: T; outcome: string; patient?: string }>,
  ): Promise<T> {
    try {
      const { result, outcome, patient: found } = await run();
      this.record(step, origin, found ?? patient, outcome, true);
      return result;
    } catch (error) {
      const audited = error instanceof PreferenceRefusal ? error : undefined;
      this.record(
        step,
        origin,
        audited?.details.auditPatient ?? patient,
        audited ? [audited.reason, audited.details.auditReason].filter(Boolean).join(': ') : 'error',
        false,
      );
      throw error;
    }
  }

  private record(
    step: Step,
    origin: Origin,
    patient: string | undefined,
    outcome: string,
    success: boolean,
  ): void {
    if (!this.audit) return;
    this.audit
      .recordEvent(preferenceAuditEvent(step, origin, patient, outcome, success, this.now()))
      .catch((error: unknown) => {
        logger.error('preference audit record failed', { error: String(error) });
      });
  }
}

/** The AuditEvent of one step: when, from which address, which step, how it ended, and for whom. */
export function preferenceAuditEvent(
  step: Step,
  origin: Origin,
  patient: string | undefined,
  outcome: string,
  success: boolean,
  at: Date,
): AuditEvent {
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
        ...(origin.address ? { network: { address: origin.address, type: '2' as const } } : {}),
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
