// Azure Monitor alerts on the scaler: four log search rules over the app's telemetry records
// (one JSON object per log line, src/log/telemetry-record.ts; README "Azure Monitor") in the
// Log Analytics workspace behind Application Insights, and a metric rule on the signal queue's
// dead-letter count. The rules always exist (fired alerts show under Monitor > Alerts); an action
// group that e-mails is added only when addresses are given.
//
// The log rules query as their own user-assigned identity, which may only read the workspace
// (Log Analytics Reader): without one a rule runs with the rights of whoever last deployed it.

@description('Region of the log search rules and their identity.')
param location string

@description('Short lowercase name that prefixes resource names.')
param namePrefix string

@description('Log Analytics workspace the function app\'s Application Insights writes to (AppTraces).')
param workspaceName string

@description('Service Bus namespace of the signal queue.')
param serviceBusNamespaceName string

@description('The signal queue (EntityName of its metrics).')
param queueName string

@description('E-mail addresses to notify; empty: no action group, alerts only show in the portal.')
param alertEmails array

@description('Alert when a pool\'s oldest waiting job has waited longer than this many minutes.')
@minValue(1)
param oldestWaitMinutes int

// Log Analytics Reader: query the workspace, nothing else (Microsoft Learn, "Azure built-in roles").
var logAnalyticsReader = '73c42c96-874c-492b-b04d-ab87d138a893'
var notify = !empty(alertEmails)
var actionGroupIds = notify ? [actionGroup.id] : []
// The queries find records by the first characters formatRecord writes ('{"event":"scaler.pass",',
// recordPrefix in src/log/telemetry-record.ts) and a used-up ACI quota by its ScalerError code
// (ACI_QUOTA_CODE in src/launchers/aci/aci-errors.ts); test/infra/alerts.test.ts holds them together.

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource alertsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${namePrefix}-alerts'
  location: location
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, alertsIdentity.id, logAnalyticsReader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', logAnalyticsReader)
    principalId: alertsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (notify) {
  name: 'ag-${namePrefix}-scaler'
  location: 'Global'
  properties: {
    groupShortName: take('ado-${namePrefix}', 12)
    enabled: true
    emailReceivers: [
      for (address, i) in alertEmails: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

var ruleIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: { '${alertsIdentity.id}': {} }
}

// 1. A pool's oldest waiting job, from the latest pass record of each pool in the last 15 minutes
// (a pool with a waiting job is passed at least every reconcile tick, 60 s by default). Failed
// passes carry no counts and are skipped; a pool without records in the window has nothing waiting.
resource oldestWait 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-oldest-wait'
  location: location
  kind: 'LogAlert'
  identity: ruleIdentity
  properties: {
    displayName: 'ado-agent-scaler: a job waits longer than ${oldestWaitMinutes} minutes'
    description: 'The oldest waiting job of a pool has waited longer than ${oldestWaitMinutes} minutes for an agent (scaler.pass records, oldestWaitSeconds). Look at the pool\'s scheduler lines: held back by maxAgents, a back-off, demands no profile serves.'
    severity: 2
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: '''
AppTraces
| where Message startswith '{"event":"scaler.pass",'
| extend r = parse_json(Message)
| where tostring(r.outcome) != 'failed'
| extend org = tostring(r.org), pool = tostring(r.pool), oldestWaitMinutes = todouble(r.oldestWaitSeconds) / 60.0
| summarize arg_max(TimeGenerated, oldestWaitMinutes) by org, pool
| where isnotnull(oldestWaitMinutes)
'''
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'oldestWaitMinutes'
          dimensions: [
            { name: 'org', operator: 'Include', values: ['*'] }
            { name: 'pool', operator: 'Include', values: ['*'] }
          ]
          operator: 'GreaterThan'
          threshold: oldestWaitMinutes
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: actionGroupIds }
  }
  dependsOn: [reader]
}

// 2. Signals that can never be read, or that ran out of deliveries, wait in the dead-letter queue.
resource deadLettered 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${namePrefix}-dead-lettered'
  location: 'global'
  properties: {
    description: 'Messages in the dead-letter queue of the signal queue "${queueName}" (DeadletteredMessages > 0). The scheduler logs each with its messageId and reason; README: Failures and back-off.'
    severity: 2
    enabled: true
    scopes: [namespace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered-signals'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [{ name: 'EntityName', operator: 'Include', values: [queueName] }]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    autoMitigate: true
    actions: notify ? [{ actionGroupId: actionGroup.id }] : []
  }
}

