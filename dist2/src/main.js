import { loadConfig } from './config.js';
import { PROJECT_ROOT, startServer } from './server.js';
import { logger } from './shared/logger.js';
try {
    const config = loadConfig(process.env, PROJECT_ROOT);
    const server = await startServer(config);
    let stopping = false;
    const stop = (signal) => {
        if (stopping)
            return;
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
        server.stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
}
catch (error) {
    logger.error('start-up failed', { error: error.message });
    process.exit(1);
}
//# sourceMappingURL=main.js.map