// The scaler itself: a Flex Consumption function app on Node.js 22 that runs as its
// user-assigned identity for everything (host storage, Service Bus, Key Vault, ARM, AKS).

@description('Region of the plan and the app.')
param location string

@description('Function app name (part of its host name).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Resource id of the app\'s user-assigned identity.')
param appIdentityId string

@description('Client id of the app\'s user-assigned identity.')
param appClientId string

@description('Storage account of AzureWebJobsStorage (storage.bicep).')
param storageAccountName string

@description('Table endpoint of that account.')
param storageTableEndpoint string

@description('Blob container URL Flex Consumption deploys packages to.')
param deploymentContainerUrl string

@description('<namespace>.servicebus.windows.net of the signal queue.')
param serviceBusNamespace string

@description('The configuration document, as JSON text.')
param scalerConfig string

@description('URI of the vault holding the webhook\'s basic-auth pair, without a trailing slash.')
param vaultUri string

@description('Secret names of the webhook\'s basic-auth pair.')
param webhookUsernameSecretName string
param webhookPasswordSecretName string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of one instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

// Unversioned: the reference follows the secret's latest version (re-read within a day, or at
// once on a config change or restart).
var webhookUsernameReference = '@Microsoft.KeyVault(SecretUri=${vaultUri}/secrets/${webhookUsernameSecretName})'
var webhookPasswordReference = '@Microsoft.KeyVault(SecretUri=${vaultUri}/secrets/${webhookPasswordSecretName})'

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${appIdentityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the same identity that reads the PATs.
    keyVaultReferenceIdentity: appIdentityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: appIdentityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
    }
  }
}

// Settings as their own resource, so WEBHOOK_URL can name the app's own host. Every name here is
// read by src/config/load-settings.ts or by the Functions host; test/infra/app-settings.test.ts
// holds the two lists together. Flex Consumption sets the runtime and its version itself (no
// FUNCTIONS_WORKER_RUNTIME, no FUNCTIONS_EXTENSION_VERSION).
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: appClientId
    ServiceBusConnection__fullyQualifiedNamespace: serviceBusNamespace
    ServiceBusConnection__credential: 'managedidentity'
    ServiceBusConnection__clientId: appClientId
    AZURE_CLIENT_ID: appClientId
    AZURE_RESOURCE_MANAGER_ENDPOINT: environment().resourceManager
    SCALER_CONFIG: scalerConfig
    WEBHOOK_USERNAME: webhookUsernameReference
    WEBHOOK_PASSWORD: webhookPasswordReference
    WEBHOOK_URL: 'https://${app.properties.defaultHostName}/api/webhook'
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  }
}

output name string = app.name
output id string = app.id
output hostName string = app.properties.defaultHostName
