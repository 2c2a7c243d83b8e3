const FHIR = '/fhir';
const TOKEN_KEY = 'nims-token';
const SETTLE_MS = 250;
const byId = (id) => document.getElementById(id);
const form = byId('criteria');
const tokenInput = byId('token');
const levelSelect = byId('level');
let regions = [];
let sortKey = 'count';
let sortDescending = true;
let asked = 0;
const label = (code) => code.charAt(0).toUpperCase() + code.slice(1).replaceAll('-', ' ');
/** The form as $cohort parameters: one per chosen value, typed as the parameter is. */
function parameters() {
    const found = [];
    for (const element of Array.from(form.elements)) {
        const input = element;
        if (!input.name)
            continue;
        if (input instanceof HTMLSelectElement) {
            for (const option of Array.from(input.selectedOptions))
                if (option.value)
                    found.push({ name: input.name, valueCode: option.value });
        }
        else if (input.type === 'checkbox') {
            if (!input.checked)
                continue;
            found.push(input.value === 'on'
                ? { name: input.name, valueBoolean: true }
                : { name: input.name, valueCode: input.value });
        }
        else if (input.type === 'number') {
            if (input.value !== '')
                found.push({ name: input.name, valueInteger: Number(input.value) });
        }
        else if (input.type === 'date') {
            if (input.value)
                found.push({ name: input.name, valueDate: input.value });
        }
        else {
            for (const code of input.value.split(/[\s,]+/).filter(Boolean))
                found.push({ name: input.name, valueString: code });
        }
    }
    return found;
}
async function cohort(extra) {
    const token = tokenInput.value.trim();
    const response = await fetch(`${FHIR}/Patient/$cohort`, {
        method: 'POST',
        headers: {
            'content-type': 'application/fhir+json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ resourceType: 'Parameters', parameter: [...parameters(), ...extra] }),
    });
    const body = (await response.json());
    if (response.status === 401) {
        byId('sign-in').open = true;
        throw new Error('Sign in: paste an access token above.');
    }
    if (!response.ok)
        throw new Error(body.issue?.[0]?.diagnostics ?? `The server answered ${response.status}`);
    return body;
}
function rowsOf(parts, parent) {
    const value = (name) => parts.find((p) => p.name === name);
    const row = {
        code: value('code')?.valueString ?? '',
        name: value('name')?.valueString ?? '',
        level: value('level')?.valueCode ?? '',
        parent,
        count: value('count')?.valueInteger ?? 0,
        areas: [],
    };
    row.areas = parts.filter((p) => p.name === 'area').map((p) => rowsOf(p.part ?? [], row.name));
    return row;
}
function rowsAt(level, rows) {
    return rows.flatMap((row) => row.level === level || row.level === 'unassigned' ? [row] : rowsAt(level, row.areas));
}
function drawChart() {
    const chart = byId('chart');
    const largest = Math.max(1, ...regions.flatMap((r) => [r.count]));
    const bar = (row, kind) => {
        const item = document.createElement('li');
        item.className = `bar ${kind}`;
        const name = document.createElement('span');
        name.textContent = row.name;
        const fill = document.createElement('span');
        fill.className = 'fill';
        fill.style.width = `${(100 * row.count) / largest}%`;
        const count = document.createElement('span');
        count.textContent = row.count.toLocaleString('en-GB');
        item.append(name, fill, count);
        return item;
    };
    const list = document.createElement('ul');
    list.className = 'bars';
    for (const region of regions) {
        list.append(bar(region, 'region'));
        for (const icb of [...region.areas].sort((a, b) => b.count - a.count))
            list.append(bar(icb, 'icb'));
    }
    chart.replaceChildren(list);
}
function drawTable() {
    const rows = rowsAt(levelSelect.value, regions).sort((a, b) => {
        const x = a[sortKey];
        const y = b[sortKey];
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return sortDescending ? -order : order;
    });
    const body = document.querySelector('#breakdown tbody');
    body.replaceChildren(...rows.map((row) => {
        const tr = document.createElement('tr');
        for (const text of [row.name, row.code, row.parent, row.count.toLocaleString('en-GB')]) {
            const td = document.createElement('td');
            td.textContent = text;
            tr.append(td);
        }
        return tr;
    }));
    for (const th of Array.from(document.querySelectorAll('#breakdown th'))) {
        const key = th.querySelector('button').dataset.key;
        th.setAttribute('aria-sort', key === sortKey ? (sortDescending ? 'descending' : 'ascending') : 'none');
    }
}
/** Says so when staff have set people's COVID-19 invitation preferences aside (they are counted). */
function showOverride(parts) {
    const banner = byId('override');
    banner.hidden = !parts;
    if (!parts)
        return;
    const reason = parts.find((p) => p.name === 'reason')?.valueString ?? '';
    const until = parts.find((p) => p.name === 'until')?.valueDateTime;
    banner.textContent = `Invitation preferences are set aside${until ? ` until ${new Date(until).toLocaleString('en-GB')}` : ''}: ${reason}. People who said no to COVID-19 invitations are counted.`;
}
async function count() {
    const mine = ++asked;
    const status = byId('status');
    status.textContent = 'Counting…';
    status.classList.remove('error');
    try {
        const answer = await cohort([]);
        if (mine !== asked)
            return; // a newer question is on its way
        const total = answer.parameter?.find((p) => p.name === 'total')?.valueInteger ?? 0;
        byId('total').textContent = total.toLocaleString('en-GB');
        regions = (answer.parameter ?? []).filter((p) => p.name === 'area').map((p) => rowsOf(p.part ?? [], ''));
        status.textContent = `Ages on ${answer.parameter?.find((p) => p.name === 'age-on')?.valueDate ?? ''}`;
        showOverride(answer.parameter?.find((p) => p.name === 'preference-override')?.part);
        drawChart();
        drawTable();
    }
    catch (error) {
        if (mine !== asked)
            return;
        status.textContent = error instanceof Error ? error.message : String(error);
        status.classList.add('error');
    }
}
let settling;
function countSoon() {
    window.clearTimeout(settling);
    settling = window.setTimeout(() => void count(), SETTLE_MS);
}
async function start() {
    const options = (await (await fetch('/dashboard/options.json')).json());
    const groups = byId('priority-groups');
    for (const { code, name } of options.priorityGroups) {
        const item = document.createElement('label');
        item.className = 'check';
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.name = 'priority-group';
        box.value = code;
        item.append(box, ` ${name}`);
        groups.append(item);
    }
    const ethnic = byId('ethnic-category');
    for (const { code, name } of options.ethnicCategories)
        ethnic.append(new Option(`${code}: ${name}`, code));
    const risks = byId('clinical-risk-group');
    for (const { code } of options.clinicalRiskGroups)
        risks.append(new Option(label(code), code));
    tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
    tokenInput.addEventListener('change', () => {
        sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
        countSoon();
    });
    form.addEventListener('input', countSoon);
    form.addEventListener('change', countSoon);
    form.addEventListener('submit', (event) => event.preventDefault());
    levelSelect.addEventListener('change', drawTable);
    for (const button of Array.from(document.querySelectorAll('#breakdown th button')))
        button.addEventListener('click', () => {
            const key = button.dataset.key;
            sortDescending = key === sortKey ? !sortDescending : key === 'count';
            sortKey = key;
            drawTable();
        });
    byId('save').addEventListener('submit', (event) => {
        event.preventDefault();
        const saved = byId('saved');
        const name = byId('cohort-name').value.trim();
        cohort([
            { name: 'mode', valueCode: 'select' },
            { name: 'name', valueString: name },
            { name: 'breakdown', valueCode: 'none' },
        ]).then((answer) => {
            const group = answer.parameter?.find((p) => p.name === 'group')?.valueReference?.reference;
            const total = answer.parameter?.find((p) => p.name === 'total')?.valueInteger ?? 0;
            saved.textContent = `Saved “${name}” as ${group}: ${total.toLocaleString('en-GB')} people.`;
        }, (error) => {
            saved.textContent = error instanceof Error ? error.message : String(error);
        });
    });
    await count();
}
void start();
export {};
//# sourceMappingURL=dashboard.js.map