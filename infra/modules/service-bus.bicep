// The signal queue: "pool P needs a look" messages from the webhook, the reconcile timer, upkeep
// and the scheduler itself, read by the scheduler function. Standard tier: duplicate detection
// and scheduled messages need it. Local (SAS) auth is off: identity only.

@description('Region of the namespace.')
param location string

@description('Service Bus namespace name (6-50 characters).')
@minLength(6)
@maxLength(50)
param namespaceName string

@description('Queue name; src/config/load-settings.ts (SIGNAL_QUEUE) names it.')
param queueName string

@description('Principal id of the function app\'s user-assigned identity.')
param appPrincipalId string

var serviceBusDataOwner = '090c5cfd-751d-490a-894a-3ce6f1109419'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    // Signals are scheduled messages whose messageId derives from (organization, pool, 500 ms
    // window): a burst of signals for one pool collapses into one message, so one pass. The code
    // relies on it (src/queue/pool-signal.ts). Ten minutes of history is far more than a
    // 500 ms window needs, and also drops a send a sender retries. Service Bus cannot turn
    // duplicate detection on for an existing queue; "signals" is created with it.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    // A poison message is thrown back until this count, then dead-lettered (the Node worker
    // cannot dead-letter by itself).
    maxDeliveryCount: 5
    // host.json renews locks up to 5 minutes; one minute keeps a crashed consumer's message
    // from waiting long before another instance takes it.
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
  }
}

// Webhook, reconcile, upkeep and the scheduler (its own later passes) send signals; the
// scheduler trigger receives and settles them; and the Functions scale controller, acting as
// this identity, reads the queue's message count to decide how many instances to run. Service
// Bus serves that count (queue runtime properties) only to Manage rights, which in Entra RBAC
// only Data Owner has: with Sender + Receiver the scale controller falls back to peeking and
// scales on a poor estimate (azure-functions-host#7921). Data Owner covers sending and receiving
// too; it is granted on this queue only, not on the namespace.
resource owner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, appPrincipalId, serviceBusDataOwner)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The host name alone, as ServiceBusConnection__fullyQualifiedNamespace wants it; taken from the
// namespace's endpoint so sovereign clouds get their own suffix.
output fullyQualifiedNamespace string = split(split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), '/')[0], ':')[0]
output namespaceName string = namespace.name
output queueName string = queue.name
