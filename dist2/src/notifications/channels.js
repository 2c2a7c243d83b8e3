import { logger } from '../shared/logger.js';
import { CHANNELS } from './channel.js';
import { MailingHouse } from './letters.js';
import { NhsAppChannel } from './nhs-app.js';
import { NotifyChannel } from './notify.js';
import { Limiter, RateLimited } from './rate.js';
import { RecordingChannel } from './recording.js';
/** The channels the configuration names; each one it does not only records what it would send. */
export function channelsFrom(settings, db) {
    // texts and emails go through one Notify key, and share its limit
    const notifyLimit = settings.notify ? new Limiter(settings.notify.perSecond) : undefined;
    const configured = {
        ...(settings.nhsApp
            ? {
                'nhs-app': new RateLimited(new NhsAppChannel(settings.nhsApp.url, settings.nhsApp.apiKey), new Limiter(settings.nhsApp.perSecond)),
            }
            : {}),
        ...(settings.notify
            ? {
                sms: new RateLimited(new NotifyChannel('sms', settings.notify.url, settings.notify.apiKey), notifyLimit),
                email: new RateLimited(new NotifyChannel('email', settings.notify.url, settings.notify.apiKey), notifyLimit),
            }
            : {}),
        ...(settings.mailing
            ? { letter: new MailingHouse(db, settings.mailing.drop, settings.mailing.everySeconds * 1000) }
            : {}),
    };
    const recorded = CHANNELS.filter((name) => !configured[name]);
    if (recorded.length > 0)
        logger.warn('invitation channels that only record, sending nothing', { channels: recorded });
    return new Map(CHANNELS.map((name) => [name, configured[name] ?? new RecordingChannel(name)]));
}
//# sourceMappingURL=channels.js.map