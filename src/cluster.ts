import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';
import { PROJECT_ROOT } from './server.js';
import { logger } from './shared/logger.js';
import { answerScrapes } from './shared/metrics.js';
import { startFerretdb } from './store/ferretdb.js';

const STARTED = 'nims:started';
/** Deaths of started workers within this long that make the primary give up rather than start more. */
const DEATHS_WINDOW_MS = 60_000;
const MAX_DEATHS = 5;

/** In a worker of a cluster: tells the primary that this server is up. */
export function tellStarted(): void {
  if (cluster.isWorker) process.send?.({ type: STARTED });
}

/**
 * WORKERS > 1: this process starts the embedded database (unless MONGODB_URI is set), then that many
 * server processes on the same port; node:cluster hands each new connection to one of them in turn. Each
 * is a whole server, as several behind a load balancer are: they keep in step through the database (the
 * change log, leases, claims), and the background work each kind of worker does is done by one of them.
 * A worker that dies is replaced; one that cannot start stops them all. SIGTERM or SIGINT stops every
 * worker (each as a single server stops), then the database.
 */
export async function runCluster(config: Config): Promise<void> {
  const embedded = config.mongodbUri
    ? undefined
    : await startFerretdb(PROJECT_ROOT, config.dataDir, config.embeddedSync);
  const env = embedded ? { MONGODB_URI: embedded.uri } : {};
  answerScrapes();
  const started = new Set<Worker>();
  const deaths: number[] = [];
  let stopping = false;

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).flatMap((w) => (w ? [w] : []));
    // each worker has SHUTDOWN_SECONDS of its own; one that overruns even that is ended
    setTimeout(() => {
      logger.error('server processes took too long to stop; ending them');
      for (const worker of workers) worker.process.kill('SIGKILL');
    }, config.shutdownMs + 5_000).unref();
    const codes = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<number | null>((resolve) => {
            if (worker.isDead()) return resolve(worker.process.exitCode);
            worker.once('exit', (code) => resolve(code));
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    await embedded?.stop();
    process.exit(codes.every((code) => code === 0) ? exitCode : 1);
  };

  const fork = () => {
    const worker = cluster.fork(env);
    worker.on('message', (message: { type?: string }) => {
      if (message.type !== STARTED) return;
      started.add(worker);
      if (started.size === config.workers) logger.info('server processes started', { workers: started.size });
    });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      if (!started.delete(worker)) {
        logger.error('a server process could not start; stopping the others', { code });
        return void stop(1);
      }
      const now = Date.now();
      deaths.push(now);
      if (deaths.filter((at) => now - at < DEATHS_WINDOW_MS).length > MAX_DEATHS) {
        logger.error('server processes keep dying; stopping', { code, signal });
        return void stop(1);
      }
      logger.error('a server process died; starting another', { code, signal });
      fork();
    });
  };

  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (let i = 0; i < config.workers; i++) fork();
}
