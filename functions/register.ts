import type { Services } from '../lib/composition.js';
import { ALL_METHODS, dispatch, type HttpRegistrar } from '../lib/http/pipeline.js';
import { registrations } from './routes.js';

/**
 * One HTTP function per route template. Every method is registered so that a wrong method reaches the function and
 * gets Graph's 405 envelope instead of the host's bare 404.
 */
export function registerFunctions(target: HttpRegistrar, services: Services): void {
  for (const registration of registrations(services)) {
    target.http(registration.name, {
      route: registration.route,
      methods: ALL_METHODS,
      authLevel: 'anonymous',
      handler: dispatch(registration),
    });
  }
}
