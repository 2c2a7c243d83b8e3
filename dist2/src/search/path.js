const SEGMENT = /^(?:extension\('([^']+)'\)|([A-Za-z][A-Za-z0-9]*))$/;
function step(node, segment) {
    if (node === null || typeof node !== 'object')
        return [];
    const record = node;
    const match = SEGMENT.exec(segment);
    if (!match)
        throw new Error(`unsupported path segment ${segment}`);
    const [, extensionUrl, name] = match;
    if (extensionUrl !== undefined) {
        const extensions = Array.isArray(record.extension) ? record.extension : [];
        return extensions.filter((e) => e.url === extensionUrl);
    }
    const key = name;
    if (key in record)
        return flatten(record[key]);
    // choice element: occurrence -> occurrenceDateTime, occurrenceString, ...
    const choices = Object.keys(record).filter((k) => k.startsWith(key) && /^[A-Z]/.test(k.slice(key.length)));
    return choices.flatMap((k) => flatten(record[k]));
}
function flatten(value) {
    if (value === undefined || value === null)
        return [];
    return Array.isArray(value) ? value : [value];
}
function splitSegments(path) {
    // dots inside extension('...') urls are not separators
    return path.match(/extension\('[^']*'\)|[^.]+/g) ?? [];
}
export function evaluate(resource, expression) {
    return expression.split('|').flatMap((alternative) => {
        const segments = splitSegments(alternative.trim());
        // the first segment is the resource type
        return segments
            .slice(1)
            .reduce((nodes, segment) => nodes.flatMap((n) => step(n, segment)), [resource]);
    });
}
//# sourceMappingURL=path.js.map