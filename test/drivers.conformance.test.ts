// The shared conformance suite every registered driver runs, end to end through the lab: every model
// configuration it supports × engine × clean, lossy, reordered, corrupted and VLAN-mixed traffic with the
// NAPI/driver rules watched (lab/test-driver.ts, what `vnic test-driver` runs), and the same seed giving
// the same report and the same output bytes.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDrivers, ENGINES, type DriverInfo, type Engine } from '../drivers/index.ts';
import { modelCapabilities } from '../hw-models/registry.ts';
import { runLab, type LabConfig } from '../lab/run.ts';
import { TEST_TRAFFIC, testConfigs, testDriver } from '../lab/test-driver.ts';

const bulk = (extra: Record<string, unknown> = {}) => ({
  rateGbps: 10,
  seed: 7,
  bytesPerFlow: 64 << 10,
  flows: [{ kind: 'bulk', count: 3 }],
  ...extra,
});

function supported(d: DriverInfo): Engine[] {
  const model = d.models[0]!;
  const caps = modelCapabilities(model)!;
  return ENGINES.filter((e) => d.support(e, caps, { engine: e, pollBudget: 64, softwareChecksum: true }).ok);
}

for (const d of listDrivers()) {
  const model = d.models[0]!;
  describe(`driver ${d.name}`, () => {
    it('every NAPI/driver rule holds on every model configuration it supports, under every kind of traffic (vnic test-driver)', () => {
      const r = testDriver(d);
      expect(r.broken).toEqual([]);
      expect(r.ok).toBe(true);
      expect(new Set(r.runs.map((x) => x.traffic))).toEqual(new Set(TEST_TRAFFIC));
      for (const m of d.models)
        for (const c of testConfigs(m)) {
          const ran = r.runs.some((x) => x.model === m && x.config === c.label),
            refused = r.skipped.some((x) => x.model === m && x.config === c.label);
          expect(ran || refused, `${m} ${c.label}`).toBe(true);
        }
    });

    for (const engine of supported(d)) {
      const base: LabConfig = { model, driver: d.name, engine, softwareChecksum: true };
      it(`${engine}: same seed, same report and same output bytes`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'vnic-det-'));
        try {
          const a = runLab(
            { ...base, traffic: bulk({ impairments: { loss: 0.01 } }) },
            { out: { path: join(dir, 'a.pcap') } },
          );
          const b = runLab(
            { ...base, traffic: bulk({ impairments: { loss: 0.01 } }) },
            { out: { path: join(dir, 'b.pcap') } },
          );
          expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
          expect(readFileSync(join(dir, 'b.pcap')).equals(readFileSync(join(dir, 'a.pcap')))).toBe(true);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}
