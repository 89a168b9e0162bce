import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';

export const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

export const connectionString = (port: number) =>
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;

export interface AzuriteProcess {
  readonly port: number;
  readonly connectionString: string;
  stop(): Promise<void>;
}

/** A real Azurite Table service on a free port; in memory unless a data folder is given (fault tests restart it). */
export async function startAzurite(options: { port?: number; location?: string } = {}): Promise<AzuriteProcess> {
  const port = options.port ?? (await freePort());
  const require = createRequire(import.meta.url);
  const main = resolve(dirname(require.resolve('azurite/package.json')), 'dist/src/table/main.js');
  const args = [main, '--tablePort', String(port), '--tableHost', '127.0.0.1', '--disableTelemetry', '--skipApiVersionCheck', '--loose'];
  args.push(...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((ready, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start: ${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (started|listening)/.test(output)) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`Azurite exited with ${code}: ${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port,
    connectionString: connectionString(port),
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
