import { request } from 'undici';

/** The ways nims reaches people, in the order it prefers them. */
export const CHANNELS = ['nhs-app', 'sms', 'email', 'letter'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** Who a message goes to, as much as the register knows. */
export interface Recipient {
  /** The NHS number of the person the message is about. */
  nhsNumber: string;
  /** Who the message is addressed to: the person, or a parent or guardian of a child. */
  name: string;
  /** The child a parent or guardian is written to about. */
  onBehalfOf?: string;
  mobile?: string;
  email?: string;
  /** Postal address lines, the postcode last. */
  address?: string[];
  /** Registered with the NHS App and opted into its notifications. */
  nhsApp?: boolean;
}

export interface Message {
  /** Unique per person and attempt: the provider's idempotency reference, and how callbacks find it. */
  reference: string;
  /** The provider's template id. */
  template: string;
  recipient: Recipient;
  personalisation: Record<string, string>;
}

/** The delivery states providers report (GOV.UK Notify's vocabulary, which the others are mapped to). */
export type DeliveryStatus =
  | 'sending'
  | 'delivered'
  | 'permanent-failure'
  | 'temporary-failure'
  | 'technical-failure';

/** A message the provider accepted: its id there, and whether delivery is already known. */
export interface Accepted {
  providerId: string;
  /** Set when the channel knows at once (a letter handed to the mailing house counts as delivered). */
  status?: DeliveryStatus;
}

/** The provider refused for good (a number that is not a mobile, an address that does not exist). */
export class PermanentFailure extends Error {}
/** The provider could not take it now (down, slow, rate limited): the same message may be tried later. */
export class TemporaryFailure extends Error {}

/** Whether a recipient can be reached a way at all: what each channel needs from the register. */
export function reaches(channel: ChannelName, recipient: Recipient): boolean {
  if (channel === 'nhs-app') return recipient.nhsApp === true;
  if (channel === 'sms') return Boolean(recipient.mobile);
  if (channel === 'email') return Boolean(recipient.email);
  return (recipient.address?.length ?? 0) > 0;
}

export interface Channel {
  readonly name: ChannelName;
  /** Hands the message over; throws PermanentFailure or TemporaryFailure. */
  send(message: Message): Promise<Accepted>;
  /** Asks the provider how a message it accepted is doing (when it does not call back). */
  status(providerId: string): Promise<DeliveryStatus>;
}

/** Whether a status is final, and if so whether the message arrived. */
export function settled(status: DeliveryStatus): 'delivered' | 'failed' | undefined {
  if (status === 'delivered') return 'delivered';
  return status === 'sending' ? undefined : 'failed';
}

/** How long a provider has to start answering one call, and to go on sending its answer. */
const PROVIDER_TIMEOUT_MS = 10_000;

/**
 * One JSON call to a provider's HTTP API (a POST when there is a body): its answer, or the failure in
 * the channels' terms. No answer and any status not listed as `permanent` are temporary. The call goes
 * through undici's own API: the global fetch, with its streams and an abort signal for the timeout, took
 * an eighth of the server's CPU in an invitation run.
 */
export async function callProvider(
  provider: string,
  url: string,
  options: { body?: unknown; authorization?: string; permanent: number[] },
): Promise<Record<string, unknown>> {
  const { body, authorization, permanent } = options;
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(authorization ? { authorization } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: PROVIDER_TIMEOUT_MS,
      bodyTimeout: PROVIDER_TIMEOUT_MS,
    });
    status = response.statusCode;
    // the body is read either way, so that the connection is free for the next call
    text = await response.body.text().catch(() => '');
  } catch {
    throw new TemporaryFailure(`${provider} did not answer`);
  }
  const failure = `${provider} answered ${status}`;
  if (status < 200 || status > 299)
    throw permanent.includes(status) ? new PermanentFailure(failure) : new TemporaryFailure(failure);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new TemporaryFailure(`${failure} without JSON`);
  }
}
