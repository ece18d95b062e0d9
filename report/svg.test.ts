import { describe, expect, it } from 'vitest';
import {
  barChart,
  escapeXml,
  formatFull,
  formatNumber,
  formatTicks,
  histogram,
  lineChart,
  logTicks,
  niceTicks,
  stepChart,
} from './svg.ts';
import { decodeEntities, elementsWithClass, nestingProblem, scanTags, textsOf } from '../test/support/markup.ts';

const SVG_TAGS = new Set(['svg', 'title', 'desc', 'defs', 'pattern', 'rect', 'path', 'circle', 'line', 'g', 'text']);

/** Structure every chart must have, whatever its data. */
function expectSoundSvg(svg: string, title: string): void {
  const tags = scanTags(svg);
  expect(nestingProblem(tags)).toBeNull();
  expect(tags[0]!.name).toBe('svg');
  expect(tags[0]!.attrs.get('role')).toBe('img');
  expect(tags[0]!.attrs.get('aria-label')).toBe(title);
  expect(tags[0]!.attrs.get('xmlns')).toBe('http://www.w3.org/2000/svg');
  expect(tags[1]!.name).toBe('title');
  expect(textsOf(svg, 'title')[0]).toBe(title);
  for (const t of tags) {
    expect(SVG_TAGS.has(t.name), `unexpected <${t.name}>`).toBe(true);
    for (const a of t.attrs.keys()) expect(a.startsWith('on'), `event handler attribute ${a}`).toBe(false);
    expect(t.attrs.has('href')).toBe(false);
  }
  expect(svg.endsWith('</svg>')).toBe(true);
  // Axes and gridlines are always drawn.
  expect(svg).toContain('class="axis axis-x"');
  expect(svg).toContain('class="axis axis-y"');
  expect(svg).toContain('class="grid"');
}

const marks = (svg: string) => elementsWithClass(svg, 'mark');
const axisGroup = (svg: string, axis: 'x' | 'y') =>
  new RegExp(`<g class="axis axis-${axis}"[\\s\\S]*?</g>`).exec(svg)![0];

describe('niceTicks', () => {
  it('covers the range with 1-2-5 steps', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 64)).toEqual([0, 20, 40, 60, 80]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0.0043)).toEqual([0, 0.001, 0.002, 0.003, 0.004, 0.005]);
    expect(niceTicks(0, 3_400_000)).toEqual([0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]);
    expect(niceTicks(1, 64)).toEqual([0, 20, 40, 60, 80]);
    expect(niceTicks(10_010, 10_043)).toEqual([10_010, 10_020, 10_030, 10_040, 10_050]);
  });
  it('has no floating-point noise', () => {
    expect(niceTicks(0, 0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0, 0.7)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });
  it('widens an empty range', () => {
    expect(niceTicks(0, 0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(6, 6)).toEqual([2, 4, 6, 8, 10]);
    expect(niceTicks(5, 1)).toEqual(niceTicks(1, 5));
    expect(niceTicks(Number.NaN, 3)).toEqual([0, 1]);
  });
});

describe('logTicks', () => {
  it('uses 1-2-5 within three decades, powers of ten beyond', () => {
    expect(logTicks(64, 8948)).toEqual([50, 100, 200, 500, 1000, 2000, 5000, 10000]);
    expect(logTicks(1, 64)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks(1, 10)).toEqual([1, 2, 5, 10]);
    expect(logTicks(0.5, 1e6)).toEqual([0.1, 1, 10, 100, 1000, 10000, 1e5, 1e6]);
    expect(logTicks(1, 1e20)).toEqual([1, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18, 1e21]);
  });
  it('survives bad input', () => {
    expect(logTicks(0, 10)).toEqual([1, 10]);
    expect(logTicks(8, 8)).toEqual([2, 5, 10, 20, 50]);
  });
});

describe('number formatting', () => {
  it('formats short', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [7, '7'],
      [0.25, '0.25'],
      [12.345, '12.3'],
      [999, '999'],
      [999.96, '1k'],
      [1000, '1k'],
      [1200, '1.2k'],
      [1234, '1.23k'],
      [15_000, '15k'],
      [999_999, '1M'],
      [3_400_000, '3.4M'],
      [5e9, '5G'],
      [2.5e12, '2.5T'],
      [1.2e21, '1.2e21'],
      [-1500, '-1.5k'],
      [0.000123, '0.000123'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, '∞'],
    ];
    for (const [v, s] of cases) expect(formatNumber(v), String(v)).toBe(s);
  });
  it('formats full for tables', () => {
    expect(formatFull(1_048_576)).toBe('1,048,576');
    expect(formatFull(20.9347)).toBe('20.93');
    expect(formatFull(0.812345)).toBe('0.8123');
    expect(formatFull(12_345.678)).toBe('12,346');
    expect(formatFull(0)).toBe('0');
  });
  it('falls back to full tick labels when short ones would repeat', () => {
    expect(formatTicks([0, 500, 1000, 1500])).toEqual(['0', '500', '1k', '1.5k']);
    expect(formatTicks([10_010, 10_020, 10_030])).toEqual(['10,010', '10,020', '10,030']);
  });
});

