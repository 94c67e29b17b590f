// Where agent container groups run (deployed at the agents' resource group): the agents'
// user-assigned identity, and what the function app needs to create groups that use it.

@description('Region of the agents\' identity.')
param location string

@description('Name of the agents\' user-assigned identity (given to every container group).')
param agentsIdentityName string

@description('Principal id of the function app\'s user-assigned identity.')
param appPrincipalId string

var aciContributor = '5d977122-f97e-4b4d-a52f-6b43003ddb4d'
var managedIdentityOperator = 'f1a07417-d97a-45cb-824c-7a7467783830'

// What the agents themselves run as: registry pulls (AcrPull, granted where the registry is),
// and whatever a pipeline's own steps are granted. The scaler's identity stays separate, so a
// job never holds the rights to start or delete other agents.
resource agentsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: agentsIdentityName
  location: location
}

// Create, list, read and delete container groups here, and nothing outside ACI. Scoped to the
// resource group because the groups do not exist yet.
resource aciGroups 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, appPrincipalId, aciContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aciContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Attaching a user-assigned identity to a container group needs its assign action; granted on
// this one identity only.
resource assignIdentity 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(agentsIdentity.id, appPrincipalId, managedIdentityOperator)
  scope: agentsIdentity
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', managedIdentityOperator)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output agentsIdentityId string = agentsIdentity.id
output agentsClientId string = agentsIdentity.properties.clientId
output agentsPrincipalId string = agentsIdentity.properties.principalId
