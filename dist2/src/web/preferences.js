import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Expiry } from '../store/expiry.js';
import { may } from '../auth/access.js';
import { isCalendarDate } from '../preferences/matching.js';
import { NOT_FOUND_MESSAGE, PreferenceRefusal, } from '../preferences/service.js';
const here = dirname(fileURLToPath(import.meta.url));
const STYLE = join(here, '..', '..', '..', 'web', 'preferences', 'style.css');
const COOKIE = 'nims_preferences';
/** A page session lasts as long as a verification. */
const SESSION_MS = 30 * 60_000;
/** HTML-escapes text put into a page. */
function esc(text) {
    return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
/** A whole page: the errors first (focused, each linking to its field), then the content. */
function page(title, body, options = {}) {
    const errors = options.errors ?? [];
    const summary = errors.length > 0
        ? `<div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">
<h2 id="error-summary-title">There is a problem</h2>
<ul>${errors.map((e) => `<li><a href="#${esc(e.id)}">${esc(e.message)}</a></li>`).join('')}</ul>
</div>`
        : '';
    return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${errors.length > 0 ? 'Error: ' : ''}${esc(title)} – COVID-19 vaccination invitations – NHS</title>
<link rel="stylesheet" href="/preferences/style.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header><p>NHS – COVID-19 vaccination invitations</p></header>
${options.agent ? `<p class="agent">Helpline mode: ${esc(options.agent)} is acting for a caller</p>` : ''}
<main id="main">
${summary}
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>`;
}
function field(id, label, errors, options = {}) {
    const error = errors.find((e) => e.id === id);
    const described = [options.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
    return `<div class="field${error ? ' field-error' : ''}">
<label for="${id}">${esc(label)}</label>
${options.hint ? `<span class="hint" id="${id}-hint">${esc(options.hint)}</span>` : ''}
${error ? `<span class="error-message" id="${id}-error">Error: ${esc(error.message)}</span>` : ''}
<input type="text" id="${id}" name="${id}" value="${esc(options.value ?? '')}"${described ? ` aria-describedby="${described}"` : ''}${error ? ' aria-invalid="true"' : ''}${options.autocomplete ? ` autocomplete="${options.autocomplete}"` : ''}${options.inputmode ? ` inputmode="${options.inputmode}"` : ''} spellcheck="false">
</div>`;
}
const form = (csrf, action, inner, button) => `<form method="post" action="${action}" novalidate>
<input type="hidden" name="csrf" value="${esc(csrf)}">
${inner}
<button type="submit">${esc(button)}</button>
</form>`;
function radios(name, legend, options, errors) {
    const error = errors.find((e) => e.id === name);
    return `<fieldset class="field${error ? ' field-error' : ''}"${error ? ` aria-describedby="${name}-error"` : ''}>
<legend>${esc(legend)}</legend>
${error ? `<span class="error-message" id="${name}-error">Error: ${esc(error.message)}</span>` : ''}
${options
        .map((o, i) => `<div class="radio"><input type="radio" id="${i === 0 ? name : `${name}-${i + 1}`}" name="${name}" value="${esc(o.value)}"><label for="${i === 0 ? name : `${name}-${i + 1}`}">${esc(o.label)}</label></div>`)
        .join('\n')}
</fieldset>`;
}
const sha256 = (value) => createHash('sha256').update(value).digest('hex');
function sameSecret(a, b) {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
}
/**
 * `/preferences`: the COVID-19 invitation preference journey as server-rendered pages that work without
 * JavaScript: details, where to send the code, the code, the choice. Every form carries the session's
 * CSRF token; the session is a random id in an HttpOnly, SameSite=Strict cookie, its state in the
 * database; nothing the person types goes into a URL or a log. `/preferences/helpline` signs a helpline
 * agent in (with their access token) to take the same journey for a caller, whose code still goes to
 * their own phone or email.
 */
export function preferenceRoutes(db, preferences, tokens) {
    const sessions = db.collection('preference_web_sessions');
    const expiry = new Expiry(sessions);
    const router = express.Router();
    const body = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
    router.get('/preferences/style.css', (_request, response) => response.sendFile(STYLE));
    /** The request's session, or a new one (with its cookie) when it has none that is still good. */
    async function sessionOf(request, response) {
        const id = /(?:^|;\s*)nims_preferences=([A-Za-z0-9_-]{43})/.exec(request.headers.cookie ?? '')?.[1];
        const found = id ? await sessions.findOne({ _id: sha256(id) }) : null;
        if (found && found.expires.getTime() > Date.now())
            return found;
        expiry.touch();
        const fresh = randomBytes(32).toString('base64url');
        const session = {
            _id: sha256(fresh),
            csrf: randomBytes(32).toString('base64url'),
            expires: new Date(Date.now() + SESSION_MS),
        };
        await sessions.insertOne(session);
        response.cookie(COOKIE, fresh, {
            httpOnly: true,
            sameSite: 'strict',
            secure: request.secure,
            path: '/preferences',
            maxAge: SESSION_MS,
        });
        return session;
    }
    const save = (session, changes) => sessions.updateOne({ _id: session._id }, { $set: changes });
    const originOf = (request, session) => ({
        ...(request.ip ? { address: request.ip } : {}),
        ...(session.agent ? { actor: session.agent } : {}),
    });
    const show = (response, status, html) => response
        .status(status)
        .setHeader('Cache-Control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(html);
    /** Wraps a handler: its session, and errors as a page rather than a stack. */
    const handle = (run) => (request, response, next) => {
        void (async () => {
            const session = await sessionOf(request, response);
            if (request.method === 'POST') {
                const given = request.body?.csrf;
                if (typeof given !== 'string' || !sameSecret(given, session.csrf))
                    return show(response, 403, page('Your session has ended', '<p><a href="/preferences">Start again</a>.</p>'));
            }
            await run(request, response, session);
        })().catch(next);
    };
    const agentName = (session) => session.agent?.name;
    // 1. details
    const detailsPage = (session, errors = [], values = {}) => page('Choose if you get COVID-19 vaccination invitations', `<p>If you are 16 or over you can choose not to get invitations and reminders from the national booking service for COVID-19 vaccination. It does not change invitations from your GP surgery, other vaccinations, or your records.</p>
<p>We need to check who you are. We will send a security code to the mobile phone number or email address your GP surgery has for you.</p>
${form(session.csrf, '/preferences/details', `${field('given', 'First name', errors, { value: values.given ?? '', autocomplete: 'given-name' })}
${field('family', 'Last name', errors, { value: values.family ?? '', autocomplete: 'family-name' })}
<fieldset class="field date${errors.some((e) => e.id === 'day') ? ' field-error' : ''}" role="group" aria-describedby="dob-hint">
<legend>Date of birth</legend>
<span class="hint" id="dob-hint">For example, 15 3 1984</span>
${errors.find((e) => e.id === 'day') ? `<span class="error-message" id="day-error">Error: ${esc(errors.find((e) => e.id === 'day').message)}</span>` : ''}
<div><label for="day">Day</label><input type="text" id="day" name="day" inputmode="numeric" autocomplete="bday-day" value="${esc(values.day ?? '')}"></div>
<div><label for="month">Month</label><input type="text" id="month" name="month" inputmode="numeric" autocomplete="bday-month" value="${esc(values.month ?? '')}"></div>
<div><label for="year">Year</label><input type="text" id="year" name="year" inputmode="numeric" autocomplete="bday-year" value="${esc(values.year ?? '')}"></div>
</fieldset>
${field('nhs-number', 'NHS number', errors, { hint: 'A 10-digit number, like 485 777 3456. You can find it on a letter from the NHS or in the NHS App.', value: values['nhs-number'] ?? '', inputmode: 'numeric' })}
${field('postcode', 'Postcode (if you do not know your NHS number)', errors, { hint: 'The postcode your GP surgery has for you', value: values.postcode ?? '', autocomplete: 'postal-code' })}`, 'Continue')}`, { errors, ...(agentName(session) ? { agent: agentName(session) } : {}) });
    router.get('/preferences', handle((_request, response, session) => {
        show(response, 200, detailsPage(session));
    }));
    router.get('/preferences/helpline', (_request, response) => response.redirect(303, '/preferences/helpline/sign-in'));
    router.post('/preferences/details', body, handle(async (request, response, session) => {
        const form = request.body;
        const text = (name) => (typeof form[name] === 'string' ? form[name].trim() : '');
        const values = Object.fromEntries(['given', 'family', 'day', 'month', 'year', 'nhs-number', 'postcode'].map((k) => [k, text(k)]));
        const errors = [];
        if (!values.given)
            errors.push({ id: 'given', message: 'Enter your first name' });
        if (!values.family)
            errors.push({ id: 'family', message: 'Enter your last name' });
        const [d, m, y] = [values.day, values.month, values.year].map((v) => Number(v));
        const birthDate = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
        if (!isCalendarDate(birthDate) || y < 1900)
            errors.push({ id: 'day', message: 'Enter your date of birth, for example 15 3 1984' });
        if (!values['nhs-number'] && !values.postcode)
            errors.push({ id: 'nhs-number', message: 'Enter your NHS number or your postcode' });
        if (errors.length > 0)
            return show(response, 400, detailsPage(session, errors, values));
        try {
            const verified = await preferences.verify({
                given: values.given,
                family: values.family,
                birthDate,
                ...(values['nhs-number'] ? { nhsNumber: values['nhs-number'] } : { postcode: values.postcode }),
            }, originOf(request, session));
            await save(session, { handle: verified.handle, destinations: verified.destinations });
            response.redirect(303, '/preferences/send-code');
        }
        catch (error) {
            if (!(error instanceof PreferenceRefusal))
                throw error;
            const id = error.reason === 'invalid-details' && /NHS number/.test(error.message) ? 'nhs-number' : 'given';
            const message = error.reason === 'not-found' ? NOT_FOUND_MESSAGE : error.message;
            show(response, error.reason === 'too-many' ? 429 : 400, detailsPage(session, [{ id, message }], values));
        }
    }));
    // 2. where the code goes
    const sendPage = (session, errors = []) => page('Where should we send your security code?', form(session.csrf, '/preferences/send-code', radios('destination', 'Send a 6-digit code to', (session.destinations ?? []).map((d) => ({
        value: d.kind,
        label: `${d.kind === 'sms' ? 'Text message to' : 'Email to'} ${d.masked}`,
    })), errors), 'Send code'), { errors, ...(agentName(session) ? { agent: agentName(session) } : {}) });
    const startAgain = (response) => response.redirect(303, '/preferences');
    router.get('/preferences/send-code', handle((_request, response, session) => {
        if (!session.handle)
            return startAgain(response);
        show(response, 200, sendPage(session));
    }));
    router.post('/preferences/send-code', body, handle(async (request, response, session) => {
        if (!session.handle)
            return startAgain(response);
        const kind = request.body.destination;
        const chosen = session.destinations?.find((d) => d.kind === kind);
        if (!chosen)
            return show(response, 400, sendPage(session, [{ id: 'destination', message: 'Choose where to send the code' }]));
        try {
            await preferences.sendCode(session.handle, chosen.kind, originOf(request, session));
            await save(session, { sentTo: chosen.masked });
            response.redirect(303, '/preferences/code');
        }
        catch (error) {
            if (!(error instanceof PreferenceRefusal))
                throw error;
            show(response, error.reason === 'too-many' ? 429 : 400, sendPage(session, [{ id: 'destination', message: error.message }]));
        }
    }));
    // 3. the code
    const codePage = (session, errors = []) => page('Enter your security code', `<p>We sent a 6-digit code to ${esc(session.sentTo ?? 'you')}. It works for 10 minutes.</p>
${form(session.csrf, '/preferences/code', field('code', 'Security code', errors, { autocomplete: 'one-time-code', inputmode: 'numeric' }), 'Continue')}
<p><a href="/preferences/send-code">Send a new code</a></p>`, { errors, ...(agentName(session) ? { agent: agentName(session) } : {}) });
    router.get('/preferences/code', handle((_request, response, session) => {
        if (!session.handle)
            return startAgain(response);
        show(response, 200, codePage(session));
    }));
    router.post('/preferences/code', body, handle(async (request, response, session) => {
        if (!session.handle)
            return startAgain(response);
        const code = request.body.code;
        if (typeof code !== 'string' || !/^\s*\d{6}\s*$/.test(code))
            return show(response, 400, codePage(session, [{ id: 'code', message: 'Enter the 6-digit code' }]));
        try {
            const patient = await preferences.confirm(session.handle, code, originOf(request, session));
            await save(session, { patient });
            response.redirect(303, '/preferences/choice');
        }
        catch (error) {
            if (!(error instanceof PreferenceRefusal))
                throw error;
            show(response, 400, codePage(session, [{ id: 'code', message: error.message }]));
        }
    }));
    // 4. the choice
    const choicePage = async (session, errors = []) => {
        const { choice } = await preferences.choiceOf(session.patient);
        return page('Do you want COVID-19 vaccination invitations?', `<div class="panel"><p>At the moment you ${choice === 'deny' ? '<strong>do not get</strong>' : '<strong>get</strong>'} invitations and reminders for COVID-19 vaccination from the national booking service.</p></div>
${form(session.csrf, '/preferences/choice', radios('choice', 'Choose one', [
            { value: 'permit', label: 'Yes, send me invitations and reminders' },
            { value: 'deny', label: 'No, do not send me invitations and reminders' },
        ], errors), 'Save my choice')}`, { errors, ...(agentName(session) ? { agent: agentName(session) } : {}) });
    };
    router.get('/preferences/choice', handle(async (_request, response, session) => {
        if (!session.patient)
            return startAgain(response);
        show(response, 200, await choicePage(session));
    }));
    router.post('/preferences/choice', body, handle(async (request, response, session) => {
        if (!session.patient)
            return startAgain(response);
        const choice = request.body.choice;
        if (choice !== 'permit' && choice !== 'deny')
            return show(response, 400, await choicePage(session, [{ id: 'choice', message: 'Choose yes or no' }]));
        await preferences.choose(session.patient, choice, originOf(request, session));
        // the journey is over: what proved who they were is forgotten
        await sessions.updateOne({ _id: session._id }, { $set: { done: choice }, $unset: { handle: '', destinations: '', sentTo: '', patient: '' } });
        response.redirect(303, '/preferences/done');
    }));
    router.get('/preferences/done', handle((_request, response, session) => {
        if (!session.done)
            return startAgain(response);
        show(response, 200, page('Your choice has been saved', `<div class="panel"><p>${session.done === 'deny' ? 'You will not get invitations or reminders for COVID-19 vaccination from the national booking service.' : 'You will get invitations and reminders for COVID-19 vaccination when you are eligible.'}</p></div>
<p>You can change your choice at any time. Your GP surgery may still contact you.</p>
<p><a href="/preferences">${session.agent ? 'Help another caller' : 'Start again'}</a></p>`, agentName(session) ? { agent: agentName(session) } : {}));
    }));
    // call-handler mode: the agent signs in with their access token (a client with the helpline role)
    const signInPage = (session, errors = []) => page('Helpline sign in', `<p>For helpline agents setting a caller's preference. The caller's security code still goes to their own phone or email; they read it out to you.</p>
${form(session.csrf, '/preferences/helpline/sign-in', field('token', 'Your access token', errors, { hint: 'From the token endpoint, for your helpline client' }), 'Sign in')}`, { errors });
    router.get('/preferences/helpline/sign-in', handle((_request, response, session) => {
        show(response, 200, signInPage(session));
    }));
    router.post('/preferences/helpline/sign-in', body, handle(async (request, response, session) => {
        const token = request.body.token;
        const refused = () => show(response, 401, signInPage(session, [
            { id: 'token', message: 'That token is not a helpline agent’s, or has expired' },
        ]));
        if (typeof token !== 'string' || !token.trim())
            return refused();
        let agent;
        if (!tokens)
            agent = { id: 'anonymous', name: 'a helpline agent (AUTH=off)' };
        else {
            const access = await tokens.verify(token.trim()).catch(() => undefined);
            if (!access || !may(access, 'Consent', 'c') || access.patient)
                return refused();
            agent = { id: access.clientId, name: access.clientName };
        }
        await save(session, { agent });
        response.redirect(303, '/preferences');
    }));
    return router;
}
//# sourceMappingURL=preferences.js.map