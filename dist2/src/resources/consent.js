import { NHS_NUMBER_SYSTEM } from '../shared/nhs-number.js';
import { onlyWhen } from '../profiles/rules.js';
import { isInvitationPreference, PREFERENCE_CATEGORY, PREFERENCE_PROFILE } from '../preferences/consent.js';
/**
 * A person's choice about central COVID-19 invitations: whose (reference and NHS number), what kind of
 * consent, allowed or refused, and when. The policy URI marks it; cohorts and reminders read the newest.
 */
export const consentProfile = {
    type: 'Consent',
    url: PREFERENCE_PROFILE,
    description: "A person's choice about central COVID-19 vaccination invitations and reminders: a Consent under the policy https://nims.example.org/fhir/Policy/central-covid-19-invitations, with provision deny (no central invitations) or permit.",
    rules: [
        {
            key: 'pref-patient',
            description: 'The person is given by reference to their Patient and by NHS number',
            check: onlyWhen(isInvitationPreference, (c) => /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(c.patient?.reference ?? '') &&
                c.patient?.identifier?.system === NHS_NUMBER_SYSTEM &&
                Boolean(c.patient.identifier.value)
                ? []
                : [
                    {
                        diagnostics: 'Consent.patient needs a Patient reference and the NHS number as its identifier',
                        expression: ['Consent.patient'],
                    },
                ]),
        },
        {
            key: 'pref-category',
            description: `The category is ${PREFERENCE_CATEGORY.system}|${PREFERENCE_CATEGORY.code}`,
            check: onlyWhen(isInvitationPreference, (c) => (c.category ?? []).some((cat) => (cat.coding ?? []).some((code) => code.system === PREFERENCE_CATEGORY.system && code.code === PREFERENCE_CATEGORY.code))
                ? []
                : [
                    {
                        diagnostics: `Consent.category must include ${PREFERENCE_CATEGORY.code}`,
                        expression: ['Consent.category'],
                    },
                ]),
        },
        {
            key: 'pref-choice',
            description: 'The choice is provision.type: deny (no central invitations) or permit',
            check: onlyWhen(isInvitationPreference, (c) => c.provision?.type === 'deny' || c.provision?.type === 'permit'
                ? []
                : [
                    {
                        diagnostics: 'Consent.provision.type must be deny or permit',
                        expression: ['Consent.provision.type'],
                    },
                ]),
        },
        {
            key: 'pref-date',
            description: 'When the choice was made (dateTime) is given: the newest choice is the one in force',
            check: onlyWhen(isInvitationPreference, (c) => c.dateTime ? [] : [{ diagnostics: 'Consent.dateTime is required', expression: ['Consent.dateTime'] }]),
        },
    ],
};
//# sourceMappingURL=consent.js.map