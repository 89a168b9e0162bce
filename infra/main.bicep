// Sharing-link service: one resource group holding a Flex Consumption Function App, its storage account
// (the service's tables, the Functions host's blobs and the deployment package), a user-assigned identity
// and monitoring. Subscription scope so that `azd up` and `az deployment sub create` can create the group.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd: AZURE_ENV_NAME); it seeds every generated resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer Flex Consumption: az functionapp list-flexconsumption-locations.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create or reuse. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Function app name (it is also the host name <name>.azurewebsites.net). Empty: generated.')
param functionAppName string = ''

@description('Storage redundancy. ZRS/GZRS survive a zone outage; the tables are the service\'s only state.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSkuName string = 'Standard_LRS'

// ---- Settings read by the service (lib/config.ts); see docs/deploy.md -------------------------------------

@minLength(1)
@maxLength(40)
@description('TABLES_PREFIX: prefix of the table names (letters and digits, starting with a letter).')
param tablesPrefix string = 'sharing'

@minLength(1)
@description('AUTH_AUDIENCE: accepted token audiences, comma-separated: the API app registration\'s client id and/or App ID URI.')
param authAudience string

@description('AUTH_ISSUER: accepted issuers, comma-separated, {tenantid} is replaced by the token\'s tid. Empty: Entra v2 and v1 issuers.')
param authIssuer string = ''

@description('AUTH_JWKS_URI: signing keys of the issuer. Empty: Entra\'s common v2 key set.')
param authJwksUri string = ''

@description('AUTH_ALLOWED_TENANTS: comma-separated tenant ids, or *. Empty: only the tenant this is deployed from.')
param authAllowedTenants string = ''

@description('PUBLIC_BASE_URL: origin used in webUrl/webHtml, e.g. a custom domain. Empty: https://<function app>.azurewebsites.net.')
param publicBaseUrl string = ''

// ---- Scale (docs/deploy.md, "Scaling") ----------------------------------------------------------------------

@minValue(1)
@maxValue(1000)
@description('Concurrent HTTP requests per instance before Flex adds an instance (platform default at 2048 MB: 16).')
param httpPerInstanceConcurrency int = 16

@minValue(40)
@maxValue(1000)
@description('Upper bound on instances: caps both cost and the load the app can put on the storage account.')
param maximumInstanceCount int = 100

@allowed([
  512
  2048
  4096
])
@description('Memory per instance; 2048 MB comes with one vCPU.')
param instanceMemoryMB int = 2048

@minValue(0)
@description('Always-ready instances for the HTTP group: no cold start, billed while idle. 0 = scale to zero.')
param alwaysReadyInstanceCount int = 0

// These mirror the defaults in lib/config.ts; test/infra.test.ts keeps the two in step.
var defaultAuthIssuer = 'https://login.microsoftonline.com/{tenantid}/v2.0,https://sts.windows.net/{tenantid}/'
var defaultAuthJwksUri = 'https://login.microsoftonline.com/common/discovery/v2.0/keys'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : 'func-sharing-${resourceToken}'
// One container per app, so that redeploying another app into the same account cannot clobber this package.
var deploymentContainerName = 'app-package-${take(appName, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-sharing-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    deploymentContainerName: deploymentContainerName
    tableNames: [
      '${tablesPrefix}drives'
      '${tablesPrefix}tenants'
    ]
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: appName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyInstanceCount: alwaysReadyInstanceCount
    tablesPrefix: tablesPrefix
    authAudience: authAudience
    authIssuer: !empty(authIssuer) ? authIssuer : defaultAuthIssuer
    authJwksUri: !empty(authJwksUri) ? authJwksUri : defaultAuthJwksUri
    authAllowedTenants: !empty(authAllowedTenants) ? authAllowedTenants : tenant().tenantId
    publicBaseUrl: !empty(publicBaseUrl) ? publicBaseUrl : 'https://${appName}.azurewebsites.net'
  }
  // The host reads its storage and the deployment package with the identity as soon as it starts;
  // granting the roles first avoids a first start that fails on 403s.
  dependsOn: [
    rbac
  ]
}

// Read by azd (written to .azure/<env>/.env) and handy for scripts.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output SERVICE_API_PUBLIC_BASE_URL string = api.outputs.publicBaseUrl
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
