// `npm run gp-daily -- [--date YYYY-MM-DD] [--server URL] [--token TOKEN]`: asks a running server to send
// the daily batches to the practices that take their vaccination messages once a day, for that day and
// the days before (default yesterday), and prints how many messages went and how many wait. The token
// comes from --token or NIMS_TOKEN (none is needed against AUTH=off).
import { parseArgs } from 'node:util';
async function main() {
    const { values } = parseArgs({
        options: {
            date: { type: 'string' },
            server: { type: 'string', default: 'http://localhost:8080/fhir' },
            token: { type: 'string' },
        },
    });
    const token = values.token ?? process.env.NIMS_TOKEN;
    const response = await fetch(`${values.server}/$gp-daily`, {
        method: 'POST',
        headers: {
            'content-type': 'application/fhir+json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({
            resourceType: 'Parameters',
            parameter: values.date ? [{ name: 'date', valueDate: values.date }] : [],
        }),
    });
    const answer = (await response.json());
    if (!response.ok || answer.resourceType !== 'Parameters') {
        const issue = answer.issue?.[0]?.diagnostics ?? response.statusText;
        throw new Error(`the server answered ${response.status}: ${issue}`);
    }
    const count = (name) => answer.parameter?.find((p) => p.name === name)?.valueInteger ?? 0;
    console.log(`delivered ${count('delivered')}, waiting for the next run ${count('failed')}`);
}
main().catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
});
//# sourceMappingURL=gp-daily.js.map