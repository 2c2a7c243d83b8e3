import winston from 'winston';
/** JSON log lines on stdout. Callers pass only technical fields, never personal data. */
export const logger = winston.createLogger({
    level: process.env.LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
    silent: process.env.LOG_LEVEL === 'silent',
});
//# sourceMappingURL=logger.js.map