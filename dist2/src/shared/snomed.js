export const SNOMED_SYSTEM = 'http://snomed.info/sct';
// Verhoeff tables, as used for the check digit of every SNOMED CT identifier. Each permutation row is the
// one before it permuted by the second row (a widely copied table misprints the fifth).
const MULTIPLY = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const PERMUTE = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
function verhoeffValid(digits) {
    let c = 0;
    const reversed = digits.split('').reverse();
    reversed.forEach((digit, i) => {
        c = MULTIPLY[c][PERMUTE[i % 8][Number(digit)]];
    });
    return c === 0;
}
/**
 * A well-formed SNOMED CT concept id: 6 to 18 digits, no leading zero, a concept partition
 * ("00" or "10" before the check digit) and a valid Verhoeff check digit.
 */
export function isSnomedConceptId(code) {
    if (!/^[1-9]\d{5,17}$/.test(code))
        return false;
    const partition = code.slice(-3, -1);
    return (partition === '00' || partition === '10') && verhoeffValid(code);
}
//# sourceMappingURL=snomed.js.map