import { fail } from '../fhir/errors.js';
import { PreferenceRefusal } from '../preferences/service.js';
import { input, oneOf, readParameters } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
/** Consent apps and helpline agents record preferences: that is what these steps lead to. */
const NEEDS = [['Consent', 'c']];
/** How long a person's own token lasts after they confirmed their code. */
const PERSON_TOKEN_SECONDS = 900;
/** Each refusal of the journey as an error of the server's catalogue. */
const ERRORS = {
    'invalid-details': 'invalid-request',
    'not-found': 'identity-not-confirmed',
    'too-many': 'too-many-requests',
    expired: 'code-expired',
    'wrong-code': 'wrong-code',
    locked: 'code-locked',
    'no-code': 'invalid-request',
};
function preferences(services) {
    if (!services.preferences)
        fail('not-ready', 'The preference service is not available in this server');
    return services.preferences;
}
function originOf(context) {
    return {
        ...(context.address ? { address: context.address } : {}),
        actor: { id: context.access.clientId, name: context.access.clientName },
    };
}
/** Runs a step, turning its refusal into an OperationOutcome the app can show. */
async function refusalsAsErrors(step) {
    try {
        return await step();
    }
    catch (error) {
        if (error instanceof PreferenceRefusal)
            fail(ERRORS[error.reason], error.message);
        throw error;
    }
}
const parameters = (...parameter) => ({
    status: 200,
    body: { resourceType: 'Parameters', parameter },
});
const VERIFY_INPUTS = [
    input('given', 'string', '1', 'First name, as the person types it', 1),
    input('family', 'string', '1', 'Last name', 1),
    input('birthdate', 'date', '1', 'Date of birth (YYYY-MM-DD)', 1),
    input('nhs-number', 'string', '1', 'NHS number (or postcode)'),
    input('postcode', 'string', '1', 'Postcode (without an NHS number: the "find my NHS number" path)'),
];
registerOperation({
    definition: operationDefinition('verify-identity', 'VerifyIdentity', ['Patient'], 'Step 1 of the COVID-19 invitation preference journey: finds exactly one person aged 16 or over on the register from name, date of birth, and NHS number or postcode, with a mobile number or email address to send a code to. Answers a verification handle and where a code can go, masked. No match, several, under 16 or no way to reach them all give the same 422 (identity-not-confirmed), which never says whether someone exists. Limited per address; every call is audited.', [
        ...VERIFY_INPUTS,
        {
            name: 'verification',
            use: 'out',
            min: 1,
            max: '1',
            type: 'string',
            documentation: 'Handle for the next steps (30 minutes)',
        },
        {
            name: 'destination',
            use: 'out',
            min: 1,
            max: '2',
            documentation: 'Where a code can go: kind (sms, email) and masked',
        },
    ]),
    needs: () => NEEDS,
    handle: async (request, services) => {
        const values = readParameters(request.body, VERIFY_INPUTS);
        const text = (name) => values.get(name)?.[0];
        const details = {
            given: text('given'),
            family: text('family'),
            birthDate: text('birthdate'),
            ...(text('nhs-number') !== undefined ? { nhsNumber: text('nhs-number') } : {}),
            ...(text('postcode') !== undefined ? { postcode: text('postcode') } : {}),
        };
        const { handle, destinations } = await refusalsAsErrors(() => preferences(services).verify(details, originOf(request.context)));
        return parameters({ name: 'verification', valueString: handle }, ...destinations.map((d) => ({
            name: 'destination',
            part: [
                { name: 'kind', valueCode: d.kind },
                { name: 'masked', valueString: d.masked },
            ],
        })));
    },
});
const SEND_INPUTS = [
    input('verification', 'string', '1', 'The handle from $verify-identity', 1),
    input('destination', 'code', '1', 'sms or email: one of those $verify-identity offered', 1),
];
registerOperation({
    definition: operationDefinition('send-code', 'SendCode', ['Patient'], 'Step 2: sends a new 6-digit one-time code (valid 10 minutes, 3 tries) to the mobile number or email address on the register, through GOV.UK Notify. An earlier code stops working. At most 3 codes an hour a person.', [
        ...SEND_INPUTS,
        {
            name: 'expires',
            use: 'out',
            min: 1,
            max: '1',
            type: 'instant',
            documentation: 'When the code stops working',
        },
    ]),
    needs: () => NEEDS,
    handle: async (request, services) => {
        const values = readParameters(request.body, SEND_INPUTS);
        const destination = oneOf(values.get('destination')[0], ['sms', 'email'], 'destination');
        const { expires } = await refusalsAsErrors(() => preferences(services).sendCode(values.get('verification')[0], destination, originOf(request.context)));
        return parameters({ name: 'expires', valueInstant: expires.toISOString() });
    },
});
const CONFIRM_INPUTS = [
    input('verification', 'string', '1', 'The handle from $verify-identity', 1),
    input('code', 'string', '1', 'The 6-digit code the person received', 1),
];
registerOperation({
    definition: operationDefinition('confirm-code', 'ConfirmCode', ['Patient'], "Step 3: checks the code. Answers the person, their current choice about central COVID-19 invitations (permit when none was recorded), and a token of 15 minutes that may create and update only that person's preference Consent (bearer token for POST/PUT Consent). A wrong code uses one of three tries.", [
        ...CONFIRM_INPUTS,
        { name: 'patient', use: 'out', min: 1, max: '1', type: 'Reference', documentation: 'The person' },
        { name: 'choice', use: 'out', min: 1, max: '1', type: 'code', documentation: 'permit or deny' },
        {
            name: 'consent',
            use: 'out',
            min: 0,
            max: '1',
            type: 'Reference',
            documentation: 'Their current preference Consent',
        },
        {
            name: 'token',
            use: 'out',
            min: 0,
            max: '1',
            type: 'string',
            documentation: 'Their own access token (absent with AUTH=off)',
        },
        {
            name: 'expires-in',
            use: 'out',
            min: 0,
            max: '1',
            type: 'integer',
            documentation: 'Seconds the token lasts',
        },
    ]),
    needs: () => NEEDS,
    handle: async (request, services) => {
        const values = readParameters(request.body, CONFIRM_INPUTS);
        const service = preferences(services);
        const patientId = await refusalsAsErrors(() => service.confirm(values.get('verification')[0], values.get('code')[0], originOf(request.context)));
        const { choice, consent } = await service.choiceOf(patientId);
        const { access, baseUrl } = request.context;
        const token = services.tokens
            ? await services.tokens.issuePersonToken({ id: access.clientId, name: access.clientName }, patientId, baseUrl, PERSON_TOKEN_SECONDS)
            : undefined;
        return parameters({ name: 'patient', valueReference: { reference: `Patient/${patientId}` } }, { name: 'choice', valueCode: choice }, ...(consent ? [{ name: 'consent', valueReference: { reference: `Consent/${consent.id}` } }] : []), ...(token
            ? [
                { name: 'token', valueString: token.access_token },
                { name: 'expires-in', valueInteger: token.expires_in },
            ]
            : []));
    },
});
//# sourceMappingURL=preferences.js.map