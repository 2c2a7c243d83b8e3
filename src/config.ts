import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { PreferenceSettings } from './preferences/service.js';
import type { MailingDrop } from './notifications/letters.js';
import type { EmbeddedSync } from './store/ferretdb.js';

export interface Config {
  port: number;
  /** Server processes sharing the port (see cluster.ts); 1: this process serves on its own. */
  workers: number;
  host: string;
  /** A MongoDB URI; when absent the embedded FerretDB is started. */
  mongodbUri?: string;
  dbName: string;
  /** Where the embedded FerretDB keeps its SQLite files. */
  dataDir: string;
  /** Whether the embedded FerretDB waits for the disk on every commit (see EmbeddedSync). */
  embeddedSync: EmbeddedSync;
  /** Public base URL of the FHIR endpoint, used in links and Location headers. */
  baseUrl?: string;
  /** Largest accepted request body. */
  maxBodyBytes: number;
  production: boolean;
  /** False only with AUTH=off, for local development. */
  auth: boolean;
  /** False only with AUDIT=off, for local development and benchmarks. */
  audit: boolean;
  tokenTtlSeconds: number;
  keyRotationHours: number;
  /** Seals the token signing keys in the database; required in production. */
  tokenKeySecret?: string;
  rateLimits: { perAddress: number; perClient: number };
  corsOrigins: string[];
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  trustProxy: string | boolean;
  /** Where invitations go; a channel without its setting only records what it would send. */
  channels: {
    notify?: { url: string; apiKey: string; callbackToken?: string; perSecond: number };
    nhsApp?: { url: string; apiKey?: string; perSecond: number };
    /** The mailing house: a drop folder or an HTTP endpoint, and how often letters are batched. */
    mailing?: { drop: MailingDrop; everySeconds: number };
  };
  /** The booking system, told who was invited for COVID-19 (NDJSON POSTed to this URL). */
  booking?: { url: string; apiKey?: string };
  /** Tries before a message to a GP practice is given up (a dead letter); an hour apart at most. */
  gpMaxTries: number;
  /** When (UK, HH:MM) the daily batches to practices that take them go each morning. */
  gpDailyAt: string;
  /** When (UK time, HH:MM) the daily anomaly scan of every vaccination record starts. */
  anomalyScanAt: string;
  /** How long a Bulk Data export's files are kept after it starts. */
  exportHours: number;
  /** How long a client may take to send a request's headers, and the whole request (408 after). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** At a stop, how long requests under way may take to finish before their connections close. */
  drainMs: number;
  /** At a stop, how long the whole stop may take before the process exits anyway. */
  shutdownMs: number;
  /** How long supplier uploads, their reports and acknowledgements are kept. */
  uploadHours: number;
  /** Suppliers' drop folder: one folder a client id, files applied as uploads. */
  dropDir?: string;
  /** A JSON file of export profiles replacing the built-in ones (full, research). */
  exportProfilesFile?: string;
  /** How long messages for daily batches are held, to be stored packed together, before they are stored. */
  gpDailyPackSeconds: number;
  /** The MLLP listener for HL7 v2 (port 0: a free one); absent with MLLP_PORT=off. */
  mllp?: { port: number; host: string };
  /** The preference service's one-time codes: how long they last, and their Notify templates. */
  preferences: PreferenceSettings;
  /** The bearer token a scraper shows for `/metrics`; absent: served only to callers on this machine. */
  metricsToken?: string;
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number`);
  return Number(value);
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === '') return fallback;
  if (!allowed.includes(value as T)) throw new Error(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function trustProxy(value: string | undefined): string | boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  return value === 'true' ? true : value;
}

function tlsFiles(env: NodeJS.ProcessEnv): { certFile: string; keyFile: string } {
  if (!env.TLS_CERT_FILE || !env.TLS_KEY_FILE)
    throw new Error('TLS needs both TLS_CERT_FILE and TLS_KEY_FILE');
  return { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE };
}

/** Reads and checks the configuration once, at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv, projectRoot: string): Config {
  const production = env.NODE_ENV === 'production';
  const config: Config = {
    port: integer('PORT', env.PORT, 8080),
    workers: env.WORKERS === 'auto' ? availableParallelism() : integer('WORKERS', env.WORKERS, 1),
    host: env.HOST ?? '0.0.0.0',
    dbName: env.MONGODB_DB ?? 'nims',
    dataDir: env.NIMS_DATA_DIR ?? join(projectRoot, 'data'),
    embeddedSync: oneOf('EMBEDDED_DB_SYNC', env.EMBEDDED_DB_SYNC, ['normal', 'full'] as const, 'normal'),
    maxBodyBytes: integer('MAX_BODY_BYTES', env.MAX_BODY_BYTES, 10 * 1024 * 1024),
    production,
    auth: env.AUTH !== 'off',
    audit: env.AUDIT !== 'off',
    tokenTtlSeconds: integer('TOKEN_TTL_SECONDS', env.TOKEN_TTL_SECONDS, 300),
    keyRotationHours: integer('KEY_ROTATION_HOURS', env.KEY_ROTATION_HOURS, 24),
    rateLimits: {
      perAddress: integer('RATE_LIMIT_PER_ADDRESS', env.RATE_LIMIT_PER_ADDRESS, 60_000),
      perClient: integer('RATE_LIMIT_PER_CLIENT', env.RATE_LIMIT_PER_CLIENT, 60_000),
    },
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: trustProxy(env.TRUST_PROXY),
    ...(env.TLS_CERT_FILE || env.TLS_KEY_FILE ? { tls: tlsFiles(env) } : {}),
    ...(env.TOKEN_KEY_SECRET ? { tokenKeySecret: env.TOKEN_KEY_SECRET } : {}),
    ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
    ...(env.MONGODB_URI ? { mongodbUri: env.MONGODB_URI } : {}),
    ...(env.BASE_URL ? { baseUrl: env.BASE_URL.replace(/\/+$/, '') } : {}),
    channels: {
      ...(env.NOTIFY_URL && env.NOTIFY_API_KEY
        ? {
            notify: {
              url: env.NOTIFY_URL,
              apiKey: env.NOTIFY_API_KEY,
              perSecond: integer('NOTIFY_PER_SECOND', env.NOTIFY_PER_SECOND, 50),
              ...(env.NOTIFY_CALLBACK_TOKEN ? { callbackToken: env.NOTIFY_CALLBACK_TOKEN } : {}),
            },
          }
        : {}),
      ...(env.NHSAPP_URL
        ? {
            nhsApp: {
              url: env.NHSAPP_URL,
              perSecond: integer('NHSAPP_PER_SECOND', env.NHSAPP_PER_SECOND, 50),
              ...(env.NHSAPP_API_KEY ? { apiKey: env.NHSAPP_API_KEY } : {}),
            },
          }
        : {}),
      ...(env.MAILING_DIR || env.MAILING_URL
        ? {
            mailing: {
              drop: env.MAILING_URL
                ? { url: env.MAILING_URL, ...(env.MAILING_API_KEY ? { apiKey: env.MAILING_API_KEY } : {}) }
                : { folder: env.MAILING_DIR! },
              everySeconds: integer('MAILING_INTERVAL_SECONDS', env.MAILING_INTERVAL_SECONDS, 60),
            },
          }
        : {}),
    },
    gpMaxTries: integer('GP_MAX_TRIES', env.GP_MAX_TRIES, 72),
    gpDailyAt: env.GP_DAILY_AT ?? '02:00',
    anomalyScanAt: env.ANOMALY_SCAN_AT ?? '03:00',
    exportHours: integer('EXPORT_HOURS', env.EXPORT_HOURS, 24),
    uploadHours: integer('UPLOAD_HOURS', env.UPLOAD_HOURS, 168),
    drainMs: integer('DRAIN_SECONDS', env.DRAIN_SECONDS, 10) * 1000,
    headersTimeoutMs: integer('HEADERS_TIMEOUT_SECONDS', env.HEADERS_TIMEOUT_SECONDS, 10) * 1000,
    requestTimeoutMs: integer('REQUEST_TIMEOUT_SECONDS', env.REQUEST_TIMEOUT_SECONDS, 300) * 1000,
    shutdownMs: integer('SHUTDOWN_SECONDS', env.SHUTDOWN_SECONDS, 30) * 1000,
    ...(env.BATCH_DROP_DIR ? { dropDir: env.BATCH_DROP_DIR } : {}),
    ...(env.EXPORT_PROFILES_FILE ? { exportProfilesFile: env.EXPORT_PROFILES_FILE } : {}),
    gpDailyPackSeconds: integer('GP_DAILY_PACK_SECONDS', env.GP_DAILY_PACK_SECONDS, 300),
    preferences: {
      codeSeconds: integer('PREFERENCE_CODE_SECONDS', env.PREFERENCE_CODE_SECONDS, 600),
      templates: {
        sms: env.NOTIFY_CODE_SMS_TEMPLATE ?? '4f6a1b2c-0d3e-4f5a-8b6c-7d8e9f0a1b2c',
        email: env.NOTIFY_CODE_EMAIL_TEMPLATE ?? '5a7b2c3d-1e4f-4a6b-9c7d-8e9f0a1b2c3d',
      },
    },
    ...(env.MLLP_PORT === 'off'
      ? {}
      : { mllp: { port: integer('MLLP_PORT', env.MLLP_PORT, 2575), host: env.MLLP_HOST ?? '127.0.0.1' } }),
    ...(env.BOOKING_URL
      ? { booking: { url: env.BOOKING_URL, ...(env.BOOKING_API_KEY ? { apiKey: env.BOOKING_API_KEY } : {}) } }
      : {}),
  };
  if (config.workers < 1) throw new Error('WORKERS must be at least 1 (or auto)');
  if ([config.channels.notify?.perSecond, config.channels.nhsApp?.perSecond].includes(0))
    throw new Error('NOTIFY_PER_SECOND and NHSAPP_PER_SECOND must be at least 1');
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(config.gpDailyAt)) throw new Error('GP_DAILY_AT must be HH:MM');
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(config.anomalyScanAt))
    throw new Error('ANOMALY_SCAN_AT must be HH:MM');
  if (env.MAILING_DIR && env.MAILING_URL) throw new Error('Give MAILING_DIR or MAILING_URL, not both');
  if (config.headersTimeoutMs > config.requestTimeoutMs)
    throw new Error('HEADERS_TIMEOUT_SECONDS cannot be more than REQUEST_TIMEOUT_SECONDS');
  if (config.channels.mailing?.everySeconds === 0)
    throw new Error('MAILING_INTERVAL_SECONDS must be at least 1');
  if (Boolean(env.NOTIFY_URL) !== Boolean(env.NOTIFY_API_KEY))
    throw new Error('NOTIFY_URL and NOTIFY_API_KEY go together');
  for (const name of ['AUTH', 'AUDIT']) {
    const value = env[name];
    if (value !== undefined && !['on', 'off'].includes(value)) throw new Error(`${name} must be on or off`);
    if (production && value === 'off') throw new Error(`${name}=off is refused when NODE_ENV=production`);
  }
  if (config.tokenKeySecret !== undefined && config.tokenKeySecret.length < 32)
    throw new Error('TOKEN_KEY_SECRET must be at least 32 characters');
  if (production && config.auth && !config.tokenKeySecret)
    throw new Error(
      'NODE_ENV=production needs TOKEN_KEY_SECRET (it seals the token signing keys in the database)',
    );
  if (config.tokenTtlSeconds < 1 || config.keyRotationHours < 1)
    throw new Error('TOKEN_TTL_SECONDS and KEY_ROTATION_HOURS must be at least 1');
  if (production && !config.mongodbUri)
    throw new Error('NODE_ENV=production needs MONGODB_URI (the embedded database is for development)');
  return config;
}
