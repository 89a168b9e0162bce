import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { portOpen } from './azurite.js';
import { ensureDevKeys } from './devKeys.js';
import { withLocalSettings } from './localSettings.js';

/**
 * `npm start`: Azurite (unless storage is configured elsewhere), then the Functions host on PORT (7071):
 * `func start` when Core Tools are installed, else the project's local host with the same registrations.
 */
const children: ChildProcess[] = [];


async function waitForPort(port: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    await new Promise((next) => setTimeout(next, 200));
  }
  throw new Error(`Azurite did not open port ${port} within ${timeoutMs / 1000} s`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { env, stdio: 'inherit' });
  children.push(child);
  return child;
}

async function startAzurite(env: NodeJS.ProcessEnv) {
  if (await portOpen(10002)) {
    console.log('Table Storage is already listening on 127.0.0.1:10002; using it.');
    return;
  }
  const require = createRequire(import.meta.url);
  const azurite = resolve(dirname(require.resolve('azurite/package.json')), 'dist/src/azurite.js');
  run(process.execPath, [azurite, '--location', '.azurite', '--disableTelemetry', '--silent', '--skipApiVersionCheck', '--loose'], env);
  await waitForPort(10002, 30_000);
  console.log('Azurite started (data in .azurite/).');
}

const hasCoreTools = () => spawnSync('func', ['--version'], { stdio: 'ignore' }).status === 0;

async function main() {
  const env = withLocalSettings(process.env);
  const port = env.PORT ?? '7071';
  if (env.AUTH_DEV_JWKS_PATH) await ensureDevKeys();
  if (/UseDevelopmentStorage=true/i.test(env.TABLES_CONNECTION_STRING ?? '') && !env.TABLES_ENDPOINT) await startAzurite(env);

  const host = hasCoreTools()
    ? run('func', ['start', '--port', port], env)
    : run(process.execPath, [resolve('dist/scripts/serve.js')], { ...env, PORT: port });
  console.log(`
  Base URL:   http://localhost:${port}/v1.0   (${hasCoreTools() ? 'Azure Functions Core Tools' : 'local host: Core Tools not installed'})
  Dev token:  T=$(npm run -s token -- --user alice)
  Try:        curl -H "authorization: Bearer $T" http://localhost:${port}/v1.0/me/drive
`);
  host.once('exit', (code) => shutdown(code ?? 0));
}

function shutdown(code: number) {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exit(code);
}

process.once('SIGINT', () => shutdown(0));
process.once('SIGTERM', () => shutdown(0));

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  shutdown(1);
});
