import type { Config } from '../config.js';
import { logger } from '../shared/logger.js';
import { CHANNELS, type Channel, type ChannelName } from './channel.js';
import { MailingHouse } from './letters.js';
import { NhsAppChannel } from './nhs-app.js';
import { NotifyChannel } from './notify.js';
import { RecordingChannel } from './recording.js';

/** The channels the configuration names; each one it does not only records what it would send. */
export function channelsFrom(settings: Config['channels']): Map<ChannelName, Channel> {
  const configured: Partial<Record<ChannelName, Channel>> = {
    ...(settings.nhsApp ? { 'nhs-app': new NhsAppChannel(settings.nhsApp.url, settings.nhsApp.apiKey) } : {}),
    ...(settings.notify
      ? {
          sms: new NotifyChannel('sms', settings.notify.url, settings.notify.apiKey),
          email: new NotifyChannel('email', settings.notify.url, settings.notify.apiKey),
        }
      : {}),
    ...(settings.mailingDir ? { letter: new MailingHouse(settings.mailingDir) } : {}),
  };
  const recorded = CHANNELS.filter((name) => !configured[name]);
  if (recorded.length > 0)
    logger.warn('invitation channels that only record, sending nothing', { channels: recorded });
  return new Map(CHANNELS.map((name) => [name, configured[name] ?? new RecordingChannel(name)]));
}
