export { azuriteConnectionString as connectionString, freePort, startAzurite, type AzuriteProcess } from '../../scripts/azurite.js';
