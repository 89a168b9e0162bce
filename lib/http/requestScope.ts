import { AsyncLocalStorage } from 'node:async_hooks';

/** What one request accumulates while it runs: used for the single log line and for counting storage calls. */
export interface RequestScope {
  readonly requestId: string;
  tenantId?: string;
  storageCalls: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

export const runInScope = <T>(scope: RequestScope, fn: () => Promise<T>) => storage.run(scope, fn);
export const currentScope = (): RequestScope | undefined => storage.getStore();
