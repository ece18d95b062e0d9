// Security properties: the HTML report escapes every string (including strings read from input
// files), the CLI writes only the paths the user named, and nothing in the lab opens a socket.
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import '../drivers/index.ts';
import { renderReportHtml, parseReportData } from '../report/html.ts';
import { realReportData } from './support/report-data.ts';
import { CaptureWriter, readCapture } from '../tap/index.ts';
import { runLab } from '../lab/run.ts';
import { frame } from '../wire/index.ts';
import { vnicProcess } from './support/cli.ts';
import { capturePath } from './captures.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** Replaces every string in `v` (at any depth) with a hostile one carrying its own number. */
function poison(v: unknown, n: { i: number }): unknown {
  if (typeof v === 'string') return `<x${n.i++}>"'&</script><img src=y onerror=alert(1)>`;
  if (Array.isArray(v)) return v.map((x) => poison(x, n));
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, poison(x, n)]));
  return v;
}

describe('the HTML report escapes every string', () => {
  it('every string field of the report data, poisoned, appears only escaped', () => {
    const n = { i: 0 };
    const data = parseReportData(poison(realReportData(), n));
    const html = renderReportHtml(data);
    expect(n.i).toBeGreaterThan(40);
    expect(html).not.toMatch(/<x\d+>/);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script/i);
    // no event-handler attribute: with quoted attribute values blanked (a value cannot hold a raw quote),
    // "onerror=" may only remain in text, where it is harmless
    const tags = html.replace(/"[^"]*"/g, '""').match(/<[^>]*>/g) ?? [];
    expect(tags.filter((t) => /\son\w+=/i.test(t))).toEqual([]);
    // each poisoned string that is shown is shown escaped
    expect(html).toContain('&lt;x0&gt;');
  });

  it('strings read from a capture file (pcapng comments, interface names) are escaped too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-sec-'));
    const path = join(dir, 'hostile.pcapng');
    const w = CaptureWriter.open(path, { format: 'pcapng', interfaceNames: ['eth0"><script>alert(7)</script>'] });
    w.write({
      tsSec: 1,
      tsNsec: 0,
      data: frame().eth({}).ipv4({}).tcp({}).payload(10).build(),
      comment: '</title><svg onload=alert(8)>',
    });
    w.close();
    const comments: string[] = [];
    for (const r of readCapture(path)) if (r.comment !== undefined) comments.push(r.comment);
    expect(comments).toEqual(['</title><svg onload=alert(8)>']);
    const d = realReportData();
    const html = renderReportHtml({
      ...d,
      title: comments[0]!,
      inputs: [path, 'eth0"><script>alert(7)</script>'],
      notes: comments,
    });
    expect(html).not.toMatch(/<svg onload/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;/title&gt;&lt;svg onload=alert(8)&gt;');
  });
});

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe('nothing is written outside the paths the user named', () => {
  it('replay --out and report --html write exactly their files, in a fresh working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vnic-cwd-'));
    const outDir = mkdtempSync(join(tmpdir(), 'vnic-out-'));
    mkdirSync(join(outDir, 'sub'));
    copyFileSync(capturePath('bulk_mtu1500.tx.pcap'), join(cwd, 'in.pcap'));
    const repoBefore = tree(join(ROOT, 'test'));
    const [a, b] = await Promise.all([
      vnicProcess(['replay', 'in.pcap', '--only-to', '10.77.0.2', '--out', join(outDir, 'sub', 'out.pcapng')], { cwd }),
      // one seed: which files a report writes does not depend on how many runs fill it
      vnicProcess(['report', '--quick', '--seeds', '1', '--html', join(outDir, 'r.html')], { cwd }),
    ]);
    expect([a.code, a.stderr.split('\n').filter((l) => l.startsWith('vnic:'))]).toEqual([0, []]);
    expect(b.code).toBe(0);
    expect(tree(cwd)).toEqual(['in.pcap']);
    expect(tree(outDir)).toEqual(['r.html', 'sub/out.pcapng']);
    expect(tree(join(ROOT, 'test'))).toEqual(repoBefore);
    expect(readFileSync(join(outDir, 'r.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/i);
  }, 60_000);
});

describe('nothing listens on the network', () => {
  it('no source file outside node_modules imports a network module or opens a server', () => {
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        if (e === 'node_modules' || e.startsWith('.')) continue;
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|js|mjs)$/.test(e) && !e.startsWith('robustness-security')) {
          const s = readFileSync(p, 'utf8');
          if (/['"](node:)?(net|http|https|http2|dgram|tls)['"]|createServer\(|\.listen\(/.test(s))
            offenders.push(relative(ROOT, p));
        }
      }
    };
    walk(ROOT);
    expect(offenders).toEqual([]);
  });

  it('a lab run leaves no socket or server handle behind', () => {
    runLab({ traffic: { flows: [{ kind: 'bulk', bytes: 100_000 }] } });
    const kinds = process.getActiveResourcesInfo();
    expect(kinds.filter((k) => /TCP|UDP|Pipe|Server/i.test(k) && !/Pipe/.test(k))).toEqual([]);
  });
});
