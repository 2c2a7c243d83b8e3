// `npm start`: install, build, then run the server (which starts the embedded FerretDB unless
// MONGODB_URI is set). Ctrl-C reaches both processes; we wait for the server to finish cleanly.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt, root } from './ensure.mjs';

ensureBuilt();
const server = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
