// Key Vault events to the secret-events function: a new PAT version is picked up at once, and a
// PAT close to expiry is reported. Event Grid validates the function when the subscription is
// created, so this module is deployed only once the app's code is published (deployment step 2).

@description('Region of the vault (a system topic lives where its source does).')
param location string

@description('Name of the Key Vault whose events are routed.')
param vaultName string

@description('Resource id of the function app that hosts the secret-events function.')
param functionAppId string

@description('Name of the Event Grid triggered function.')
param functionName string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: '${vaultName}-events'
  location: location
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: functionName
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.SecretNewVersionCreated'
        'Microsoft.KeyVault.SecretNearExpiry'
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output topicName string = topic.name
