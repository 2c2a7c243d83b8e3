import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { ETHNIC_CODES } from '../cohort/index.js';
import { CLINICAL_RISK_GROUPS, PRIORITY_GROUP_NAMES, PRIORITY_GROUPS } from '../register/attributes.js';
import { ETHNIC_CATEGORY_NAMES } from '../resources/extensions.js';
const here = dirname(fileURLToPath(import.meta.url));
/** The page and its style sheet, as written (dist/src/web is three folders below the project). */
const PAGES = join(here, '..', '..', '..', 'web');
/**
 * The web pages. The cohort dashboard and the statistics page are static pages whose scripts call the
 * FHIR API with the user's own token, so they need no session of their own and see exactly what the
 * token allows.
 */
export function pageRoutes() {
    const router = express.Router();
    const file = (path) => (_request, response) => response.sendFile(path, { dotfiles: 'deny' });
    router.get('/dashboard', file(join(PAGES, 'dashboard', 'index.html')));
    router.get('/dashboard/style.css', file(join(PAGES, 'dashboard', 'style.css')));
    // compiled from src/web/dashboard.ts next to this module
    router.get('/dashboard/dashboard.js', file(join(here, 'dashboard.js')));
    router.get('/statistics', file(join(PAGES, 'statistics', 'index.html')));
    router.get('/statistics/style.css', file(join(PAGES, 'statistics', 'style.css')));
    router.get('/statistics/statistics.js', file(join(here, 'statistics.js')));
    router.get('/dashboard/options.json', (_request, response) => {
        const named = (codes, names) => codes.map((code) => ({ code, name: names[code] ?? code }));
        response.json({
            priorityGroups: named(PRIORITY_GROUPS, PRIORITY_GROUP_NAMES),
            clinicalRiskGroups: named(CLINICAL_RISK_GROUPS, {}),
            ethnicCategories: named(ETHNIC_CODES.slice(1), ETHNIC_CATEGORY_NAMES),
        });
    });
    return router;
}
//# sourceMappingURL=pages.js.map