import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { dirname, resolve } from 'node:path';

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export const portOpen = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

export const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

export const azuriteConnectionString = (port: number) =>
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;

export interface AzuriteProcess {
  readonly port: number;
  readonly pid: number;
  readonly connectionString: string;
  /**
   * Stops Azurite. SIGTERM (default) kills it at once; SIGINT is its graceful shutdown: in-flight requests finish
   * and, with a data folder, everything is saved (Azurite otherwise saves only every 5 s), so a restart on the same
   * folder sees every write Azurite acknowledged.
   */
  stop(signal?: 'SIGTERM' | 'SIGINT' | 'SIGKILL'): Promise<void>;
}

/** Azurite's Table service on a free port of 127.0.0.1 for tests and the benchmark; in memory unless a data folder is given (fault tests restart it). */
export async function startAzurite(options: { port?: number; location?: string } = {}): Promise<AzuriteProcess> {
  const port = options.port ?? (await freePort());
  const require = createRequire(import.meta.url);
  const main = resolve(dirname(require.resolve('azurite/package.json')), 'dist/src/table/main.js');
  const args = [main, '--tablePort', String(port), '--tableHost', '127.0.0.1', '--disableTelemetry', '--silent', '--skipApiVersionCheck', '--loose'];
  args.push(...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((ready, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start: ${output}`)), 30_000);
    // Only the start-up lines matter; the listener goes once Azurite is up, so its output is never accumulated.
    const listen = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (started|listening)/.test(output)) {
        clearTimeout(timer);
        child.stdout!.off('data', listen);
        ready();
      }
    };
    child.stdout!.on('data', listen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`Azurite exited with ${code}: ${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port,
    pid: child.pid!,
    connectionString: azuriteConnectionString(port),
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill(signal);
        // A graceful stop that does not finish (a client holding a request open) ends in a kill.
        if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}
