import summaryElements from './summary-elements.json' with { type: 'json' };
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS = ['resourceType', 'id', 'meta'];
/** Whether a JSON key (`occurrenceDateTime`, `_birthDate`) belongs to one of the named elements. */
function keyIn(key, names) {
    const bare = key.startsWith('_') ? key.slice(1) : key;
    if (names.has(bare))
        return true;
    for (const name of names)
        if (bare.startsWith(name) && /^[A-Z]/.test(bare.slice(name.length)))
            return true;
    return false;
}
function keep(resource, names) {
    const subset = Object.fromEntries(Object.entries(resource).filter(([key]) => keyIn(key, names) || ALWAYS.includes(key)));
    const meta = { ...(resource.meta ?? {}), tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
    return { ...subset, meta };
}
/** The resource as `_summary` and `_elements` ask for it; untouched when they ask for everything. */
export function subset(resource, { summary, elements }) {
    if (elements && elements.length > 0)
        return keep(resource, new Set(elements));
    switch (summary) {
        case 'true':
            return keep(resource, new Set(summaryElements[resource.resourceType] ?? []));
        case 'text':
            return keep(resource, new Set(['text']));
        case 'data': {
            const { text: _text, ...rest } = resource;
            return keep(rest, new Set(Object.keys(rest)));
        }
        default:
            return resource;
    }
}
//# sourceMappingURL=summary.js.map