import { clock, duration } from './format';
import { html, type Html } from './html';
import { waitOf, type Timeline, type TimelineJob } from './timeline';

const WIDTH = 960;
const LABEL_WIDTH = 200;
const RIGHT_PAD = 16;
const AXIS_HEIGHT = 24;
const ROW_HEIGHT = 20;
const BAR_HEIGHT = 12;
const LABEL_CHARS = 30;
/** Tick steps in seconds; the first that gives at most MAX_TICKS ticks is used. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const MAX_TICKS = 7;

/**
 * One pool's timeline as inline SVG: a row per job, its wait for an agent (queued → assigned) as
 * one segment and its run (assigned → finished) as another, coloured by result; a job still
 * waiting or running reaches to now. Every text is escaped; colours come from the page's
 * stylesheet by class, so nothing needs an inline style.
 */
export function timelineSvg(timeline: Timeline, now: number, poolName: string): Html {
  const { jobs, from, to } = timeline;
  if (jobs.length === 0) return html`<p class="empty">No jobs in ADO's listing of this pool yet.</p>`;
  const span = Math.max(1, to - from);
  const x = (t: number) => LABEL_WIDTH + ((t - from) / span) * (WIDTH - LABEL_WIDTH - RIGHT_PAD);
  const height = AXIS_HEIGHT + jobs.length * ROW_HEIGHT + 6;
  const label = `Timeline of the last ${jobs.length} jobs of pool ${poolName}: the wait for an agent, then the run, coloured by result`;
  return html`<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${label}">${axis(from, to, x, height)}${jobs.map(
    (job, i) => jobRow(job, i, x, now),
  )}<line class="now" x1="${n(x(now))}" x2="${n(x(now))}" y1="${AXIS_HEIGHT - 6}" y2="${height}"/></svg>`;
}

function axis(from: number, to: number, x: (t: number) => number, height: number): Html {
  const step = (STEPS.find((s) => (to - from) / (s * 1000) <= MAX_TICKS) ?? STEPS.at(-1)!) * 1000;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return html`<g class="axis">${ticks.map(
    (t) =>
      html`<line class="grid" x1="${n(x(t))}" x2="${n(x(t))}" y1="${AXIS_HEIGHT - 6}" y2="${height}"/><text class="tick" x="${n(x(t))}" y="${AXIS_HEIGHT - 10}">${step >= 60_000 ? clock(t).slice(0, 5) : clock(t)}</text>`,
  )}</g>`;
}

function jobRow(job: TimelineJob, row: number, x: (t: number) => number, now: number): Html {
  const top = AXIS_HEIGHT + row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2;
  const waitEnd = job.assigned ?? job.finished ?? now;
  const rect = (cls: string, start: number, end: number, minWidth = 1.5) =>
    html`<rect class="${cls}" x="${n(x(start))}" y="${n(top)}" width="${n(Math.max(minWidth, x(end) - x(start)))}" height="${BAR_HEIGHT}"/>`;
  const name = `#${job.requestId}${job.pipeline ? ` ${job.pipeline}` : ''}`;
  return html`<g class="job" data-request-id="${job.requestId}" data-outcome="${job.outcome}"><title>${describe(job, now)}</title><text class="label" x="4" y="${n(top + BAR_HEIGHT - 2)}">${
    name.length > LABEL_CHARS ? `${name.slice(0, LABEL_CHARS - 1)}…` : name
  }</text>${waitEnd > job.queued && rect(job.outcome === 'waiting' ? 'wait open' : 'wait', job.queued, waitEnd)}${
    job.assigned !== undefined && rect(`run o-${job.outcome}`, job.assigned, job.finished ?? now)
  }${job.assigned === undefined && job.finished !== undefined && rect(`end o-${job.outcome}`, job.finished, job.finished, 3)}</g>`;
}

/** The tooltip: what a person asks of a bar. */
function describe(job: TimelineJob, now: number): string {
  const parts = [`#${job.requestId}${job.pipeline ? ` ${job.pipeline}` : ''}`, `queued ${clock(job.queued)} UTC`];
  if (job.outcome === 'waiting') parts.push(`waiting for ${duration(waitOf(job, now))}`);
  else if (job.assigned === undefined) parts.push(`ended unassigned after ${duration(waitOf(job, now))}`);
  else
    parts.push(
      `waited ${duration(waitOf(job, now))}`,
      `${job.finished === undefined ? 'running for' : 'ran'} ${duration((job.finished ?? now) - job.assigned)}${job.agent ? ` on ${job.agent}` : ''}`,
    );
  if (job.finished !== undefined) parts.push(job.result ?? job.outcome);
  return parts.join(' · ');
}

/** SVG coordinates to a tenth of a pixel. */
function n(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}
