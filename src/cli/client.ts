// `npm run client -- <command>`: registers and manages the client applications allowed to ask for tokens.
// Works against MONGODB_URI, else the embedded database of a running `npm start`, else starts that database
// for the moment it needs it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ClientStore } from '../auth/clients.js';
import { ROLES } from '../auth/roles.js';
import { loadConfig } from '../config.js';
import { PROJECT_ROOT } from '../server.js';
import { logger } from '../shared/logger.js';
import { connect } from '../store/database.js';
import { runningFerretdb, startFerretdb, type EmbeddedDatabase } from '../store/ferretdb.js';

const USAGE = `Usage:
  npm run client -- add --name NAME (--jwks FILE | --jwks-uri URL) [--role ROLE] [--scopes "SCOPES"] [--practice ODS]
  npm run client -- list
  npm run client -- disable --id CLIENT_ID
  npm run client -- enable --id CLIENT_ID
  npm run client -- roles`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      jwks: { type: 'string' },
      'jwks-uri': { type: 'string' },
      role: { type: 'string' },
      scopes: { type: 'string' },
      practice: { type: 'string' },
      id: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (command === 'roles') {
    for (const [name, role] of Object.entries(ROLES))
      console.log(`${name}\t${role.description}\n\t${role.scopes}`);
    return 0;
  }
  if (!command || !['add', 'list', 'disable', 'enable'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  logger.level = 'warn';
  const config = loadConfig(process.env, PROJECT_ROOT);
  let embedded: EmbeddedDatabase | undefined;
  let uri = config.mongodbUri ?? runningFerretdb(config.dataDir);
  if (!uri) {
    embedded = await startFerretdb(PROJECT_ROOT, config.dataDir, config.embeddedSync);
    uri = embedded.uri;
  }
  const database = await connect(uri, config.dbName);
  try {
    const clients = new ClientStore(database.db);
    switch (command) {
      case 'add': {
        if (!values.name) throw new Error('--name is required');
        const record = await clients.add({
          name: values.name,
          ...(values.role !== undefined ? { role: values.role } : {}),
          ...(values.scopes !== undefined ? { scopes: values.scopes } : {}),
          ...(values.jwks !== undefined
            ? { jwks: JSON.parse(readFileSync(values.jwks, 'utf8')) as unknown }
            : {}),
          ...(values['jwks-uri'] !== undefined ? { jwksUri: values['jwks-uri'] } : {}),
          ...(values.practice !== undefined ? { practice: values.practice } : {}),
        });
        console.log(`registered '${record.name}'${record.role ? ` as ${record.role}` : ''}`);
        console.log(`scopes: ${record.scopes.join(' ')}`);
        if (record.practice) console.log(`practice: ${record.practice}`);
        console.log(record._id);
        return 0;
      }
      case 'list':
        for (const c of await clients.list()) {
          console.log(
            [c._id, c.status, c.name, c.role ?? '-', c.practice ?? '-', c.scopes.join(' ')].join('\t'),
          );
        }
        return 0;
      default: {
        if (!values.id) throw new Error('--id is required');
        const found = await clients.setStatus(values.id, command === 'disable' ? 'disabled' : 'active');
        if (!found) throw new Error(`no client ${values.id}`);
        console.log(`${values.id} ${command}d (tokens already issued stop working within 30 seconds)`);
        return 0;
      }
    }
  } finally {
    await database.close();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
