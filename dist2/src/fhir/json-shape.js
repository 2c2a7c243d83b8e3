/** Far deeper than any FHIR resource; deeper input would exhaust the stack of recursive validators. */
export const MAX_NESTING = 64;
/** More items than any one array of a resource or bundle needs; bulk loads send one resource a line. */
export const MAX_ARRAY_ITEMS = 20_000;
/**
 * What is wrong with the shape of JSON text before it is parsed: nesting deeper than MAX_NESTING or an
 * array longer than MAX_ARRAY_ITEMS, found in one scan (brackets and commas inside strings do not count).
 */
export function jsonShapeProblem(text) {
    // per open bracket: -1 for an object, the commas seen so far for an array
    const open = [];
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (inString) {
            if (ch === 0x5c)
                i++; // backslash: skip the escaped character
            else if (ch === 0x22)
                inString = false;
        }
        else if (ch === 0x22)
            inString = true;
        else if (ch === 0x7b || ch === 0x5b) {
            open.push(ch === 0x5b ? 0 : -1);
            if (open.length > MAX_NESTING)
                return { code: 'invalid-request', text: `nests deeper than ${MAX_NESTING} levels` };
        }
        else if (ch === 0x7d || ch === 0x5d)
            open.pop();
        else if (ch === 0x2c && open.length > 0 && open[open.length - 1] >= 0) {
            if (++open[open.length - 1] >= MAX_ARRAY_ITEMS)
                return { code: 'too-large', text: `has an array of more than ${MAX_ARRAY_ITEMS} items` };
        }
    }
    return undefined;
}
//# sourceMappingURL=json-shape.js.map