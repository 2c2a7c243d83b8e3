import { ANONYMOUS } from '../auth/access.js';
import { FhirError } from '../fhir/errors.js';
import { sendError } from './response.js';
/** The client a request was authenticated as. */
export const accessOf = (response) => response.locals.access ?? ANONYMOUS;
/**
 * An express handler for the URLs an asynchronous job hands out (its status, its files): `run` answers
 * and says with which status; each use, refused or not, goes into the audit trail.
 */
export function auditedHandler(audit) {
    return (interaction, action, run) => (request, response) => {
        const access = accessOf(response);
        const record = (status, failure) => audit?.record({
            access,
            ...(request.ip ? { address: request.ip } : {}),
            interaction,
            action,
            query: request.path.replace(/^\//, ''),
            references: [],
            patients: [],
            status,
            ...(failure ? { failure } : {}),
        });
        run(request, response)
            .then((status) => record(status))
            .catch(async (error) => {
            if (error instanceof FhirError)
                await record(error.status, error.problems[0]?.code);
            if (!response.headersSent)
                sendError(request, response, error);
            else
                response.destroy();
        });
    };
}
/** Streams a stored file piece by piece; the first piece proves it exists before any header goes out. */
export async function sendPieces(response, contentType, pieces) {
    let next = await pieces.next();
    response.status(200).type(contentType);
    while (!next.done) {
        if (!response.write(next.value))
            await new Promise((resolve) => response.once('drain', resolve));
        next = await pieces.next();
    }
    response.end();
}
//# sourceMappingURL=job-routes.js.map