// The app's only identity. User-assigned rather than system-assigned so that its role assignments can be
// granted before the function app exists (the first host start already needs them) and survive re-creating the app.
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
