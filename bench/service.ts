import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendRequest, sleep, type HttpAnswer } from './load.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The local host as `npm run serve` runs it (compiled), and the bare hello-world handler used as the cold-start reference. */
export const SERVE_SCRIPT = resolve(here, '../scripts/serve.js');
export const HELLO_SCRIPT = resolve(here, 'hello.js');

export interface ChildService {
  readonly pid: number;
  readonly origin: string;
  readonly child: ChildProcess;
  /** Resident set size of the process in MiB (Linux /proc; `ps` elsewhere). */
  rssMiB(): number;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly script: string;
  readonly port: number;
  readonly env: Record<string, string>;
  readonly nodeArgs?: readonly string[];
  /** Where the process's stdout (one log line per request) goes; discarded when absent. */
  readonly logFile?: string;
}

export function spawnService(options: SpawnOptions): ChildService {
  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', out, 'pipe'],
  });
  if (typeof out === 'number') closeSync(out);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const origin = `http://127.0.0.1:${options.port}`;
  return {
    pid: child.pid!,
    origin,
    child,
    rssMiB: () => rssMiB(child.pid!),
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        // SIGINT lets serve.js close its server and exit normally, which is when --cpu-prof writes the profile.
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
    get stderr() {
      return stderr;
    },
  } as ChildService;
}

export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
    return Math.round((kib / 1024) * 10) / 10;
  } catch {
    return Number.NaN;
  }
}

/** One request without keep-alive (a fresh connection, as a cold client would make). */
export function once(
  origin: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<HttpAnswer> {
  return sendRequest(new URL(origin), false, method, path, headers, body);
}

/** Polls until `probe` succeeds (connection refused counts as not yet); returns when it does. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 2): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Storage round trips per request, from the service's own log lines (`storageCalls`), grouped by route and status. */
export interface StorageCallSummary {
  readonly requests: number;
  readonly storageCalls: number;
  readonly perRequest: number;
  readonly byKey: Record<string, { requests: number; storageCalls: number; max: number }>;
}

export class LogReader {
  private offset = 0;
  constructor(private readonly file: string) {}

  /** Summarises the log lines written since the last call. */
  async since(): Promise<StorageCallSummary> {
    const text = (await readFile(this.file)).subarray(this.offset);
    this.offset += text.byteLength;
    const byKey: Record<string, { requests: number; storageCalls: number; max: number }> = {};
    let requests = 0;
    let storageCalls = 0;
    for (const line of text.toString('utf8').split('\n')) {
      const at = line.indexOf(' request {');
      if (at < 0) continue;
      let entry: { method?: string; route?: string; status?: number; storageCalls?: number };
      try {
        entry = JSON.parse(line.slice(at + 9)) as typeof entry;
      } catch {
        continue;
      }
      const calls = entry.storageCalls ?? 0;
      const key = `${entry.method} ${entry.route} ${entry.status}`;
      const slot = (byKey[key] ??= { requests: 0, storageCalls: 0, max: 0 });
      slot.requests += 1;
      slot.storageCalls += calls;
      slot.max = Math.max(slot.max, calls);
      requests += 1;
      storageCalls += calls;
    }
    return { requests, storageCalls, perRequest: requests ? Math.round((storageCalls / requests) * 1000) / 1000 : 0, byKey };
  }
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; NaN elsewhere). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100;
