import { join } from 'node:path';

export interface Config {
  port: number;
  host: string;
  /** A MongoDB URI; when absent the embedded FerretDB is started. */
  mongodbUri?: string;
  dbName: string;
  /** Where the embedded FerretDB keeps its SQLite files. */
  dataDir: string;
  /** Public base URL of the FHIR endpoint, used in links and Location headers. */
  baseUrl?: string;
  /** Largest accepted request body. */
  maxBodyBytes: number;
  production: boolean;
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number`);
  return Number(value);
}

/** Reads and checks the configuration once, at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv, projectRoot: string): Config {
  const production = env.NODE_ENV === 'production';
  const config: Config = {
    port: integer('PORT', env.PORT, 8080),
    host: env.HOST ?? '0.0.0.0',
    dbName: env.MONGODB_DB ?? 'nims',
    dataDir: env.NIMS_DATA_DIR ?? join(projectRoot, 'data'),
    maxBodyBytes: integer('MAX_BODY_BYTES', env.MAX_BODY_BYTES, 10 * 1024 * 1024),
    production,
    ...(env.MONGODB_URI ? { mongodbUri: env.MONGODB_URI } : {}),
    ...(env.BASE_URL ? { baseUrl: env.BASE_URL.replace(/\/+$/, '') } : {}),
  };
  if (production && !config.mongodbUri)
    throw new Error('NODE_ENV=production needs MONGODB_URI (the embedded database is for development)');
  return config;
}
