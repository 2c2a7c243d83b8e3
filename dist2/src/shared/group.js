/** Items grouped by a key, groups and their items in the order first met (Map.groupBy, before Node 21). */
export function groupBy(items, keyOf) {
    const groups = new Map();
    for (const item of items) {
        const key = keyOf(item);
        const group = groups.get(key);
        if (group)
            group.push(item);
        else
            groups.set(key, [item]);
    }
    return groups;
}
//# sourceMappingURL=group.js.map