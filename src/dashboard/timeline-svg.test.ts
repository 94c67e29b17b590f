import { describe, expect, it } from 'vitest';
import { timelineSvg } from './timeline-svg';
import type { Timeline } from './timeline';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const timeline: Timeline = {
  from: NOW - 100_000,
  to: NOW,
  jobs: [
    {
      requestId: 1,
      pipeline: '<b>web</b>',
      agent: 'ado-"a"',
      queued: NOW - 100_000,
      assigned: NOW - 90_000,
      finished: NOW - 60_000,
      outcome: 'succeeded',
      result: 'succeeded',
    },
    { requestId: 2, queued: NOW - 50_000, assigned: NOW - 50_000, outcome: 'running' },
    { requestId: 3, queued: NOW - 40_000, finished: NOW - 30_000, outcome: 'canceled', result: 'canceled' },
    { requestId: 4, queued: NOW - 5_000, outcome: 'waiting' },
  ],
};

const rects = (svg: string, requestId: number) => {
  const row = new RegExp(`<g class="job" data-request-id="${requestId}"[^>]*>(.*?)</g>`).exec(svg)?.[1] ?? '';
  return [...row.matchAll(/<rect class="([^"]+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => ({ cls: m[1], x: Number(m[2]), width: Number(m[3]) }));
};

describe('timelineSvg', () => {
  const svg = timelineSvg(timeline, NOW, 'linux & <co>').text;

  it('draws one group per job: the wait, then the run coloured by its outcome, scaled to the span', () => {
    expect(svg.match(/<g class="job"/g)).toHaveLength(4);
    // 200 px of labels, 744 px for 100 s.
    expect(rects(svg, 1)).toEqual([
      { cls: 'wait', x: 200, width: 74.4 },
      { cls: 'run o-succeeded', x: 274.4, width: 223.2 },
    ]);
    expect(rects(svg, 2)).toEqual([{ cls: 'run o-running', x: 572, width: 372 }]);
    expect(rects(svg, 3)).toEqual([
      { cls: 'wait', x: 646.4, width: 74.4 },
      { cls: 'end o-canceled', x: 720.8, width: 3 },
    ]);
    expect(rects(svg, 4)).toEqual([{ cls: 'wait open', x: 906.8, width: 37.2 }]);
  });

  it('labels each bar and says in its tooltip how long it waited and ran, and where', () => {
    expect(svg).toContain('<title>#1 &lt;b&gt;web&lt;/b&gt; · queued 11:58:20 UTC · waited 10 s · ran 30 s on ado-&quot;a&quot; · succeeded</title>');
    expect(svg).toContain('<title>#4 · queued 11:59:55 UTC · waiting for 5.0 s</title>');
    expect(svg).toContain('<title>#3 · queued 11:59:20 UTC · ended unassigned after 10 s · canceled</title>');
    expect(svg).toContain('>#1 &lt;b&gt;web&lt;/b&gt;</text>');
    expect(svg).toContain('aria-label="Timeline of the last 4 jobs of pool linux &amp; &lt;co&gt;');
    expect(svg).not.toMatch(/<b>|<co>/);
  });

  it('has clock ticks across the span and a line at now', () => {
    expect([...svg.matchAll(/<text class="tick"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual([
      '11:58:30',
      '11:58:45',
      '11:59:00',
      '11:59:15',
      '11:59:30',
      '11:59:45',
      '12:00:00',
    ]);
    expect(svg).toMatch(/<line class="now" x1="944"/);
  });

  it('says so when there is no job yet', () => {
    expect(timelineSvg({ from: NOW - 30_000, to: NOW, jobs: [] }, NOW, 'x').text).toBe('<p class="empty">No jobs in ADO\'s listing of this pool yet.</p>');
  });
});
