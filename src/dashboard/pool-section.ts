import type { PoolSnapshot } from '../status/fleet-snapshot';
import type { ProfileState } from '../status/profile-state';
import { poolState } from '../status/profile-state';
import { LEGEND } from './dashboard-style';
import { clock, duration } from './format';
import { html, type Html } from './html';
import { timelineOf, waitSummary } from './timeline';
import { timelineSvg } from './timeline-svg';

const PLACEHOLDER_TEXT: Readonly<Record<string, readonly [tone: string, text: string]>> = {
  registered: ['ok', 'registered'],
  outdated: ['warning', 'outdated (upkeep updates it)'],
  missing: ['error', 'missing (upkeep registers it)'],
};

/** One pool: its counts, a row per profile, and the timeline of its latest jobs. */
export function poolSection(pool: PoolSnapshot, now: number): Html {
  const state = poolState(pool, now);
  const requests = pool.requests ?? [];
  const count = (s: string) => requests.filter((r) => r.state === s).length;
  const timeline = timelineOf(requests, now);
  const waits = waitSummary(timeline, now);
  return html`<section class="pool" data-pool="${pool.pool.name}">
<h2>${pool.pool.name}</h2>
<p class="muted">${pool.org.url.url} · <span class="waiting">${count('waiting')} waiting</span> · <span class="running">${count('running')} running</span>${
    state.unmatched > 0 && html` · <span class="tone-error">${state.unmatched} waiting for no profile of this pool (demands no profile meets)</span>`
  }</p>
${pool.error !== undefined && html`<p class="error">ADO's job requests could not be listed: ${pool.error}</p>`}
${!pool.registrations && html`<p class="note">The pool's agents could not be listed: idle agents count as starting, placeholders unknown.</p>`}
<table class="profiles">
<thead><tr><th>Profile</th><th>Launcher</th><th class="n">Waiting</th><th class="n">Starting</th><th class="n">Idle</th><th class="n">Busy</th><th class="n">Standby</th><th class="n">Max</th><th>Placeholder</th><th>Back-off</th></tr></thead>
<tbody>${state.profiles.map((p) => profileRow(p))}</tbody>
</table>
<h3 class="muted">Last ${timeline.jobs.length} jobs (times in UTC)${
    waits &&
    html` · wait for an agent: median ${duration(waits.median)}, longest ${duration(waits.longest)}${waits.waiting > 0 && html`, ${waits.waiting} still waiting`}`
  }</h3>
${timelineSvg(timeline, now, pool.pool.name)}
${timeline.jobs.length > 0 && legend()}
</section>`;
}

function profileRow(p: ProfileState): Html {
  const [tone, text] = p.placeholder ? PLACEHOLDER_TEXT[p.placeholder]! : ['unknown', 'unknown'];
  const cells = [p.waiting, p.agents.starting, p.agents.idle];
  return html`<tr data-profile="${p.profile.name}"><td>${p.profile.name}${p.error !== undefined && html`<div class="error">its agents could not be listed: ${p.error}</div>`}</td><td>${
    p.profile.launcher.kind
  }</td>${cells.map((c) => html`<td class="n">${c}</td>`)}<td class="n">${p.agents.busy}${
    p.agents.exiting > 0 && html` <span class="note">+${p.agents.exiting} exiting</span>`
  }</td><td class="n">${p.standby}</td><td class="n">${p.profile.maxAgents}</td><td class="tone-${tone}">${text}</td><td>${
    p.backoff
      ? html`<span class="tone-warning">${p.backoff.source} until ${clock(p.backoff.until)} UTC</span><div class="note">${p.backoff.reason}</div>`
      : html`<span class="muted">none</span>`
  }</td></tr>`;
}

function legend(): Html {
  return html`<ul class="legend">${LEGEND.map(([cls, label]) => html`<li><i class="${cls}"></i>${label}</li>`)}</ul>`;
}
