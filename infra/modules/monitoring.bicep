// Logs and telemetry of the function app: a workspace-based Application Insights component.

@description('Region of the workspace and the component.')
param location string

@description('Name of the Log Analytics workspace.')
param workspaceName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Days the workspace keeps logs (30 is the free retention).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

@description('What APPLICATIONINSIGHTS_CONNECTION_STRING is set to. It holds an ingestion key, not a credential that reads data.')
output connectionString string = appInsights.properties.ConnectionString

@description('The Log Analytics workspace, where the alert rules query the app\'s logs (AppTraces).')
output workspaceName string = workspace.name
