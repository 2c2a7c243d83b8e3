import type { IRouter, Request } from 'express';
import type { AuditLog } from '../auth/audit.js';
import type { SupplierUploads } from '../batch/uploads.js';
import { FhirError } from '../fhir/errors.js';
import { uploadReport } from '../operations/batch-upload.js';
import { accessOf, auditedHandler, sendPieces } from './job-routes.js';

/**
 * The URLs a supplier upload hands out: `$batch-upload-status/{id}` (202 with X-Progress while rows are
 * applied, then the report) and `$batch-upload-ack/{id}` (the acknowledgement file), each the client's
 * own and audited.
 */
export function addBatchUploadRoutes(
  router: IRouter,
  uploads: SupplierUploads,
  audit: AuditLog | undefined,
  baseOf: (request: Request) => string,
): void {
  const handle = auditedHandler(audit);
  const id = (request: Request) => String(request.params.id);

  router.get(
    '/$batch-upload-status/:id',
    handle('operation', 'R', async (request, response) => {
      const job = await uploads.get(accessOf(response), id(request));
      if (job.state === 'in-progress') {
        response
          .status(202)
          .set({ 'X-Progress': `${job.rows.toLocaleString('en-GB')} rows applied`, 'Retry-After': '5' })
          .end();
        return 202;
      }
      if (job.state === 'failed')
        throw new FhirError([{ code: 'upload-failed', diagnostics: job.error ?? 'The upload failed' }]);
      response
        .status(200)
        .set('Expires', job.expires.toUTCString())
        .type('application/fhir+json')
        .send(JSON.stringify(uploadReport(job, baseOf(request))));
      return 200;
    }),
  );

  router.get(
    '/$batch-upload-ack/:id',
    handle('operation', 'R', async (request, response) => {
      await sendPieces(response, 'text/csv', uploads.acknowledgement(accessOf(response), id(request)));
      return 200;
    }),
  );
}
