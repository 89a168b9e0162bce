import type { TestProject } from 'vitest/node';
import { startAzurite } from './azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tablesConnectionString: string;
  }
}

/** One real Azurite for the whole run, on a free port, stopped at the end; each test file uses its own table prefix. */
export default async function setup(project: TestProject) {
  const azurite = await startAzurite();
  project.provide('tablesConnectionString', azurite.connectionString);
  return () => azurite.stop();
}
