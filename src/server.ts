import { readFileSync } from 'node:fs';
import type { Task } from 'fhir/r4';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from './auth/audit.js';
import { CohortKeeper } from './cohort/keeper.js';
import { bookingOutbox } from './notifications/booking.js';
import { channelsFrom } from './notifications/channels.js';
import { MailingHouse } from './notifications/letters.js';
import { CallRecallScheduler } from './notifications/schedules.js';
import { MllpListener } from './hl7v2/listener.js';
import { GpDailyBatch } from './messaging/daily.js';
import { AnomalyScanner } from './resolution/anomaly-scan.js';
import { ExportJobs } from './export/jobs.js';
import { exportProfiles } from './export/profiles.js';
import { gpOutbox } from './messaging/delivery.js';
import { GpDailyOutbox } from './messaging/daily-outbox.js';
import { Endpoints } from './messaging/endpoints.js';
import { GpDispatcher } from './messaging/dispatcher.js';
import { GpInbound } from './messaging/inbound.js';
import { InvitationWorker } from './notifications/worker.js';
import { PreferenceService } from './preferences/service.js';
import { isOverride } from './preferences/override-task.js';
import { PreferenceOverrides } from './preferences/override.js';
import { TokenService } from './auth/tokens.js';
import type { Config } from './config.js';
import { BundleProcessor } from './fhir/transaction.js';
import { FhirService } from './fhir/service.js';
import { Validator } from './fhir/validation.js';
import { createApp } from './http/app.js';
import { IdempotentRequests } from './http/idempotency.js';
import { LiveProcesses } from './store/processes.js';
import { preferenceRoutes } from './web/preferences.js';
import { RESOURCE_TYPES } from './resources/registry.js';
import { logger } from './shared/logger.js';
import { connect, ensureIndexes, type Database } from './store/database.js';
import { SearchValues } from './store/reindex.js';
import { SupplierUploads } from './batch/uploads.js';
import { PatientMerges } from './register/merge.js';
import { CohortMembers } from './cohort/members.js';
import { Outbox } from './store/outbox.js';
import { DropFolder } from './batch/drop-folder.js';
import { ClientStore } from './auth/clients.js';
import { startFerretdb, type EmbeddedDatabase } from './store/ferretdb.js';
import { MongoRepository } from './store/mongo-repository.js';
import type { Deliveries } from './store/outbox.js';
import { Leases } from './store/leases.js';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunningServer {
  url: string;
  database: Database;
  /** Absent when the audit trail is off. */
  audit?: AuditLog;
  /** Absent when authentication is off. */
  tokens?: TokenService;
  /** The population index behind $cohort. */
  cohorts: CohortKeeper;
  /** Sends invitation runs. */
  invitations: InvitationWorker;
  /** Starts the daily call and recall runs. */
  callRecall: CallRecallScheduler;
  /** Turns vaccination record changes into messages for GP practices. */
  gpMessages: GpDispatcher;
  /** Deliveries to other systems (the booking system, when configured). */
  outboxes: Deliveries[];
  /** The port the HL7 v2 MLLP listener took (absent with MLLP_PORT=off). */
  mllpPort?: number;
  /** Stored search values kept in step with the parameter table. */
  searchValues: SearchValues;
  /** The embedded FerretDB, when no MONGODB_URI was given. */
  embedded?: EmbeddedDatabase;
  /**
   * Stops serving (requests under way finish, for at most DRAIN_SECONDS), stops the workers, writes the
   * queued audit trail (for at most `auditDeadlineMs`), closes the database.
   */
  stop(options?: { auditDeadlineMs?: number }): Promise<void>;
  /** The step a stop is at, for a stop that overruns its deadline to name. */
  stopping: { step: string };
}

/**
 * Stops listening and waits for the requests under way (idle keep-alive connections close at once); after
 * `drainMs` the connections still open are closed.
 */
async function closeGracefully(server: Server, drainMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    timer = setTimeout(() => server.closeAllConnections(), drainMs);
  });
  clearTimeout(timer);
}