describe('escapeXml', () => {
  it('escapes the five characters and replaces XML-forbidden controls', () => {
    expect(escapeXml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(escapeXml('a\u0000b\u001fc\td\ne')).toBe('a\ufffdb\ufffdc\td\ne');
    expect(decodeEntities(escapeXml('R&amp;D </svg> "x"'))).toBe('R&amp;D </svg> "x"');
    expect(escapeXml(42)).toBe('42');
  });
});

describe('histogram', () => {
  const svg = histogram({
    id: 'h',
    title: 'sizes',
    xTitle: 'packets per skb',
    yTitle: 'skbs',
    bins: ['1', '2', '3'],
    series: [
      { name: 'lro', counts: [5, 0, 12] },
      { name: 'gro', counts: [2, 9, 1] },
    ],
  });
  it('draws one bar per bin per series with its data', () => {
    expectSoundSvg(svg, 'sizes');
    const m = marks(svg);
    expect(m.length).toBe(6);
    expect(m.map((a) => [a.get('data-series'), a.get('data-x'), a.get('data-y')])).toEqual([
      ['lro', '1', '5'],
      ['lro', '2', '0'],
      ['lro', '3', '12'],
      ['gro', '1', '2'],
      ['gro', '2', '9'],
      ['gro', '3', '1'],
    ]);
    expect(m.every((a) => Number(a.get('height')) > 0 && Number(a.get('width')) > 0)).toBe(true);
  });
  it('shows a zero as a hairline, not as nothing', () => {
    const zero = marks(svg).filter((a) => a.get('class')!.split(' ').includes('zero'));
    expect(zero.length).toBe(1);
    expect(zero[0]!.get('height')).toBe('1.5');
  });
  it('scales bars to the nice y range', () => {
    // y ticks 0..15 step 5; plot 280 px high: 12 → 224 px.
    expect(textsOf(axisGroup(svg, 'y'), 'text')).toEqual(['0', '5', '10', '15', 'skbs']);
    expect(textsOf(axisGroup(svg, 'x'), 'text')).toEqual(['1', '2', '3', 'packets per skb']);
    expect(marks(svg)[2]!.get('height')).toBe('224');
  });
  it('labels every k-th bin when bins are crowded, all bars still drawn', () => {
    const bins = Array.from({ length: 64 }, (_, i) => String(i + 1));
    const svg = histogram({ title: 'many', bins, series: [{ name: 'lro', counts: bins.map((_, i) => i) }] });
    expect(marks(svg).length).toBe(64);
    expect(textsOf(axisGroup(svg, 'x'), 'text')).toEqual(bins.filter((_, i) => i % 2 === 0)); // 1, 3, 5, …, 63
  });
  it('gives each series a hatch pattern and a legend entry', () => {
    expect(
      scanTags(svg)
        .filter((t) => t.name === 'pattern' && t.kind === 'open')
        .map((t) => t.attrs.get('id')),
    ).toEqual(['h-fill0', 'h-fill1']);
    expect(elementsWithClass(svg, 'legend-item').map((a) => a.get('data-series'))).toEqual(['lro', 'gro']);
    expect(textsOf(svg, 'text')).toContain('packets per skb');
  });
});

describe('barChart', () => {
  it('draws grouped bars and marks a missing value n/a', () => {
    const svg = barChart({
      title: 'latency',
      groups: ['off', 'lro', 'gro'],
      series: [
        { name: 'p50', values: [12, 19, 17] },
        { name: 'p99', values: [41, null, 76] },
      ],
    });
    expectSoundSvg(svg, 'latency');
    const m = marks(svg);
    expect(m.length).toBe(5);
    expect(m.map((a) => `${a.get('data-series')}/${a.get('data-x')}`)).toEqual([
      'p50/off',
      'p50/lro',
      'p50/gro',
      'p99/off',
      'p99/gro',
    ]);
    expect(elementsWithClass(svg, 'na').length).toBe(1);
    // Bars of one group sit side by side, p50 left of p99.
    expect(Number(m[0]!.get('x'))).toBeLessThan(Number(m[3]!.get('x')));
  });
  it('clamps negative values to zero and says so', () => {
    const svg = barChart({ title: 'n', groups: ['a', 'b'], series: [{ name: 's', values: [-3, 4] }] });
    expect(marks(svg).map((a) => a.get('data-y'))).toEqual(['-3', '4']);
    expect(textsOf(svg, 'text')).toContain('1 negative value drawn as 0 (not expected here)');
  });
  it('labels huge values with units', () => {
    const svg = barChart({ title: 'big', groups: ['a'], series: [{ name: 's', values: [3_400_000_000] }] });
    expect(textsOf(svg, 'text')).toEqual(expect.arrayContaining(['0', '1G', '2G', '3G', '4G', '3.4G']));
  });
});

describe('lineChart', () => {
  it('draws a marker per point, a line per unbroken run, and breaks at null', () => {
    const svg = lineChart({
      title: 'cost',
      xTitle: 'segment',
      yTitle: 'cycles/KB',
      series: [
        {
          name: 'off',
          points: [
            [64, 40_000],
            [1448, 2800],
            [8948, 1400],
          ],
        },
        {
          name: 'lro',
          points: [
            [64, 5200],
            [1448, null],
            [8948, 640],
          ],
        },
      ],
    });
    expectSoundSvg(svg, 'cost');
    expect(marks(svg).length).toBe(5);
    expect(marks(svg).map((a) => a.get('data-x'))).toEqual(['64', '1448', '8948', '64', '8948']);
    expect(elementsWithClass(svg, 'line').length).toBe(1); // 'lro' has two one-point runs: markers only
    expect(textsOf(svg, 'text')).toEqual(expect.arrayContaining(['0', '10k', '20k', '30k', '40k']));
  });
  it('tells series apart by marker shape and dash, not only colour', () => {
    const svg = lineChart({
      title: 't',
      series: [0, 1, 2].map((i) => ({
        name: `s${i}`,
        points: [
          [1, i],
          [2, i + 1],
        ] as [number, number][],
      })),
    });
    const shapes = marks(svg).map((a) => a.get('d')!.replace(/[-\d.,\s]/g, ''));
    expect(new Set([shapes[0], shapes[2], shapes[4]]).size).toBe(3);
    const dashes = scanTags(svg)
      .filter((t) => t.attrs.get('class') === 'line')
      .map((t) => t.attrs.get('stroke-dasharray') ?? 'solid');
    expect(dashes).toEqual(['solid', '7 3', '2 3']);
  });
  it('log x: leaves out x ≤ 0 with a note, draws reference lines', () => {
    const svg = lineChart({
      title: 'flows',
      logX: true,
      xRefs: [{ value: 8, label: 'max_desc = 8' }],
      series: [
        {
          name: 'lro',
          points: [
            [0, 1],
            [1, 7.9],
            [8, 7.9],
            [64, 3.2],
          ],
        },
      ],
    });
    expect(marks(svg).length).toBe(3);
    const texts = textsOf(svg, 'text');
    expect(texts).toContain('1 point with x ≤ 0 left out (log axis)');
    expect(texts).toContain('max_desc = 8');
    expect(texts).toEqual(expect.arrayContaining(['1', '2', '5', '10', '20', '50', '100']));
    expect(elementsWithClass(svg, 'ref-x').map((a) => a.get('data-value'))).toEqual(['8']);
  });
  it('draws a single point', () => {
    const svg = lineChart({ title: 'one', series: [{ name: 'a', points: [[1500, 0]] }] });
    expectSoundSvg(svg, 'one');
    expect(marks(svg).length).toBe(1);
    expect(elementsWithClass(svg, 'line').length).toBe(0);
    expect(svg).not.toContain('no-data');
  });
});

describe('stepChart', () => {
  it('draws one step path per series with its sample count and peak', () => {
    const svg = stepChart({
      title: 'ring',
      xEnd: 40,
      yRefs: [{ value: 256, label: 'ring size' }],
      series: [
        {
          name: 'q0',
          points: [
            [0, 0],
            [10, 30],
            [20, 5],
            [30, 12],
          ],
        },
        {
          name: 'q1',
          points: [
            [20, 7],
            [0, 3],
          ],
        }, // unsorted: drawn in time order
      ],
    });
    expectSoundSvg(svg, 'ring');
    const m = marks(svg);
    expect(m.map((a) => [a.get('data-series'), a.get('data-points'), a.get('data-y-max')])).toEqual([
      ['q0', '4', '30'],
      ['q1', '2', '7'],
    ]);
    // x ticks 0..40: q0 holds its last value to xEnd = 40, the right end of the axis; q1 starts at 0, the left end.
    const [x0, x1] = /<g class="axis axis-x"[^>]*><line x1="([\d.]+)" x2="([\d.]+)"/.exec(svg)!.slice(1);
    expect(m[0]!.get('d')!.endsWith(`H${x1}`)).toBe(true);
    expect(m[1]!.get('d')!.startsWith(`M${x0},`)).toBe(true);
    expect(m[1]!.get('d')!.split('H').length - 1).toBe(2); // one step to t=20, then held to xEnd
    expect(textsOf(svg, 'text')).toContain('ring size');
  });
  it('reduces long series per pixel column but keeps every peak', () => {
    const points: [number, number][] = [];
    for (let i = 0; i < 50_000; i++) points.push([i, i === 31_337 ? 999 : i % 7]);
    const svg = stepChart({ title: 'long', series: [{ name: 'q', points }] });
    const m = marks(svg);
    expect(m[0]!.get('data-points')).toBe('50000');
    expect(m[0]!.get('data-y-max')).toBe('999');
    const segments = m[0]!.get('d')!.split('H').length - 1;
    expect(segments).toBeLessThan(4 * 700);
    // The peak's y (999 on ticks 0..1000, 280 px plot from y=14) survives: 14 + 280 - 999/1000*280.
    expect(m[0]!.get('d')).toContain('V14.28');
  });
  it('gives a lone sample a visible tick', () => {
    const svg = stepChart({ title: 's', series: [{ name: 'q', points: [[5, 3]] }] });
    expect(marks(svg)[0]!.get('d')!.endsWith('h4')).toBe(true);
  });
});

describe('empty data', () => {
  const empties: [string, string][] = [
    ['histogram', histogram({ title: 'e1', bins: [], series: [] })],
    ['histogram-no-series', histogram({ title: 'e2', bins: ['1', '2'], series: [] })],
    ['bar', barChart({ title: 'e3', groups: ['a'], series: [{ name: 's', values: [null] }] })],
    ['line', lineChart({ title: 'e4', series: [] })],
    ['line-log', lineChart({ title: 'e5', logX: true, series: [{ name: 's', points: [] }] })],
    ['step', stepChart({ title: 'e6', series: [{ name: 'q', points: [] }] })],
  ];
  it.each(empties)('%s: axes, a "no data" note, no marks, valid svg', (_, svg) => {
    expectSoundSvg(svg, /aria-label="([^"]*)"/.exec(svg)![1]!);
    expect(marks(svg).length).toBe(0);
    expect(textsOf(svg, 'text')).toContain('no data');
  });
  it('treats non-finite values as left out, not as a crash', () => {
    const svg = lineChart({
      title: 'nf',
      series: [
        {
          name: 's',
          points: [
            [1, Number.NaN],
            [2, 3],
            [Number.POSITIVE_INFINITY, 1],
          ],
        },
      ],
    });
    expect(marks(svg).length).toBe(1);
    expect(textsOf(svg, 'text')).toContain('2 non-finite values left out');
  });
});

