import { createHash } from 'node:crypto';

/** Result colours, shared by the bars and the legend (class o-{outcome}). */
const OUTCOME_COLOURS: Readonly<Record<string, string>> = {
  running: '#2f6fd6',
  succeeded: '#2e9d57',
  succeededWithIssues: '#c9a227',
  failed: '#d43c3c',
  canceled: '#8a8f98',
  skipped: '#b5b9c0',
  abandoned: '#8e44ad',
  other: '#555b66',
};
const WAIT = '#f2a93b';

/** The page's one stylesheet: constant, so one hash in the Content-Security-Policy allows it and nothing else. */
export const DASHBOARD_CSS = [
  'body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:16px 24px;max-width:1100px;color:#1f2328;background:#f6f8fa}',
  'h1{font-size:20px;margin:0}h2{font-size:17px;margin:0 0 4px}h3{font-size:13px;font-weight:600;margin:10px 0 0}header p,.muted{color:#59636e;margin:2px 0}',
  'section{background:#fff;border:1px solid #d1d9e0;border-radius:6px;padding:12px 16px;margin:12px 0}',
  'table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e9ee;vertical-align:top}',
  'th{font-weight:600;color:#59636e;font-size:12px}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}',
  '.tone-ok{color:#1a7f37}.tone-warning{color:#9a6700}.tone-error{color:#cf222e}.tone-unknown{color:#59636e}',
  '.badge{display:inline-block;padding:0 6px;border-radius:10px;font-size:12px;border:1px solid currentColor}',
  '.error{color:#cf222e}.note{color:#59636e;font-size:12px}',
  'svg.timeline{width:100%;height:auto;display:block;margin-top:6px}',
  'svg.timeline text{font-size:11px;fill:#1f2328}svg.timeline .tick{fill:#59636e;text-anchor:middle}',
  'svg.timeline .grid{stroke:#e5e9ee}svg.timeline .now{stroke:#1f2328;stroke-dasharray:3 3}',
  `svg.timeline .wait{fill:${WAIT}}svg.timeline .wait.open{fill:${WAIT};fill-opacity:.55;stroke:${WAIT}}`,
  ...Object.entries(OUTCOME_COLOURS).map(([o, c]) => `.o-${o}{fill:${c};background:${c}}`),
  `.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:#59636e;margin:4px 0 0;padding:0;list-style:none}`,
  `.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:-1px;border-radius:2px}.legend i.wait{background:${WAIT}}`,
  'details{margin-top:8px}summary{cursor:pointer;color:#59636e}',
].join('\n');

const styleHash = createHash('sha256').update(DASHBOARD_CSS, 'utf8').digest('base64');

/**
 * Nothing but the page's own stylesheet: no script, no image, font or connection, no frame, no
 * form, no base URL. The page refreshes itself with a meta refresh, which needs no script.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${styleHash}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The legend's entries, in the order they are listed. */
export const LEGEND: ReadonlyArray<readonly [cls: string, label: string]> = [
  ['wait', 'waiting for an agent'],
  ['o-running', 'running'],
  ['o-succeeded', 'succeeded'],
  ['o-succeededWithIssues', 'succeeded with issues'],
  ['o-failed', 'failed'],
  ['o-canceled', 'canceled'],
  ['o-abandoned', 'abandoned'],
];
