import { EXTENSIONS } from '../resources/extensions.js';
import { nhsNumberOf } from '../shared/nhs-number.js';
import { reaches } from './channel.js';
/** A UK mobile number, as the register may hold it (07..., +447..., with spaces). */
const UK_MOBILE = /^(?:\+44\s?7|07)[\d\s]{9,12}$/;
/** Relationships (HL7 v3 RoleCode) of a contact who speaks for a child: parents and guardians. */
const PARENT_ROLES = new Set(['PRN', 'MTH', 'FTH', 'NPRN', 'NMTH', 'NFTH', 'ADOPTP', 'STPPRN', 'GUARD']);
export const ROLE_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
/** From this age people get their own messages; before it, their parents do. */
const OWN_MESSAGES_FROM_YEARS = 16;
/** A current mobile number and email address among contact points. */
function contactPoints(telecom) {
    const current = (telecom ?? []).filter((t) => !t.period?.end && t.value);
    const mobile = current.find((t) => t.system === 'sms' || (t.system === 'phone' && (t.use === 'mobile' || UK_MOBILE.test(t.value))))?.value;
    const email = current.find((t) => t.system === 'email')?.value;
    return { ...(mobile ? { mobile } : {}), ...(email ? { email } : {}) };
}
function addressLines(address) {
    return address
        ? [...(address.line ?? []), address.city, address.district, address.postalCode].filter((x) => Boolean(x))
        : [];
}
function nameOf(name) {
    return name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
}
/** Whether a person is under 16 on `on` (a person with no birth date counts as an adult). */
export function isChild(patient, on) {
    if (!patient.birthDate || !/^\d{4}-\d{2}-\d{2}/.test(patient.birthDate))
        return false;
    const born = new Date(`${patient.birthDate.slice(0, 10)}T00:00:00Z`);
    const sixteenth = Date.UTC(born.getUTCFullYear() + OWN_MESSAGES_FROM_YEARS, born.getUTCMonth(), born.getUTCDate());
    return on.getTime() < sixteenth;
}
/**
 * How to reach a person about their own care, from their register record (current contact details
 * only). For a child under 16 that is a parent or guardian among their contacts: the parent's mobile,
 * email and address (else the child's home address), never the child's own phone or NHS App.
 */
export function recipientOf(patient, on = new Date()) {
    const nhsNumber = nhsNumberOf(patient) ?? '';
    const personName = nameOf(patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0]);
    const home = patient.address?.find((a) => a.use === 'home' && !a.period?.end) ?? patient.address?.[0];
    if (isChild(patient, on)) {
        const parent = (patient.contact ?? []).find((c) => !c.period?.end &&
            (c.relationship ?? []).some((r) => (r.coding ?? []).some((code) => code.system === ROLE_CODE_SYSTEM && PARENT_ROLES.has(code.code ?? ''))));
        const address = addressLines(parent?.address ?? home);
        return {
            nhsNumber,
            name: nameOf(parent?.name) || 'Parent or guardian',
            onBehalfOf: personName,
            ...contactPoints(parent?.telecom),
            ...(address.length > 0 ? { address } : {}),
        };
    }
    const address = addressLines(home);
    return {
        nhsNumber,
        name: personName,
        ...contactPoints(patient.telecom),
        ...(address.length > 0 ? { address } : {}),
        ...(patient.extension?.some((e) => e.url === EXTENSIONS.nhsAppNotifications && e.valueBoolean === true)
            ? { nhsApp: true }
            : {}),
    };
}
/**
 * The channels to try for a person, in order: of those the run allows (in its order) and that can reach
 * them, with text and email as one step (a text when there is a mobile, else an email), so a failure
 * falls from the app to a text or email, then to a letter.
 */
export function chainFor(recipient, allowed, channels) {
    const reachable = allowed.flatMap((name) => {
        const channel = channels.get(name);
        return channel && reaches(name, recipient) ? [channel] : [];
    });
    const firstMessage = reachable.find((c) => c.name === 'sms' || c.name === 'email');
    return reachable.filter((c) => (c.name !== 'sms' && c.name !== 'email') || c === firstMessage);
}
//# sourceMappingURL=recipient.js.map