import type { FleetSnapshot } from '../status/fleet-snapshot';
import { DASHBOARD_CSS } from './dashboard-style';
import { instant } from './format';
import type { OrgHookStatus } from './hook-status';
import { Html, html } from './html';
import { poolSection } from './pool-section';

export interface DashboardView {
  readonly snapshot: FleetSnapshot;
  readonly hooks: readonly OrgHookStatus[];
  /** Seconds between reloads (a meta refresh); 0: none. */
  readonly refreshSeconds: number;
  /** This instance's counters, shown folded. */
  readonly counters?: Readonly<Record<string, number>>;
}

/** The whole page: pure, from what was read; every value from ADO or the config is escaped. */
export function renderDashboard(view: DashboardView): string {
  const { snapshot, hooks, refreshSeconds, counters } = view;
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${refreshSeconds > 0 && html`<meta http-equiv="refresh" content="${refreshSeconds}">`}
<title>ado-agent-scaler dashboard</title>
<style>${new Html(DASHBOARD_CSS)}</style>
</head>
<body>
<header>
<h1>ado-agent-scaler</h1>
<p>As of ${instant(snapshot.at)}${refreshSeconds > 0 ? ` · reloads every ${refreshSeconds} s` : ' · does not reload'} · from ADO's job requests and agents, the launchers and the pool leases: the same for every instance</p>
</header>
<section class="hooks">
<h2>Service hooks</h2>
<table>${hooks.map(
    (h) =>
      html`<tr data-org="${h.orgUrl}"><td>${h.orgUrl}</td><td><span class="badge tone-${h.tone}">${h.tone}</span> ${h.summary}${
        h.subscriptions.length > 0 && html`<div class="note">${h.subscriptions.map((s) => `${s.id}: ${s.status}`).join(', ')}</div>`
      }</td></tr>`,
  )}</table>
</section>
${snapshot.pools.map((p) => poolSection(p, snapshot.at))}
${counters && html`<details><summary>Counters of this instance</summary><table>${Object.entries(counters).map(([k, v]) => html`<tr><td>${k}</td><td class="n">${v}</td></tr>`)}</table></details>`}
</body>
</html>
`.text;
}
