const UK_CLOCK = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
});
/** The date (YYYY-MM-DD) and time of day (HH:MM) in the UK at `now`. */
export function ukClock(now) {
    const parts = UK_CLOCK.formatToParts(now);
    const part = (type) => parts.find((p) => p.type === type).value;
    return {
        date: `${part('year')}-${part('month')}-${part('day')}`,
        time: `${part('hour')}:${part('minute')}`,
    };
}
//# sourceMappingURL=clock.js.map