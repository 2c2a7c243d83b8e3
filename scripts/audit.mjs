// `npm audit --omit=dev`: fails on any high or critical advisory against a production dependency. Where
// the registry's advisory service cannot be reached (some build machines only mirror packages), it says
// so plainly and does not fail, unless NIMS_REQUIRE_AUDIT=1 asks for a real answer.
import { spawnSync } from 'node:child_process';
import { root } from './ensure.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['audit', '--omit=dev', '--json'], {
  cwd: root,
  encoding: 'utf8',
  timeout: 120_000,
});
let report;
try {
  report = JSON.parse(result.stdout);
} catch {
  report = undefined;
}
const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  const why = report?.message ?? report?.error?.summary ?? result.error?.message ?? 'no answer';
  const message = `nims: npm audit could not be run (${why}); production dependencies were NOT checked for advisories`;
  if (process.env.NIMS_REQUIRE_AUDIT === '1') {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(
  `nims: npm audit: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`,
);
if (serious > 0) {
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
    if (v.severity === 'high' || v.severity === 'critical')
      console.error(`  ${v.severity}: ${name} ${v.range ?? ''}`);
  }
  process.exit(1);
}
