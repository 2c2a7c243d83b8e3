export const ERROR_CODE_SYSTEM = 'https://nims.example.org/fhir/CodeSystem/error-code';
export const PROFILE_RULE_SYSTEM = 'https://nims.example.org/fhir/CodeSystem/profile-rule';
/**
 * Every error the server can answer with: a stable code (the key), its HTTP status and FHIR issue type.
 * Clients may rely on the keys; the diagnostics text may change.
 */
export const ERRORS = {
    'malformed-json': { status: 400, type: 'structure' },
    'invalid-request': { status: 400, type: 'invalid' },
    'invalid-id': { status: 400, type: 'value' },
    'id-mismatch': { status: 400, type: 'invalid' },
    'invalid-search-parameter': { status: 400, type: 'value' },
    'unknown-search-parameter': { status: 400, type: 'not-supported' },
    'invalid-patch': { status: 400, type: 'invalid' },
    'invalid-bundle': { status: 400, type: 'invalid' },
    'invalid-precondition': { status: 400, type: 'invalid' },
    unauthenticated: { status: 401, type: 'login' },
    forbidden: { status: 403, type: 'forbidden' },
    'not-found': { status: 404, type: 'not-found' },
    'unknown-resource-type': { status: 404, type: 'not-supported' },
    'unknown-route': { status: 404, type: 'not-found' },
    'method-not-allowed': { status: 405, type: 'not-supported' },
    'not-acceptable': { status: 406, type: 'not-supported' },
    'version-conflict': { status: 409, type: 'conflict' },
    'already-exists': { status: 409, type: 'duplicate' },
    gone: { status: 410, type: 'deleted' },
    'precondition-failed': { status: 412, type: 'conflict' },
    'multiple-matches': { status: 412, type: 'multiple-matches' },
    'too-large': { status: 413, type: 'too-costly' },
    'too-many-requests': { status: 429, type: 'throttled' },
    'unsupported-media-type': { status: 415, type: 'not-supported' },
    'schema-violation': { status: 422, type: 'structure' },
    'profile-violation': { status: 422, type: 'business-rule' },
    'duplicate-identifier': { status: 422, type: 'duplicate' },
    'transaction-failed': { status: 422, type: 'processing' },
    'unknown-patient': { status: 422, type: 'not-found' },
    'identity-not-confirmed': { status: 422, type: 'processing' },
    'idempotency-key-reused': { status: 422, type: 'business-rule' },
    'workflow-managed': { status: 422, type: 'business-rule' },
    'transition-not-allowed': { status: 409, type: 'conflict' },
    'code-expired': { status: 422, type: 'expired' },
    'wrong-code': { status: 422, type: 'security' },
    'code-locked': { status: 422, type: 'security' },
    'too-many-results': { status: 422, type: 'too-costly' },
    'database-unavailable': { status: 503, type: 'transient' },
    'not-ready': { status: 503, type: 'transient' },
    'internal-error': { status: 500, type: 'exception' },
    'export-failed': { status: 500, type: 'exception' },
    'upload-failed': { status: 500, type: 'exception' },
};
/** An answer that is an error: thrown anywhere below the HTTP layer, turned into an OperationOutcome there. */
export class FhirError extends Error {
    problems;
    headers;
    status;
    constructor(problems, headers = {}) {
        super(problems.map((p) => p.diagnostics).join('; '));
        this.problems = problems;
        this.headers = headers;
        this.status = ERRORS[problems[0]?.code ?? 'internal-error'].status;
    }
}
export function fail(code, diagnostics, expression) {
    throw new FhirError([{ code, diagnostics, expression }]);
}
export function toIssue(problem) {
    return {
        severity: problem.severity ?? 'error',
        code: ERRORS[problem.code].type,
        details: {
            coding: [
                { system: ERROR_CODE_SYSTEM, code: problem.code },
                ...(problem.rule
                    ? [{ system: PROFILE_RULE_SYSTEM, code: problem.rule.key, display: problem.rule.profile }]
                    : []),
            ],
            text: problem.diagnostics,
        },
        diagnostics: problem.diagnostics,
        ...(problem.expression?.length ? { expression: problem.expression } : {}),
    };
}
export function operationOutcome(problems) {
    return { resourceType: 'OperationOutcome', issue: problems.map(toIssue) };
}
export function informational(diagnostics) {
    return {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'information', code: 'informational', diagnostics }],
    };
}
//# sourceMappingURL=errors.js.map