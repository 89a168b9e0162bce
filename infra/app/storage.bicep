// One account holds the service's tables, the Functions host's own blobs and the deployment package.
// Nothing in it is reachable with an account key or a SAS: every caller authenticates with Entra ID.
param name string
param location string
param tags object = {}
param skuName string = 'Standard_LRS'

@description('Blob container from which Flex Consumption loads the app package.')
param deploymentContainerName string

@description('Tables the service uses. Pre-created so that a fresh deployment serves its first request without a create round-trip.')
param tableNames array

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      // No virtual network here: Flex instances reach storage over its public endpoint, authenticated by identity.
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

output name string = account.name
// Without a trailing slash: the form TABLES_ENDPOINT documents (https://<account>.table.core.windows.net).
output tableEndpoint string = 'https://${account.name}.table.${environment().suffixes.storage}'
