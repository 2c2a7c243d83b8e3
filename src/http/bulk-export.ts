import type { IRouter, Request } from 'express';
import type { AuditLog } from '../auth/audit.js';
import { FhirError, informational } from '../fhir/errors.js';
import type { ExportJobs } from '../export/jobs.js';
import { accessOf, auditedHandler, sendPieces } from './job-routes.js';

/**
 * The Bulk Data status and file URLs a kick-off hands out (`$export-status/{id}`, `$export-file/{id}/
 * {Type}.ndjson`): each is the client's own, read with its token; each use is in the audit trail.
 */
export function addBulkExportRoutes(
  router: IRouter,
  exports: ExportJobs,
  audit: AuditLog | undefined,
  baseOf: (request: Request) => string,
): void {
  const handle = auditedHandler(audit);
  const job = (request: Request) => String(request.params.id);

  router.get(
    '/$export-status/:id',
    handle('operation', 'R', async (request, response) => {
      const found = await exports.get(accessOf(response), job(request));
      if (found.state === 'in-progress') {
        response
          .status(202)
          .set({
            'X-Progress': `${found.written.toLocaleString('en-GB')} resources written${found.current ? `, now ${found.current}` : ''}`,
            'Retry-After': '5',
          })
          .end();
        return 202;
      }
      if (found.state === 'failed')
        throw new FhirError([{ code: 'export-failed', diagnostics: found.error ?? 'The export failed' }]);
      const base = baseOf(request);
      response
        .status(200)
        .set('Expires', found.expires.toUTCString())
        .type('application/json')
        .send(
          JSON.stringify({
            transactionTime: found.transactionTime,
            request: found.request,
            requiresAccessToken: true,
            output: found.files.map((f) => ({
              type: f.type,
              url: `${base}/$export-file/${found._id}/${f.type}.ndjson`,
              count: f.count,
            })),
            error: [],
          }),
        );
      return 200;
    }),
  );

  router.delete(
    '/$export-status/:id',
    handle('operation', 'D', async (request, response) => {
      await exports.cancel(accessOf(response), job(request));
      response
        .status(202)
        .type('application/fhir+json')
        .send(JSON.stringify(informational(`Export ${job(request)} cancelled and its files removed`)));
      return 202;
    }),
  );

  router.get(
    '/$export-file/:id/:file',
    handle('operation', 'R', async (request, response) => {
      const type = /^([A-Z][A-Za-z]+)\.ndjson$/.exec(String(request.params.file))?.[1] ?? '';
      await sendPieces(
        response,
        'application/fhir+ndjson',
        exports.file(accessOf(response), job(request), type),
      );
      return 200;
    }),
  );
}
