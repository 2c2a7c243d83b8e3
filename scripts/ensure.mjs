// Makes a fresh clone runnable: installs npm packages when missing or stale, then compiles TypeScript.
// Uses only Node built-ins because it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`nims: '${command} ${args.join(' ')}' failed`);
    process.exit(result.status ?? 1);
  }
}

function packagesAreCurrent() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  return (
    existsSync(installed) && statSync(installed).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs
  );
}

export function ensureBuilt() {
  if (!packagesAreCurrent()) {
    console.log('nims: installing npm packages');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
  console.log('nims: compiling TypeScript');
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureBuilt();
