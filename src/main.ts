import cluster from 'node:cluster';
import { runCluster, tellStarted } from './cluster.js';
import { loadConfig, type Config } from './config.js';
import { PROJECT_ROOT, startServer } from './server.js';
import { logger } from './shared/logger.js';

try {
  const config = loadConfig(process.env, PROJECT_ROOT);
  if (cluster.isPrimary && config.workers > 1) await runCluster(config);
  else await serve(config);
} catch (error) {
  logger.error('start-up failed', { error: (error as Error).message });
  process.exit(1);
}

/** Runs one server in this process until SIGTERM or SIGINT. */
async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    // a stop that cannot finish (a database that went first, a stuck worker) must not keep the process
    setTimeout(() => {
      logger.error('stop took too long; exiting', {
        step: server.stopping.step,
        seconds: config.shutdownMs / 1000,
      });
      process.exit(1);
    }, config.shutdownMs).unref();
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  tellStarted();
}
