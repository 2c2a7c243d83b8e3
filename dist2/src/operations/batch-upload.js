import { COLUMNS } from '../batch/flat-file.js';
import { RESULTS } from '../batch/uploads.js';
import { fail, informational } from '../fhir/errors.js';
import { output } from './parameters.js';
import { operationDefinition, registerOperation } from './registry.js';
/** What a finished upload says: its file, its counts per result, and where its acknowledgement is. */
export function uploadReport(job, baseUrl) {
    return {
        resourceType: 'Parameters',
        parameter: [
            { name: 'upload', valueString: job._id },
            ...(job.file ? [{ name: 'file', valueString: job.file }] : []),
            { name: 'sha256', valueString: job.sha256 },
            { name: 'rows', valueInteger: job.rows },
            ...RESULTS.map((result) => ({ name: result, valueInteger: job.totals[result] })),
            { name: 'acknowledgement', valueUrl: `${baseUrl}/$batch-upload-ack/${job._id}` },
        ],
    };
}
registerOperation({
    definition: operationDefinition('batch-upload', 'BatchUpload', [], `A supplier's file of vaccination events (text/csv, the national flat file: a header row, fields separated by | or a comma; columns ${COLUMNS.map((c) => c.name).join(', ')}). The file is stored as it arrives and applied in the background, each row on its own (ACTION_FLAG new, update or delete of the record its UNIQUE_ID_URI and UNIQUE_ID name): 202 with Content-Location, a status URL that answers 202 with X-Progress while rows are applied and then these counts and the acknowledgement file, one line a row (created, updated, deleted, unchanged with the Immunization id and version, or rejected with the column and why). The same file sent again answers the first upload and applies nothing. Optional ?file= names the file in the report.`, [
        output('upload', 'string', '1', 'The upload id'),
        output('rows', 'integer', '1', 'Rows read'),
        ...RESULTS.map((r) => output(r, 'integer', '1', `Rows ${r}`)),
        output('acknowledgement', 'url', '1', 'The acknowledgement file (text/csv)'),
    ], 'system'),
    needs: () => [
        ['Immunization', 'c'],
        ['Patient', 's'],
    ],
    handle: async (request, { uploads }) => {
        if (!uploads)
            fail('not-ready', 'Supplier uploads are not available in this server');
        if (request.stream?.format !== 'csv')
            fail('unsupported-media-type', 'Send the vaccination events as text/csv (the national flat file)');
        const file = request.params.find(([name]) => name === 'file')?.[1];
        if (file !== undefined && !/^[\w.-]{1,200}$/.test(file))
            fail('invalid-request', 'file is a file name (letters, digits, . _ -)', ['file']);
        const { job, received } = await uploads.receive(request.context.access, request.stream.body, file);
        return {
            status: 202,
            body: informational(received === 'before'
                ? `This file was received before as upload ${job._id}; nothing was applied again. Poll the Content-Location for its report`
                : `Upload ${job._id} received; poll the Content-Location`),
            headers: { 'Content-Location': `${request.context.baseUrl}/$batch-upload-status/${job._id}` },
        };
    },
});
//# sourceMappingURL=batch-upload.js.map