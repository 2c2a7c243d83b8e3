// `npm test`: the whole suite from a fresh clone: install, build, lint, type-aware eslint, the audit of
// production dependencies, unit and integration tests. Integration tests start their own FerretDB and
// server on free ports.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt, root } from './ensure.mjs';

ensureBuilt();
const bin = (name) => join(root, 'node_modules', '.bin', name);
const steps = [
  ['prettier', [bin('prettier'), '--check', '.']],
  ['eslint', [bin('eslint'), '.']],
  ['npm audit', [process.execPath, join(root, 'scripts', 'audit.mjs')]],
  ['mocha', [bin('mocha'), 'dist/test/**/*.test.js']],
];
for (const [name, [command, ...args]] of steps) {
  console.log(`nims: ${name}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`nims: ${name} failed`);
    process.exit(result.status ?? 1);
  }
}
