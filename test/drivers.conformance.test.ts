// The shared conformance suite every registered driver runs, end to end through the lab: for each
// engine the driver supports on its model, byte streams intact (clean and impaired links), every frame
// accounted for, and the same seed giving the same report and the same output bytes.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDrivers, ENGINES, type DriverInfo, type Engine } from '../drivers/index.ts';
import { modelCapabilities } from '../hw-models/registry.ts';
import { runLab, type LabConfig } from '../lab/run.ts';

const bulk = (extra: Record<string, unknown> = {}) => ({
  rateGbps: 10, seed: 7, bytesPerFlow: 256 << 10, flows: [{ kind: 'bulk', count: 3 }], ...extra,
});

function supported(d: DriverInfo): Engine[] {
  const model = d.models[0]!;
  const caps = modelCapabilities(model)!;
  return ENGINES.filter((e) => d.support(e, caps, { engine: e, pollBudget: 64, softwareChecksum: true }).ok);
}

for (const d of listDrivers()) {
  const model = d.models[0]!;
  describe(`driver ${d.name} on ${model}`, () => {
    for (const engine of supported(d)) {
      const base: LabConfig = { model, driver: d.name, engine, softwareChecksum: true };

      it(`${engine}: clean bulk traffic arrives intact and every frame is accounted for`, () => {
        const r = runLab({ ...base, traffic: bulk() });
        expect(r.conservation).toMatchObject({ ok: true, held: 0 });
        expect(r.report.allStreamsOk).toBe(true);
        expect(r.report.bytesVerified).toBe(3 * (256 << 10));
        expect(r.stack.held).toBe(0);
      });

      it(`${engine}: loss, reordering, duplication and corruption still deliver every byte`, () => {
        const r = runLab({
          ...base,
          traffic: bulk({ impairments: { loss: 0.01, reorder: { p: 0.02, depth: 4 }, duplicate: 0.01, corrupt: { p: 0.005 } } }),
        });
        expect(r.conservation.ok).toBe(true);
        expect(r.report.allStreamsOk).toBe(true);
        expect(r.report.bytesVerified).toBe(3 * (256 << 10));
      });

      it(`${engine}: same seed, same report and same output bytes`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'vnic-det-'));
        try {
          const a = runLab({ ...base, traffic: bulk({ impairments: { loss: 0.01 } }) }, { out: { path: join(dir, 'a.pcap') } });
          const b = runLab({ ...base, traffic: bulk({ impairments: { loss: 0.01 } }) }, { out: { path: join(dir, 'b.pcap') } });
          expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
          expect(readFileSync(join(dir, 'b.pcap')).equals(readFileSync(join(dir, 'a.pcap')))).toBe(true);
        } finally { rmSync(dir, { recursive: true, force: true }); }
      });
    }
  });
}
