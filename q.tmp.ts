import { runLab } from './lab/run.ts';
import type { EheaNic } from './hw-models/ehea.ts';
const cfg = { model: 'ehea', engine: 'lro', traffic: { seed: 1, openLoop: true, rateGbps: 10, bytesPerFlow: 20000 * 1448, flows: [{ kind: 'bulk', count: 4, mss: 1448 }] }, timeLimitNs: 1e12 } as const;
for (const sc of [true, false, true, false]) {
  const t0 = process.hrtime.bigint();
  const r = runLab(cfg as never, { shortcuts: sc });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const v = r.stack.verify(r.expectations);
  let h = 0; const m = r.model.dma.bytes; for (let i = 0; i < m.length; i++) h = (Math.imul(h, 31) + m[i]!) | 0;
  console.log(sc, ms.toFixed(0), 'ms', (r.model as EheaNic).digestsFromSender, v.allOk, JSON.stringify(r.report).length, h);
}
