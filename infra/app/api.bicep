// The Function App on the Flex Consumption plan (Linux; one app per plan). The runtime comes from
// functionAppConfig.runtime: FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE and
// linuxFxVersion are not used on Flex and must not be set.
param name string
param planName string
param location string
param tags object = {}

param identityName string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string

param httpPerInstanceConcurrency int
param maximumInstanceCount int
param instanceMemoryMB int
param alwaysReadyInstanceCount int

// Settings read by the service (lib/config.ts). Its two local-development settings (a storage connection string
// for Azurite and an extra key set for dev tokens) are deliberately never set here: in Azure the app reaches
// storage with its identity and trusts only the issuer's published keys.
param tablesPrefix string
param authAudience string
param authIssuer string
param authJwksUri string
param authAllowedTenants string
param publicBaseUrl string

// All HTTP functions scale together as the `http` group; keeping instances warm there removes cold starts.
var alwaysReady = alwaysReadyInstanceCount > 0 ? [
  {
    name: 'http'
    instanceCount: alwaysReadyInstanceCount
  }
] : []

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the deployment target of service `api` (azure.yaml) by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Functions host storage, with the identity instead of a connection string. Blob (locks, keys) and
        // table (diagnostic events) only: with HTTP triggers alone the host never touches queues.
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identity.properties.clientId
        }
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storageAccount.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: storageAccount.properties.primaryEndpoints.table
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsights.properties.ConnectionString
        }
        {
          // Local auth is disabled on Application Insights: telemetry is sent with the identity's token.
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
        }
        {
          // DefaultAzureCredential picks the user-assigned identity by this client id.
          name: 'AZURE_CLIENT_ID'
          value: identity.properties.clientId
        }
        {
          name: 'TABLES_ENDPOINT'
          value: 'https://${storageAccount.name}.table.${environment().suffixes.storage}'
        }
        {
          name: 'TABLES_PREFIX'
          value: tablesPrefix
        }
        {
          name: 'AUTH_AUDIENCE'
          value: authAudience
        }
        {
          name: 'AUTH_ISSUER'
          value: authIssuer
        }
        {
          name: 'AUTH_JWKS_URI'
          value: authJwksUri
        }
        {
          name: 'AUTH_ALLOWED_TENANTS'
          value: authAllowedTenants
        }
        {
          name: 'PUBLIC_BASE_URL'
          value: publicBaseUrl
        }
      ]
    }
  }
}

// Deployments authenticate with Entra ID (azd, az functionapp deployment); basic-auth publishing credentials
// are switched off.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
output publicBaseUrl string = publicBaseUrl
