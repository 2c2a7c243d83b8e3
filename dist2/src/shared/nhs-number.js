export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
/** A person's NHS number now: not one kept as `old` (superseded, after a merge). */
export function nhsNumberOf(patient) {
    return patient.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM && i.use !== 'old')?.value;
}
/** Modulus 11 check of a 10-digit NHS number (NHS Data Dictionary). */
export function isValidNhsNumber(value) {
    if (!/^\d{10}$/.test(value))
        return false;
    let sum = 0;
    for (let i = 0; i < 9; i++)
        sum += Number(value[i]) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10)
        return false;
    return (check === 11 ? 0 : check) === Number(value[9]);
}
/** Completes 9 digits with their check digit; undefined when no valid check digit exists. */
export function withCheckDigit(nineDigits) {
    for (let d = 0; d <= 9; d++) {
        const candidate = `${nineDigits}${d}`;
        if (isValidNhsNumber(candidate))
            return candidate;
    }
    return undefined;
}
//# sourceMappingURL=nhs-number.js.map