import { app } from '@azure/functions';
import { createServices } from '../lib/composition.js';
import { loadConfig } from '../lib/config.js';
import { registerFunctions } from './register.js';

// The Functions host loads this module (package.json "main"): configuration is parsed and clients are built once
// per worker process, then every route template is registered as its own HTTP function.
registerFunctions(app, createServices(loadConfig()));
