import { programme, programmesOf, seasonStartDay } from '../src/cohort/programmes.js';
import { attributesOf, PRIORITY_GROUPS } from '../src/register/attributes.js';
import { eligibilityOf } from '../src/statistics/eligibility.js';
import { meets } from './cohort-brute-force.js';
const DAY_MS = 86_400_000;
const dayOf = (date) => Math.floor(Date.parse(date.slice(0, 10)) / DAY_MS);
/** The figures `$uptake` should give, counted plainly over generated people. */
export function uptakeByBruteForce(population, geography, code, on) {
    const p = programme(code);
    const day = dayOf(on.toISOString());
    const from = p.doses === undefined ? seasonStartDay(p, on) : day - 364;
    const practices = new Map(geography.practices.map((q) => [q.code, q]));
    const groups = new Map();
    const byDay = new Map();
    let eligible = 0;
    let vaccinated = 0;
    let before = 0;
    const add = (key, done) => {
        const [e, v] = groups.get(key) ?? [0, 0];
        groups.set(key, [e + 1, v + (done ? 1 : 0)]);
    };
    population.people.forEach((person, i) => {
        const clauses = eligibilityOf(code).clauses;
        if (!clauses.some((c) => meets(population, i, { ...c, ageOn: on, includeOptedOut: true })))
            return;
        const days = population.vaccinations[i].filter((v) => programmesOf(v).includes(p))
            .map((v) => dayOf(v.occurrenceDateTime))
            .filter((d) => d <= day && (p.doses !== undefined || d >= from))
            .sort((a, b) => a - b);
        const when = p.doses === undefined ? days[0] : days[p.doses - 1];
        const done = when !== undefined;
        eligible++;
        if (done) {
            vaccinated++;
            if (when < from)
                before++;
            else
                byDay.set(when, (byDay.get(when) ?? 0) + 1);
        }
        const [y, m, d] = person.birthDate.split('-').map(Number);
        const years = on.getUTCFullYear() -
            y -
            (on.getUTCMonth() + 1 < m || (on.getUTCMonth() + 1 === m && on.getUTCDate() < d) ? 1 : 0);
        const band = Math.min(18, Math.floor(years / 5));
        add(`age-band|${band === 18 ? '90+' : `${band * 5}-${band * 5 + 4}`}`, done);
        add(`sex|${person.gender}`, done);
        add(`ethnic-category|${person.extension[0].valueCodeableConcept.coding[0].code}`, done);
        const date = on.toISOString().slice(0, 10);
        const held = new Set(attributesOf(person)
            .filter((a) => (a.start ?? date) <= date && date <= (a.end ?? date))
            .map((a) => a.group));
        if (held.size === 0)
            add('priority-group|', done);
        for (const group of PRIORITY_GROUPS)
            if (held.has(group))
                add(`priority-group|${group}`, done);
        const practice = practices.get(person.generalPractitioner[0].identifier.value);
        add(`region|${practice.region}`, done);
        add(`icb|${practice.icb}`, done);
        add(`local-authority|${practice.localAuthority}`, done);
    });
    return { eligible, vaccinated, groups, byDay, before, from };
}
//# sourceMappingURL=uptake-brute-force.js.map