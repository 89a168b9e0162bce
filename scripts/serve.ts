import type { LogHandler } from '@azure/functions';
import { registerFunctions } from '../functions/register.js';
import { createServices } from '../lib/composition.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { LocalHost } from '../lib/host/localHost.js';

/**
 * `npm run serve`: the project's own host for the Functions registrations, configured from the environment only.
 * Used when Azure Functions Core Tools are not installed, and by tests and benchmarks.
 */
const log: LogHandler = (level, ...args) => {
  const text = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
  (level === 'error' || level === 'warning' ? console.error : console.log)(`[${level}] ${text}`);
};

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const host = new LocalHost(process.env.SERVE_QUIET === '1' ? {} : { log });
  registerFunctions(host, createServices(config));
  const port = Number(process.env.PORT ?? '7071');
  const url = await host.listen(Number.isInteger(port) ? port : 7071, process.env.HOST ?? '127.0.0.1');
  console.log(`Sharing-link service listening on ${url}/v1.0`);
  const stop = () => {
    void host.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