describe('hostile strings', () => {
  const evil = [
    '<script>alert(1)</script>',
    '"onload="alert(1)',
    "' onmouseover='x",
    '</svg><img src=x onerror=alert(1)>',
    'R&amp;D',
    'a\u0000b',
  ];
  const charts = evil.flatMap((s) => [
    histogram({
      title: s,
      id: s,
      xTitle: s,
      yTitle: s,
      desc: s,
      bins: [s, 'b'],
      series: [{ name: s, counts: [1, 2] }],
    }),
    barChart({ title: s, groups: [s], series: [{ name: s, values: [1] }] }),
    lineChart({
      title: s,
      xRefs: [{ value: 1, label: s }],
      yRefs: [{ value: 1, label: s }],
      series: [
        {
          name: s,
          points: [
            [1, 1],
            [2, 2],
          ],
        },
      ],
    }),
    stepChart({
      title: s,
      yRefs: [{ value: 1, label: s }],
      series: [
        {
          name: s,
          points: [
            [1, 1],
            [2, 2],
          ],
        },
      ],
    }),
  ]);
  it('stay text: no new elements, no handlers, well-formed', () => {
    for (const svg of charts) {
      expect(svg).not.toMatch(/<script|<img|<\/svg>.+/i);
      const tags = scanTags(svg);
      expect(nestingProblem(tags)).toBeNull();
      for (const t of tags) {
        expect(SVG_TAGS.has(t.name), `<${t.name}>`).toBe(true);
        for (const a of t.attrs.keys()) expect(a.startsWith('on'), a).toBe(false);
      }
    }
  });
  it('round-trip through escaping', () => {
    const svg = lineChart({ title: 'R&amp;D <b>', series: [{ name: '"x" & <y>', points: [[1, 1]] }] });
    expect(textsOf(svg, 'title')[0]).toBe('R&amp;D <b>');
    expect(marks(svg)[0]!.get('data-series')).toBe('"x" & <y>');
    expect(/aria-label="([^"]*)"/.exec(svg)![1]).toBe('R&amp;amp;D &lt;b&gt;');
  });
  it('ids keep only safe characters', () => {
    const svg = histogram({ title: 't', id: '1"><x', bins: ['1'], series: [{ name: 's', counts: [1] }] });
    expect(
      scanTags(svg)
        .find((t) => t.name === 'pattern')!
        .attrs.get('id'),
    ).toBe('c1x-fill0');
  });
});
