// ado-agent-scaler in Azure: the function app and everything it reads, writes and starts
// agents with. Deploy into an existing resource group:
//   az deployment group create -g <rg> -f infra/main.bicep -p @infra/main.parameters.json -p webhookPassword=...
// README.md ("Deploying to Azure") walks through it, including the second step (enableSecretEvents=true)
// once the functions are published.
targetScope = 'resourceGroup'

@description('Region of every resource; it must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Short lowercase name that prefixes resource names.')
@minLength(2)
@maxLength(12)
param namePrefix string = 'adoscaler'

@description('''The configuration document (README.md, "The configuration document") as a JSON object.
These placeholders anywhere in it are replaced with this deployment's values:
{{vaultUrl}}, {{agentsIdentityId}}, {{aciSubnetId}}, {{agentsResourceGroup}}, {{subscriptionId}},
{{location}}, {{aksApiServer}}.''')
param scalerConfig object

@description('User name the service hook sends (basic auth); stored in Key Vault.')
param webhookUsername string = 'ado-service-hook'

@description('Password the service hook sends (basic auth), at least 16 random characters; stored in Key Vault.')
@secure()
@minLength(16)
param webhookPassword string

@description('Key Vault name; it becomes part of {{vaultUrl}}.')
@minLength(3)
@maxLength(24)
param vaultName string = take('kv-${namePrefix}-${uniqueString(resourceGroup().id)}', 24)

@description('Purge protection on the vault (cannot be turned off later).')
param vaultPurgeProtection bool = true

@description('Resource group of agent container groups and the agents\' identity; it must exist. Default: this one.')
param agentsResourceGroupName string = resourceGroup().name

@description('Create a virtual network with an ACI-delegated subnet behind a NAT gateway for agents.')
param deployNetwork bool = false

@description('Address space of that network.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Subnet for ACI agents; each running agent takes one address.')
param aciSubnetPrefix string = '10.40.0.0/22'

@description('Create an AKS cluster (Entra ID, Azure RBAC, virtual-node add-on) for "aksVirtualNode" profiles; implies the network.')
param deployAks bool = false

@description('AKS node subnet (with deployAks).')
param aksNodesSubnetPrefix string = '10.40.8.0/22'

@description('Virtual-node subnet (with deployAks).')
param virtualNodesSubnetPrefix string = '10.40.16.0/22'

@description('VM size of the AKS system node pool.')
param aksNodeVmSize string = 'Standard_D2s_v5'

@description('Existing Azure Container Registry that agent images come from; empty: none (public images).')
param registryName string = ''

@description('Resource group of that registry.')
param registryResourceGroupName string = resourceGroup().name

@description('Route Key Vault secret events to the secret-events function. Set it on a second deployment, after publishing the code: Event Grid checks that the function exists.')
param enableSecretEvents bool = false

@description('Azure Monitor alert rules on the scaler (README "Azure Monitor"): a job waiting too long, dead-lettered signals, a service hook not enabled, a profile in back-off, ACI quota errors.')
param deployAlerts bool = true

@description('E-mail addresses the alerts notify (an action group); empty: the alerts only show in the portal (Monitor > Alerts).')
param alertEmails array = []

@description('Alert when a pool\'s oldest waiting job has waited longer than this many minutes.')
@minValue(1)
param alertOldestWaitMinutes int = 10

@description('Most instances the function app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

var suffix = uniqueString(resourceGroup().id)
var compactPrefix = toLower(replace(namePrefix, '-', ''))
var functionAppName = 'func-${namePrefix}-${suffix}'
var deployVnet = deployNetwork || deployAks
var hasRegistry = !empty(registryName)

// Names the code uses, kept in step by test/infra/app-settings.test.ts.
var signalQueueName = 'signals' // src/config/load-settings.ts SIGNAL_QUEUE
var leaseTableName = 'poolleases' // src/runtime/scheduler-dependencies.ts LEASE_TABLE
var upkeepTableName = 'agentupkeep' // src/upkeep/upkeep-marks.ts UPKEEP_TABLE
var secretEventsFunctionName = 'secret-events' // functions/secret-events.ts

// The app's one identity: host storage, Service Bus, Key Vault, ARM and AKS all see this
// principal, so its role assignments below are the whole of what the scaler may do.
resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${namePrefix}-app'
  location: location
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: 'log-${namePrefix}-${suffix}'
    appInsightsName: 'appi-${namePrefix}-${suffix}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: take('st${compactPrefix}${suffix}', 24)
    deploymentContainerName: 'app-package'
    tableNames: [leaseTableName, upkeepTableName]
    appPrincipalId: appIdentity.properties.principalId
  }
}

module serviceBus 'modules/service-bus.bicep' = {
  name: 'service-bus'
  params: {
    location: location
    namespaceName: 'sb-${namePrefix}-${suffix}'
    queueName: signalQueueName
    appPrincipalId: appIdentity.properties.principalId
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    location: location
    name: vaultName
    purgeProtection: vaultPurgeProtection
    webhookUsername: webhookUsername
    webhookPassword: webhookPassword
    webhookUsernameSecretName: 'webhook-username'
    webhookPasswordSecretName: 'webhook-password'
    appPrincipalId: appIdentity.properties.principalId
  }
}

