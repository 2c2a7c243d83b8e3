import { COVID_INVITATION_POLICY, NIMS_BASE } from '../resources/extensions.js';
import { NHS_NUMBER_SYSTEM, nhsNumberOf } from '../shared/nhs-number.js';
/** The category of every invitation preference Consent (profile nims-invitation-preference). */
export const PREFERENCE_CATEGORY = {
    system: `${NIMS_BASE}/CodeSystem/consent-category`,
    code: 'invitation-preference',
    display: 'Preference about central invitations',
};
/** The profile every invitation preference Consent meets. */
export const PREFERENCE_PROFILE = `${NIMS_BASE}/StructureDefinition/nims-invitation-preference`;
/** Whether a Consent is a choice about central COVID-19 invitations. */
export function isInvitationPreference(consent) {
    return (consent.policy ?? []).some((p) => p.uri === COVID_INVITATION_POLICY);
}
/** The choice in force: the newest active invitation preference (none: invitations are sent). */
export function currentChoice(consents) {
    return consents
        .filter((c) => c.status === 'active' && isInvitationPreference(c))
        .sort((a, b) => (b.dateTime ?? '').localeCompare(a.dateTime ?? ''))[0];
}
/**
 * The Consent that records a choice: the person by reference and NHS number, the COVID-19 invitation
 * policy, `deny` or `permit` for central invitation contact, and when. Nothing typed to prove who they
 * are is kept in it.
 */
export function preferenceConsent(patient, choice, at) {
    const nhsNumber = nhsNumberOf(patient);
    return {
        resourceType: 'Consent',
        meta: { profile: [PREFERENCE_PROFILE] },
        status: 'active',
        scope: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
        },
        category: [{ coding: [PREFERENCE_CATEGORY] }],
        patient: {
            reference: `Patient/${patient.id}`,
            ...(nhsNumber ? { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } } : {}),
        },
        dateTime: at.toISOString(),
        policy: [{ uri: COVID_INVITATION_POLICY }],
        provision: {
            type: choice,
            purpose: [
                {
                    system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
                    code: 'HOPERAT',
                    display: 'healthcare operations',
                },
            ],
            action: [{ text: 'Central COVID-19 vaccination invitations and reminders' }],
        },
    };
}
//# sourceMappingURL=consent.js.map