import { CODE_SYSTEMS, IDENTIFIER_SYSTEMS } from '../resources/extensions.js';
import { referenceKey } from '../search/index-values.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
/** The levels of the reporting geography, from the top. */
export const AREA_LEVELS = ['region', 'icb', 'local-authority', 'gp-practice'];
/** A postcode district (outward code): one or two letters, a digit, then a digit or letter at most. */
const POSTCODE_DISTRICT = /^[A-Z]{1,2}\d[A-Z\d]?$/;
/** The area an Organization stands for, when it is typed with a reporting level and has a code. */
export function areaOf(organization, codeOfId) {
    const level = organization.type
        ?.flatMap((t) => t.coding ?? [])
        .find((c) => c.system === CODE_SYSTEMS.areaLevel && AREA_LEVELS.includes(c.code))?.code;
    const code = organization.identifier?.find((i) => i.system === ODS_CODE_SYSTEM || i.system === IDENTIFIER_SYSTEMS.gssCode)?.value;
    if (!level || !code)
        return undefined;
    const partOf = organization.partOf;
    const parent = partOf?.identifier?.value ??
        (partOf?.reference ? codeOfId(referenceKey(partOf.reference).replace(/^Organization\//, '')) : undefined);
    return { code, name: organization.name ?? code, level, ...(parent ? { parent } : {}) };
}
/**
 * The reporting geography (NHS region, integrated care board, local authority, GP practice) from the
 * Organization resources that carry an area level, kept current as they change. Resolves area codes
 * given in criteria into GP practices and postcode districts, and rolls practice counts up the tree.
 */
export class AreaTree {
    areas = new Map();
    /** Organization id to the code it was filed under, for removals and `partOf` references. */
    codes = new Map();
    get size() {
        return this.areas.size;
    }
    /** The tree as plain data, for a snapshot: the areas and which Organization each came from. */
    snapshot() {
        return { areas: [...this.areas.values()], codes: [...this.codes] };
    }
    static restore(snapshot) {
        const tree = new AreaTree();
        for (const area of snapshot.areas)
            tree.areas.set(area.code, area);
        for (const [id, code] of snapshot.codes)
            tree.codes.set(id, code);
        return tree;
    }
    upsert(id, organization) {
        this.remove(id);
        const area = areaOf(organization, (other) => this.codes.get(other));
        if (!area)
            return;
        this.areas.set(area.code, area);
        this.codes.set(id, area.code);
    }
    remove(id) {
        const code = this.codes.get(id);
        if (code === undefined)
            return;
        this.areas.delete(code);
        this.codes.delete(id);
    }
    get(code) {
        return this.areas.get(code);
    }
    /** The GP practices at or below an area. */
    practicesUnder(code) {
        const found = [];
        for (const area of this.areas.values()) {
            if (area.level !== 'gp-practice')
                continue;
            for (let at = area; at; at = at.parent ? this.areas.get(at.parent) : undefined) {
                if (at.code === code) {
                    found.push(area.code);
                    break;
                }
            }
        }
        return found;
    }
    /**
     * Area codes as GP practices and postcode districts: a known area stands for its practices, a code a
     * Patient names as its practice (`knownPractice`) for itself, anything shaped like a postcode district for
     * that district. Codes that are none of these are answered as unknown.
     */
    resolve(codes, knownPractice) {
        const practices = [];
        const districts = [];
        const unknown = [];
        for (const raw of codes) {
            const code = raw.trim().toUpperCase();
            if (this.areas.has(code))
                practices.push(...this.practicesUnder(code));
            else if (knownPractice(code))
                practices.push(code);
            else if (POSTCODE_DISTRICT.test(code))
                districts.push(code);
            else
                unknown.push(raw);
        }
        return { practices, districts, unknown };
    }
    /** Counts per practice rolled up to `depth` (region, icb, local-authority or gp-practice). */
    breakdown(byPractice, depth) {
        const deepest = AREA_LEVELS.indexOf(depth);
        const top = [];
        const nodes = new Map();
        const unassigned = { code: '', name: 'No known area', level: 'unassigned', count: 0 };
        const node = (area) => {
            const existing = nodes.get(area.code);
            if (existing)
                return existing;
            const parentArea = area.parent ? this.areas.get(area.parent) : undefined;
            // an area must hang from the level just above it, up to a region, to be placed in the tree
            const level = AREA_LEVELS.indexOf(area.level);
            if (level > 0 && parentArea?.level !== AREA_LEVELS[level - 1])
                return undefined;
            const parent = level > 0 ? node(parentArea) : undefined;
            if (level > 0 && !parent)
                return undefined;
            const made = { code: area.code, name: area.name, level: area.level, count: 0 };
            nodes.set(area.code, made);
            if (parent)
                (parent.areas ??= []).push(made);
            else
                top.push(made);
            return made;
        };
        for (const [code, count] of byPractice) {
            const practice = this.areas.get(code);
            const leaf = practice?.level === 'gp-practice' ? node(practice) : undefined;
            if (!leaf) {
                unassigned.count += count;
                continue;
            }
            for (let at = practice; at; at = at.parent ? this.areas.get(at.parent) : undefined) {
                nodes.get(at.code).count += count;
                if (at.level === 'region')
                    break;
            }
        }
        const prune = (counts, level) => counts
            .sort((a, b) => a.code.localeCompare(b.code))
            .map(({ areas, ...rest }) => areas && level < deepest ? { ...rest, areas: prune(areas, level + 1) } : rest);
        const tree = prune(top, 0);
        return unassigned.count > 0 ? [...tree, unassigned] : tree;
    }
}
//# sourceMappingURL=areas.js.map