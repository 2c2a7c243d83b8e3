export const MIN_TIME = -8.64e15;
export const MAX_TIME = 8.64e15;
const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;
/** Parses a (partial) date or dateTime; a time without timezone is taken as UTC. */
export function parseDateRange(value) {
    const m = DATE_TIME.exec(value);
    if (!m)
        return undefined;
    const [, year, month, day, hour, minute, second, fraction, zone] = m;
    const y = Number(year);
    const mo = month === undefined ? undefined : Number(month) - 1;
    if (mo !== undefined && (mo < 0 || mo > 11))
        return undefined;
    const d = day === undefined ? undefined : Number(day);
    if (d !== undefined && (d < 1 || d > 31))
        return undefined;
    const offsetMs = zoneOffsetMs(zone);
    let lo;
    let next;
    if (mo === undefined) {
        lo = Date.UTC(y, 0, 1);
        next = Date.UTC(y + 1, 0, 1);
    }
    else if (d === undefined) {
        lo = Date.UTC(y, mo, 1);
        next = Date.UTC(y, mo + 1, 1);
    }
    else if (hour === undefined) {
        lo = Date.UTC(y, mo, d);
        if (new Date(lo).getUTCDate() !== d)
            return undefined;
        next = Date.UTC(y, mo, d + 1);
    }
    else {
        if (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59)
            return undefined;
        const base = Date.UTC(y, mo, d, Number(hour), Number(minute), second === undefined ? 0 : Number(second));
        if (Number.isNaN(base) || new Date(base).getUTCDate() !== d)
            return undefined;
        if (second === undefined) {
            lo = base;
            next = base + 60_000;
        }
        else if (fraction === undefined) {
            lo = base;
            next = base + 1000;
        }
        else {
            lo = base + Math.floor(Number(`0.${fraction}`) * 1000);
            next = lo + 1;
        }
        lo -= offsetMs;
        next -= offsetMs;
    }
    if (y > 9999 || y < 1 || Number.isNaN(lo))
        return undefined;
    return { lo, hi: next - 1 };
}
function zoneOffsetMs(zone) {
    if (!zone || zone === 'Z')
        return 0;
    const sign = zone.startsWith('-') ? -1 : 1;
    const [h, m] = zone.slice(1).split(':').map(Number);
    return sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
}
/** Sortable text of a time: fixed width, so string order is time order. */
export function sortableTime(ms) {
    return String(Math.round(ms - MIN_TIME)).padStart(17, '0');
}
//# sourceMappingURL=dates.js.map