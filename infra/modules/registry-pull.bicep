// Image pulls from an existing Azure Container Registry by the agents' identity (ACI's
// imageRegistryCredentials with an identity), deployed at the registry's resource group.

@description('Name of the existing container registry.')
param registryName string

@description('Principal id of the agents\' user-assigned identity.')
param agentsPrincipalId string

var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, agentsPrincipalId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
    principalId: agentsPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output loginServer string = registry.properties.loginServer
