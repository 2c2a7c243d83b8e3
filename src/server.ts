import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import { BundleProcessor } from './fhir/transaction.js';
import { FhirService } from './fhir/service.js';
import { Validator } from './fhir/validation.js';
import { createApp } from './http/app.js';
import './operations/index.js';
import { RESOURCE_TYPES } from './resources/registry.js';
import { logger } from './shared/logger.js';
import { connect, ensureIndexes, type Database } from './store/database.js';
import { startFerretdb, type EmbeddedDatabase } from './store/ferretdb.js';
import { MongoRepository } from './store/mongo-repository.js';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunningServer {
  url: string;
  database: Database;
  /** The embedded FerretDB, when no MONGODB_URI was given. */
  embedded?: EmbeddedDatabase;
  stop(): Promise<void>;
}

/** Starts the whole server: database (embedded unless MONGODB_URI), repository, HTTP. */
export async function startServer(config: Config): Promise<RunningServer> {
  let embedded: EmbeddedDatabase | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startFerretdb(PROJECT_ROOT, config.dataDir);
    uri = embedded.uri;
  }
  const database = await connect(uri, config.dbName);
  await ensureIndexes(database, RESOURCE_TYPES);
  const repository = new MongoRepository(database.db);
  const service = new FhirService(repository, new Validator());
  const bundles = new BundleProcessor(service, repository);
  const app = createApp({
    service,
    bundles,
    maxBodyBytes: config.maxBodyBytes,
    ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}/fhir`;
  logger.info('nims listening', { url });
  return {
    url,
    database,
    ...(embedded ? { embedded } : {}),
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await database.close();
      await embedded?.stop();
    },
  };
}
