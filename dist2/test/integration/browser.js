import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/server.js';
/** Debian's Chromium (`.ci/run` installs it with apt when it is missing). */
const CHROMIUM = '/usr/bin/chromium';
/** Where browser tests leave their screenshots (ignored by git). */
export const SCREENSHOTS = join(PROJECT_ROOT, '.cache', 'screenshots');
/** Whether the browser tests can run here; they are skipped with a warning when they cannot. */
export function chromiumInstalled() {
    if (existsSync(CHROMIUM))
        return true;
    console.warn(`skipped: ${CHROMIUM} is not installed`);
    return false;
}
/** Headless Chromium, quiet: no sandbox (a container), no GPU, nothing fetched in the background. */
export function launchChromium() {
    return chromium.launch({
        executablePath: CHROMIUM,
        args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
    });
}
//# sourceMappingURL=browser.js.map