// 3. Upkeep's latest look at an organization's service hook found it not enabled after trying to
// re-enable it (disabled by a user, missing, re-enabling failed), or had to re-enable it in two
// runs or more of the window: the webhook keeps failing and ADO keeps putting it on probation.
resource hookNotEnabled 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-hook-not-enabled'
  location: location
  kind: 'LogAlert'
  identity: ruleIdentity
  properties: {
    displayName: 'ado-agent-scaler: a service hook subscription is not enabled'
    description: 'Upkeep found the organization\'s service hook subscription not enabled (scaler.hook records): jobs wait for the reconcile sweep. README: Troubleshooting, "The service hook is on probation or disabled".'
    severity: 2
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: '''
AppTraces
| where Message startswith '{"event":"scaler.hook",'
| extend r = parse_json(Message)
| extend org = tostring(r.org), status = tostring(r.status), enabled = tostring(r.enabled), reenabled = toint(r.reenabled)
| summarize arg_max(TimeGenerated, status, enabled), reenabledRuns = countif(reenabled > 0) by org
| where enabled == 'false' or reenabledRuns >= 2
'''
          timeAggregation: 'Count'
          dimensions: [{ name: 'org', operator: 'Include', values: ['*'] }]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: actionGroupIds }
  }
  dependsOn: [reader]
}

// 4. A profile starts nothing now: its agents keep exiting before a job (crash loop) or its starts
// failed, as the latest pass record of its pool says (backoffUntil still ahead).
resource profileBackoff 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-profile-backoff'
  location: location
  kind: 'LogAlert'
  identity: ruleIdentity
  properties: {
    displayName: 'ado-agent-scaler: a profile backs off'
    description: 'A profile starts no agents for now (scaler.pass records, profiles[].backoff: crashLoop or startFailed, with backoffReason). README: Troubleshooting, "crash loop" and "ACI quota and throttling".'
    severity: 2
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: '''
AppTraces
| where Message startswith '{"event":"scaler.pass",'
| extend r = parse_json(Message)
| where tostring(r.outcome) != 'failed'
| extend org = tostring(r.org), pool = tostring(r.pool)
| summarize arg_max(TimeGenerated, r) by org, pool
| mv-expand p = r.profiles
| extend profile = tostring(p.profile), backoff = tostring(p.backoff), backoffUntil = todatetime(p.backoffUntil)
| where isnotempty(backoff) and backoffUntil > now()
| project TimeGenerated, org, pool, profile, backoff
'''
          timeAggregation: 'Count'
          dimensions: [
            { name: 'org', operator: 'Include', values: ['*'] }
            { name: 'pool', operator: 'Include', values: ['*'] }
            { name: 'profile', operator: 'Include', values: ['*'] }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: actionGroupIds }
  }
  dependsOn: [reader]
}

// 5. A start refused because an ACI quota is used up (cores or container groups).
resource aciQuota 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-aci-quota'
  location: location
  kind: 'LogAlert'
  identity: ruleIdentity
  properties: {
    displayName: 'ado-agent-scaler: ACI quota used up'
    description: 'Agent starts failed for a used-up Azure Container Instances quota (scaler.pass records, profiles[].errorCode AciQuotaExceeded). Request more quota or lower maxAgents; README: Troubleshooting, "ACI quota and throttling".'
    severity: 2
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: '''
AppTraces
| where Message startswith '{"event":"scaler.pass",'
| extend r = parse_json(Message)
| mv-expand p = r.profiles
| where tostring(p.errorCode) == 'AciQuotaExceeded'
| project TimeGenerated, org = tostring(r.org), pool = tostring(r.pool), profile = tostring(p.profile)
'''
          timeAggregation: 'Count'
          dimensions: [
            { name: 'org', operator: 'Include', values: ['*'] }
            { name: 'pool', operator: 'Include', values: ['*'] }
            { name: 'profile', operator: 'Include', values: ['*'] }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: actionGroupIds }
  }
  dependsOn: [reader]
}

output actionGroupId string = notify ? actionGroup.id : ''
output alertsIdentityPrincipalId string = alertsIdentity.properties.principalId
