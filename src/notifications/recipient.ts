import type { Patient } from 'fhir/r4';
import { EXTENSIONS } from '../resources/extensions.js';
import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { reaches, type Channel, type ChannelName, type Recipient } from './channel.js';

/** A UK mobile number, as the register may hold it (07..., +447..., with spaces). */
const UK_MOBILE = /^(?:\+44\s?7|07)[\d\s]{9,12}$/;

/** How to reach a person, from their register record (current contact details only). */
export function recipientOf(patient: Patient): Recipient {
  const name = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  const current = (patient.telecom ?? []).filter((t) => !t.period?.end && t.value);
  const mobile = current.find(
    (t) => t.system === 'sms' || (t.system === 'phone' && (t.use === 'mobile' || UK_MOBILE.test(t.value!))),
  )?.value;
  const email = current.find((t) => t.system === 'email')?.value;
  const home = patient.address?.find((a) => a.use === 'home' && !a.period?.end) ?? patient.address?.[0];
  const address = home
    ? [...(home.line ?? []), home.city, home.district, home.postalCode].filter((x): x is string => Boolean(x))
    : [];
  return {
    nhsNumber: patient.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value ?? '',
    name: name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' '),
    ...(mobile ? { mobile } : {}),
    ...(email ? { email } : {}),
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
export function chainFor(
  recipient: Recipient,
  allowed: ChannelName[],
  channels: Map<ChannelName, Channel>,
): Channel[] {
  const reachable = allowed.flatMap((name) => {
    const channel = channels.get(name);
    return channel && reaches(name, recipient) ? [channel] : [];
  });
  const firstMessage = reachable.find((c) => c.name === 'sms' || c.name === 'email');
  return reachable.filter((c) => (c.name !== 'sms' && c.name !== 'email') || c === firstMessage);
}
