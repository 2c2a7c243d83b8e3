import { fail } from '../fhir/errors.js';
import { lineRecords } from '../register/records.js';
import { operationDefinition, registerOperation } from './registry.js';
/** Lines reported back with their problem, at most. */
const MAX_LISTED = 1000;
const REFERENCE = /^[A-Za-z0-9\-.]{1,64}\/[A-Za-z0-9\-.]{1,64}\/\d{1,2}$/;
const count = (name, documentation) => ({ name, use: 'out', min: 1, max: '1', type: 'integer', documentation });
registerOperation({
    definition: operationDefinition('returned-mail', 'ReturnedMail', ['Communication'], 'Takes the mailing house\'s returned-mail notices: text/csv (header: reference,reason) or NDJSON objects ({"reference", "reason"}), one returned letter a line, the reference being the one the letter was sent with. Each letter\'s Communication becomes not-done with the reason, the person counts as failed (and returned) in their run, and the lines that name no letter are listed with their line numbers.', [
        count('marked', 'Letters marked returned'),
        count('already', 'Letters reported returned before'),
        count('rejected', 'Lines that name no letter sent'),
        { name: 'problem', use: 'out', min: 0, max: '*', type: 'string', documentation: 'line N: why' },
    ]),
    needs: () => [['Communication', 'u']],
    handle: async (request, { invitations }) => {
        if (!invitations)
            fail('not-ready', 'Invitations are not available in this server');
        if (!request.stream)
            fail('unsupported-media-type', 'Send the notices as text/csv or application/x-ndjson');
        const counts = { marked: 0, already: 0, rejected: 0 };
        const problems = [];
        const reject = (line, why) => {
            counts.rejected++;
            if (problems.length < MAX_LISTED)
                problems.push(`line ${line}: ${why}`);
        };
        for await (const record of lineRecords(request.stream)) {
            if (!record.fields) {
                reject(record.line, record.unreadable ?? 'unreadable');
                continue;
            }
            const { reference, reason } = record.fields;
            if (typeof reference !== 'string' || !REFERENCE.test(reference)) {
                reject(record.line, 'reference is not a letter reference (run/patient/step)');
                continue;
            }
            const why = typeof reason === 'string' && reason.trim() ? reason.trim().slice(0, 200) : 'returned to sender';
            const outcome = await invitations.returned(reference, why);
            if (outcome === 'marked' || outcome === 'already')
                counts[outcome]++;
            else
                reject(record.line, outcome === 'not-a-letter' ? 'that message was not a letter' : 'no letter has that reference');
        }
        const parameter = [
            ...Object.entries(counts).map(([name, valueInteger]) => ({ name, valueInteger })),
            ...problems.map((valueString) => ({ name: 'problem', valueString })),
        ];
        return { status: 200, body: { resourceType: 'Parameters', parameter } };
    },
});
//# sourceMappingURL=returned-mail.js.map