/** Starts the whole server: database (embedded unless MONGODB_URI), repository, HTTP. */
export async function startServer(config: Config): Promise<RunningServer> {
  let embedded: EmbeddedDatabase | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startFerretdb(PROJECT_ROOT, config.dataDir, config.embeddedSync);
    uri = embedded.uri;
  }
  const database = await connect(uri, config.dbName);
  await ensureIndexes(database, RESOURCE_TYPES);
  // this process says it is alive, so what it claims and leaves behind when killed is taken over quickly
  const processes = new LiveProcesses(database.db);
  await processes.start();
  const repository = new MongoRepository(database.db, undefined, processes);
  const searchValues = new SearchValues(database.db, repository);
  const service = new FhirService(repository, new Validator());
  const audit = config.audit ? new AuditLog(repository) : undefined;
  if (!audit) logger.warn('AUDIT=off: no AuditEvent is written for any request');
  const overrides = new PreferenceOverrides(service);
  // an override staff start or end here applies at once (elsewhere within the overrides' reading time)
  repository.onChange((event) => {
    if ([event.resource, event.previous].some((task) => task && isOverride(task as Task))) overrides.forget();
  });
  const cohorts = new CohortKeeper(
    database.db,
    repository,
    (type, patientId) => service.ofPatient(type, patientId),
    overrides,
  );
  cohorts.start();
  // stored search values are worked out again once the cohort index is built: its full reads of the
  // collections must not meet documents being rewritten without a change to follow
  let cohortIndexBuilt = false;
  void cohorts
    .whenReady()
    .then(() => {
      cohortIndexBuilt = true;
      return searchValues.start(RESOURCE_TYPES);
    })
    .catch((error: unknown) => logger.error('search values not checked', { error: String(error) }));
  const booking = config.booking
    ? bookingOutbox(database.db, config.booking.url, config.booking.apiKey)
    : undefined;
  if (!booking) logger.warn('BOOKING_URL not set: invited people are not handed to a booking system');
  const channels = channelsFrom(config.channels, database.db);
  const letters = channels.get('letter');
  // one reading of the practices' endpoints for the dispatcher and both GP outboxes
  const endpoints = new Endpoints(database.db);
  repository.onChange((event) => {
    if (event.type === 'Endpoint') endpoints.forget();
  });
  const gp = {
    immediate: gpOutbox(database.db, endpoints, config.gpMaxTries),
    daily: new GpDailyOutbox(database.db, endpoints, config.gpMaxTries),
  };
  const outboxes = [
    gp.immediate,
    gp.daily,
    ...(booking ? [booking] : []),
    ...(letters instanceof MailingHouse ? [letters.outbox] : []),
  ] as Deliveries[];
  await Promise.all(outboxes.map((o) => o.start()));
  const invitations = new InvitationWorker(database.db, service, cohorts, channels, booking, processes);
  await invitations.start();
  const leases = new Leases(database.db, processes);
  const callRecall = new CallRecallScheduler(database.db, { service, cohorts, invitations }, leases);
  callRecall.start();
  let url = '';
  const gpMessages = new GpDispatcher(
    database.db,
    service,
    gp,
    leases,
    endpoints,
    () => config.baseUrl ?? url,
    config.gpDailyPackSeconds * 1000,
  );
  await gpMessages.start();
  const gpInbound = new GpInbound(database.db);
  const gpDaily = new GpDailyBatch(gp.daily, leases, config.gpDailyAt, () => gpMessages.flush());
  gpDaily.start();
  const exports = new ExportJobs(
    database.db,
    exportProfiles(config.exportProfilesFile),
    config.exportHours * 3_600_000,
  );
  const uploads = new SupplierUploads(
    database.db,
    repository,
    service.validator,
    config.uploadHours * 3_600_000,
  );
  await uploads.start();
  const anomalies = new AnomalyScanner(service, cohorts, leases, config.anomalyScanAt);
  anomalies.start();
  const preferences = new PreferenceService(database.db, service, channels, config.preferences, audit);
  const mllp = config.mllp ? new MllpListener(service, gpInbound) : undefined;
  const mllpPort = config.mllp ? await mllp!.start(config.mllp.port, config.mllp.host) : undefined;
  const tokens = config.auth
    ? new TokenService(database.db, {
        tokenTtlSeconds: config.tokenTtlSeconds,
        keyRotationMs: config.keyRotationHours * 3_600_000,
        ...(config.tokenKeySecret ? { keySecret: config.tokenKeySecret } : {}),
      })
    : undefined;
  if (tokens) await tokens.keys.current();
  else logger.warn('AUTH=off: every request is served without a token, as an unrestricted client');
  const merges = new PatientMerges(
    service,
    new CohortMembers(database.db),
    async (from, to) => {
      for (const outbox of outboxes) if (outbox instanceof Outbox) await outbox.repoint(from, to);
    },
    (patientId) => anomalies.scanPatient(patientId),
  );
  const workers = {
    cohorts,
    invitations,
    callRecall,
    outboxes,
    gpInbound,
    gpDaily,
    preferences,
    anomalies,
    exports,
    uploads,
    merges,
    ...(tokens ? { tokens } : {}),
  };
  const stopping = { step: '' };
  const bundles = new BundleProcessor(service, repository, audit, workers);
  const app = createApp({
    service,
    bundles,
    workers,
    ...(config.channels.notify?.callbackToken
      ? { notifyCallbackToken: config.channels.notify.callbackToken }
      : {}),
    ...(audit ? { audit } : {}),
    ...(tokens ? { tokens } : {}),
    maxBodyBytes: config.maxBodyBytes,
    rateLimits: config.rateLimits,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    preferencePages: preferenceRoutes(database.db, preferences, tokens),
    idempotency: new IdempotentRequests(database.db, processes),
    ping: async () => {
      await database.db.command({ ping: 1 });
    },
    notReady: () => {
      if (stopping.step) return 'stopping';
      return cohortIndexBuilt ? undefined : 'building the cohort index';
    },
    ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
    ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
  });
  // a client that is slow to send its headers or its body is answered 408 and cut off, checked every
  // second, so it holds no connection for long
  const timeouts = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: 1000,
  };
  const server: Server = config.tls
    ? createHttpsServer(
        { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile), ...timeouts },
        app,
      )
    : createHttpServer(timeouts, app);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  url = `${config.tls ? 'https' : 'http'}://localhost:${port}/fhir`;
  logger.info('nims listening', { url });
  const dropFolder = config.dropDir
    ? new DropFolder(config.dropDir, uploads, new ClientStore(database.db), () => config.baseUrl ?? url)
    : undefined;
  dropFolder?.start();
  return {
    url,
    database,
    searchValues,
    cohorts,
    invitations,
    callRecall,
    gpMessages,
    outboxes,
    ...(mllpPort !== undefined ? { mllpPort } : {}),
    ...(audit ? { audit } : {}),
    ...(tokens ? { tokens } : {}),
    ...(embedded ? { embedded } : {}),
    stopping,
    stop: async ({ auditDeadlineMs }: { auditDeadlineMs?: number } = {}) => {
      // in order: no new requests (those under way finish), then the workers between two steps of
      // theirs, then what is queued is written and the database closes
      const steps: [string, () => unknown][] = [
        ['http', () => closeGracefully(server, config.drainMs)],
        ['cohort index', () => cohorts.stop()],
        ['invitations', () => invitations.stop()],
        ['search values', () => searchValues.stop()],
        ['call and recall', () => callRecall.stop()],
        ['GP messages', () => gpMessages.stop()],
        ['GP daily batches', () => gpDaily.stop()],
        ['anomaly scans', () => anomalies.stop()],
        ['exports', () => exports.stop()],
        ['drop folder', () => dropFolder?.stop()],
        ['uploads', () => uploads.stop()],
        ['MLLP', () => mllp?.stop()],
        ['outboxes', () => Promise.all(outboxes.map((o) => o.stop()))],
        ['audit trail', () => audit?.close(auditDeadlineMs)],
        ['process', () => processes.stop()],
        ['database', () => database.close()],
        ['embedded FerretDB', () => embedded?.stop()],
      ];
      for (const [name, step] of steps) {
        stopping.step = name;
        const started = Date.now();
        await step();
        logger.debug('stopped', { step: name, ms: Date.now() - started });
      }
    },
  };
}
