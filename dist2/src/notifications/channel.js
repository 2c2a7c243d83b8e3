/** The ways nims reaches people, in the order it prefers them. */
export const CHANNELS = ['nhs-app', 'sms', 'email', 'letter'];
/** The provider refused for good (a number that is not a mobile, an address that does not exist). */
export class PermanentFailure extends Error {
}
/** The provider could not take it now (down, slow, rate limited): the same message may be tried later. */
export class TemporaryFailure extends Error {
}
/** Whether a recipient can be reached a way at all: what each channel needs from the register. */
export function reaches(channel, recipient) {
    if (channel === 'nhs-app')
        return recipient.nhsApp === true;
    if (channel === 'sms')
        return Boolean(recipient.mobile);
    if (channel === 'email')
        return Boolean(recipient.email);
    return (recipient.address?.length ?? 0) > 0;
}
/** Whether a status is final, and if so whether the message arrived. */
export function settled(status) {
    if (status === 'delivered')
        return 'delivered';
    return status === 'sending' ? undefined : 'failed';
}
//# sourceMappingURL=channel.js.map