// The vault for the organization PATs and the webhook's basic-auth pair. RBAC authorization:
// the app reads secrets with Key Vault Secrets User and nothing else.

@description('Region of the vault.')
param location string

@description('Key Vault name (3-24 letters, digits and dashes).')
@minLength(3)
@maxLength(24)
param name string

@description('Purge protection: a deleted vault and its secrets cannot be purged for 90 days. It cannot be turned off again.')
param purgeProtection bool

@description('The user name the service hook sends (basic auth).')
param webhookUsername string

@description('The password the service hook sends (basic auth), at least 16 characters.')
@secure()
@minLength(16)
param webhookPassword string

@description('Secret names the app settings reference.')
param webhookUsernameSecretName string
param webhookPasswordSecretName string

@description('Principal id of the function app\'s user-assigned identity.')
param appPrincipalId string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The API rejects false once set; null leaves it off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource usernameSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: webhookUsernameSecretName
  properties: { value: webhookUsername, contentType: 'text/plain' }
}

resource passwordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: webhookPasswordSecretName
  properties: { value: webhookPassword, contentType: 'text/plain' }
}

// PATs (latest version, on every 401) and the webhook pair (Key Vault references) are read,
// never written, by the app: Secrets User on this vault only.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
// Without the trailing slash of properties.vaultUri, as the config document writes vaultUrl.
output uri string = 'https://${vault.name}${environment().suffixes.keyvaultDns}'
// Outputs (not just names) so that what reads them waits for the secrets to exist.
output webhookSecretNames object = {
  username: usernameSecret.name
  password: passwordSecret.name
}