module agents 'modules/agents.bicep' = {
  name: 'agents'
  scope: resourceGroup(agentsResourceGroupName)
  params: {
    location: location
    agentsIdentityName: 'id-${namePrefix}-agents'
    appPrincipalId: appIdentity.properties.principalId
  }
}

module registryPull 'modules/registry-pull.bicep' = if (hasRegistry) {
  name: 'registry-pull'
  scope: resourceGroup(registryResourceGroupName)
  params: {
    registryName: registryName
    agentsPrincipalId: agents.outputs.agentsPrincipalId
  }
}

module network 'modules/network.bicep' = if (deployVnet) {
  name: 'network'
  params: {
    location: location
    vnetName: 'vnet-${namePrefix}'
    addressPrefix: vnetAddressPrefix
    aciSubnetPrefix: aciSubnetPrefix
    includeAks: deployAks
    aksNodesSubnetPrefix: aksNodesSubnetPrefix
    virtualNodesSubnetPrefix: virtualNodesSubnetPrefix
    appPrincipalId: appIdentity.properties.principalId
  }
}

module aks 'modules/aks.bicep' = if (deployAks) {
  name: 'aks'
  params: {
    location: location
    clusterName: 'aks-${namePrefix}-${suffix}'
    vnetName: network.?outputs.vnetName ?? ''
    nodesSubnetName: network.?outputs.aksNodesSubnetName ?? ''
    virtualNodesSubnetName: network.?outputs.virtualNodesSubnetName ?? ''
    nodeVmSize: aksNodeVmSize
    appPrincipalId: appIdentity.properties.principalId
  }
}

// What the placeholders in scalerConfig stand for.
var configValues = {
  vaultUrl: keyVault.outputs.uri
  agentsIdentityId: agents.outputs.agentsIdentityId
  aciSubnetId: network.?outputs.aciSubnetId ?? ''
  agentsResourceGroup: agentsResourceGroupName
  subscriptionId: subscription().subscriptionId
  location: location
  aksApiServer: aks.?outputs.apiServer ?? ''
}
var scalerConfigText = reduce(items(configValues), string(scalerConfig), (text, v) => replace(text, '{{${v.key}}}', v.value))

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    name: functionAppName
    planName: 'plan-${namePrefix}-${suffix}'
    appIdentityId: appIdentity.id
    appClientId: appIdentity.properties.clientId
    storageAccountName: storage.outputs.name
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    scalerConfig: scalerConfigText
    vaultUri: keyVault.outputs.uri
    webhookUsernameSecretName: keyVault.outputs.webhookSecretNames.username
    webhookPasswordSecretName: keyVault.outputs.webhookSecretNames.password
    appInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
  }
}

module alerts 'modules/alerts.bicep' = if (deployAlerts) {
  name: 'alerts'
  params: {
    location: location
    namePrefix: namePrefix
    workspaceName: monitoring.outputs.workspaceName
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    queueName: signalQueueName
    alertEmails: alertEmails
    oldestWaitMinutes: alertOldestWaitMinutes
  }
}

module secretEvents 'modules/secret-events.bicep' = if (enableSecretEvents) {
  name: 'secret-events'
  params: {
    location: location
    vaultName: keyVault.outputs.name
    // A module's output is there once the whole module is, app settings included.
    functionAppId: functionApp.outputs.id
    functionName: secretEventsFunctionName
  }
}

output resourceGroupName string = resourceGroup().name
output functionAppName string = functionApp.outputs.name
output webhookUrl string = 'https://${functionApp.outputs.hostName}/api/webhook'
output statusUrl string = 'https://${functionApp.outputs.hostName}/api/status'
output vaultName string = keyVault.outputs.name
output vaultUri string = keyVault.outputs.uri
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output queueName string = serviceBus.outputs.queueName
output storageAccountName string = storage.outputs.name
output appIdentityId string = appIdentity.id
output appIdentityClientId string = appIdentity.properties.clientId
output appIdentityPrincipalId string = appIdentity.properties.principalId
output agentsResourceGroupName string = agentsResourceGroupName
output agentsIdentityId string = agents.outputs.agentsIdentityId
output agentsIdentityClientId string = agents.outputs.agentsClientId
output aciSubnetId string = network.?outputs.aciSubnetId ?? ''
output natPublicIp string = network.?outputs.natPublicIp ?? ''
output aksName string = aks.?outputs.name ?? ''
output aksApiServer string = aks.?outputs.apiServer ?? ''
output registryLoginServer string = registryPull.?outputs.loginServer ?? ''
output secretEventsEnabled bool = enableSecretEvents
output alertActionGroupId string = alerts.?outputs.actionGroupId ?? ''
