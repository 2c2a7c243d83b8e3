const FHIR = '/fhir';
const TOKEN_KEY = 'nims-token';
const SVG = 'http://www.w3.org/2000/svg';
const byId = (id) => document.getElementById(id);
const form = byId('choice');
const tokenInput = byId('token');
const status = byId('status');
let shown;
const number = (n) => n.toLocaleString('en-GB');
const part = (p, name) => p.part?.find((q) => q.name === name);
function groupOf(p) {
    return {
        breakdown: part(p, 'breakdown')?.valueCode ?? '',
        code: part(p, 'code')?.valueString ?? '',
        display: part(p, 'display')?.valueString ?? '',
        eligible: part(p, 'eligible')?.valueInteger ?? 0,
        vaccinated: part(p, 'vaccinated')?.valueInteger ?? 0,
        percentage: part(p, 'percentage')?.valueDecimal ?? 0,
    };
}
function dayOf(p) {
    return {
        date: part(p, 'date')?.valueDate ?? '',
        vaccinated: part(p, 'vaccinated')?.valueInteger ?? 0,
        cumulative: part(p, 'cumulative')?.valueInteger ?? 0,
        percentage: part(p, 'percentage')?.valueDecimal ?? 0,
    };
}
function element(name, attributes, text) {
    const made = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes))
        made.setAttribute(key, String(value));
    if (text !== undefined)
        made.textContent = text;
    return made;
}
/** The cumulative uptake (per cent) per day, as a line from 0 to the highest value. */
function lineChart(figure, days) {
    const [width, height, left, bottom] = [720, 240, 48, 28];
    const svg = element('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
    const top = Math.max(10, Math.ceil(Math.max(...days.map((d) => d.percentage), 0) / 10) * 10);
    const x = (i) => left + ((width - left - 8) * i) / Math.max(1, days.length - 1);
    const y = (p) => height - bottom - ((height - bottom - 8) * p) / top;
    svg.append(element('title', {}, `Uptake over time: ${days.at(-1)?.percentage ?? 0}% by ${days.at(-1)?.date ?? ''}`), element('line', { class: 'axis', x1: left, y1: y(0), x2: width - 8, y2: y(0) }), element('line', { class: 'axis', x1: left, y1: y(0), x2: left, y2: y(top) }), element('text', { x: left - 6, y: y(top) + 4, 'text-anchor': 'end' }, `${top}%`), element('text', { x: left - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0%'), element('text', { x: left, y: height - 8 }, days[0]?.date ?? ''), element('text', { x: width - 8, y: height - 8, 'text-anchor': 'end' }, days.at(-1)?.date ?? ''), element('polyline', {
        class: 'line',
        points: days.map((d, i) => `${x(i).toFixed(1)},${y(d.percentage).toFixed(1)}`).join(' '),
    }));
    figure.replaceChildren(svg);
}
/** One horizontal bar a group, as long as its uptake, labelled with its name and percentage. */
function barChart(figure, groups, title) {
    const [width, row, label] = [960, 22, 440];
    const svg = element('svg', { viewBox: `0 0 ${width} ${row * groups.length + 8}`, role: 'img' });
    svg.append(element('title', {}, title));
    groups.forEach((g, i) => {
        const y = i * row + 4;
        svg.append(element('text', { x: label - 8, y: y + 14, 'text-anchor': 'end' }, g.display.length > 64 ? `${g.display.slice(0, 63)}…` : g.display), element('rect', {
            class: 'bar',
            x: label,
            y,
            height: row - 6,
            width: ((width - label - 60) * g.percentage) / 100,
        }), element('text', { x: label + ((width - label - 60) * g.percentage) / 100 + 6, y: y + 14 }, `${g.percentage}%`));
    });
    figure.replaceChildren(svg);
}
function table(target, groups, heading) {
    const head = document.createElement('thead');
    head.innerHTML = '<tr><th></th><th>Eligible</th><th>Vaccinated</th><th>Uptake</th></tr>';
    head.querySelector('th').textContent = heading;
    const body = document.createElement('tbody');
    for (const g of groups) {
        const tr = document.createElement('tr');
        for (const [text, numeric] of [
            [g.display, false],
            [number(g.eligible), true],
            [number(g.vaccinated), true],
            [`${g.percentage}%`, true],
        ]) {
            const td = document.createElement('td');
            td.textContent = text;
            if (numeric)
                td.className = 'number';
            tr.append(td);
        }
        body.append(tr);
    }
    target.replaceChildren(head, body);
}
/** A CSV cell, quoted when it must be. */
const cell = (value) => {
    const text = String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
function csv() {
    if (!shown)
        return '';
    const lines = [
        ['breakdown', 'code', 'name', 'eligible', 'vaccinated', 'percentage'].join(','),
        ...shown.groups.map((g) => [g.breakdown, g.code, g.display, g.eligible, g.vaccinated, g.percentage].map(cell).join(',')),
        '',
        ['date', 'vaccinated', 'cumulative', 'percentage'].join(','),
        ...shown.days.map((d) => [d.date, d.vaccinated, d.cumulative, d.percentage].join(',')),
    ];
    return `${lines.join('\n')}\n`;
}
async function show() {
    const field = (name) => form.elements.namedItem(name).value;
    const programme = field('programme');
    const level = field('level');
    const date = field('date');
    const breakdowns = ['age-band', 'sex', 'ethnic-category', 'priority-group', level];
    const body = {
        resourceType: 'Parameters',
        parameter: [
            { name: 'programme', valueCode: programme },
            ...(date ? [{ name: 'date', valueDate: date }] : []),
            ...breakdowns.map((b) => ({ name: 'breakdown', valueCode: b })),
        ],
    };
    status.textContent = 'Counting…';
    const token = sessionStorage.getItem(TOKEN_KEY);
    const response = await fetch(`${FHIR}/$uptake`, {
        method: 'POST',
        headers: {
            'content-type': 'application/fhir+json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
    });
    const answer = (await response.json());
    if (!response.ok) {
        status.textContent =
            response.status === 401
                ? 'Sign in: paste an access token above.'
                : (answer.issue?.[0]?.diagnostics ?? 'Failed');
        byId('result').hidden = true;
        return;
    }
    const parameters = answer.parameter ?? [];
    const value = (name) => parameters.find((p) => p.name === name);
    const groups = parameters.filter((p) => p.name === 'group').map(groupOf);
    const days = parameters.filter((p) => p.name === 'day').map(dayOf);
    const of = (breakdown) => groups.filter((g) => g.breakdown === breakdown);
    shown = { title: `${programme} ${value('date')?.valueDate ?? ''}`, groups, days };
    byId('eligibility').textContent = `Eligible: ${value('eligibility')?.valueString ?? ''}.`;
    byId('eligible').textContent = number(value('eligible')?.valueInteger ?? 0);
    byId('vaccinated').textContent = number(value('vaccinated')?.valueInteger ?? 0);
    byId('percentage').textContent = `${value('percentage')?.valueDecimal ?? 0}%`;
    lineChart(byId('over-time'), days);
    barChart(byId('by-area'), of(level), 'Uptake by area');
    table(byId('area-table'), of(level), 'Area');
    barChart(byId('by-age'), of('age-band'), 'Uptake by age');
    table(byId('age-table'), of('age-band'), 'Age');
    barChart(byId('by-group'), of('priority-group'), 'Uptake by priority group');
    table(byId('group-table'), of('priority-group'), 'Priority group');
    table(byId('people-table'), [...of('sex'), ...of('ethnic-category')], 'Sex, ethnic category');
    byId('result').hidden = false;
    status.textContent = `Uptake of ${programme} on ${value('date')?.valueDate ?? ''}.`;
}
tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
tokenInput.addEventListener('change', () => {
    sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
    void show();
});
form.addEventListener('submit', (event) => {
    event.preventDefault();
    void show();
});
byId('download').addEventListener('click', () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([csv()], { type: 'text/csv' }));
    link.download = `uptake-${shown?.title.replace(' ', '-') ?? 'none'}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
});
void show();
export {};
//# sourceMappingURL=statistics.js.map