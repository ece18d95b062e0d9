// Tests only: what the lab itself says about the rings a driver posts buffers to, after every event of a
// run — the device's registers (descriptors posted and not yet used) and the counters the model and the
// driver keep (frames each ring's buffers carried, frames the driver took from each ring). The
// playground's posted-ring views are held to these (playground/timeline.test.ts, the browser check).
import { runLab, type LabConfig } from '../../lab/run.ts';
import type { NicModel } from '../../hw-models/model.ts';
import type { Driver } from '../../drivers/driver.ts';
import { LabEvents } from '../../observe/trace.ts';

/** One posted ring at a poll's end, in the lab's own figures. */
export interface PostedRingTruth {
  queue: number;
  ring: string;
  /** Descriptors posted and not yet used by the device (its register: NicModel.postedDescriptors). */
  posted: number;
  /** Frames whose data the device put in this ring's buffers (the model's per-ring counter). */
  filled: number;
  /**
   * Frames the driver took from this ring (the driver's per-ring counter, ethtool -S). A driver may count
   * a frame after it tells of taking it (eHEA counts when it builds the skb): compare at a poll's end.
   */
  taken: number;
  /** Descriptors posted after the driver opened the device: posted now + used − posted at open. */
  refilled: number;
}

/** The model's and the driver's counter names for a posted ring's frames. */
export const POSTED_RING_COUNTERS: Readonly<
  Record<string, (q: number, ring: string) => { filled: string; taken: string }>
> = {
  ehea: (q, ring) => ({ filled: `rx_${ring}`, taken: `PR${q} rx_${ring}` }),
  myri10ge: (q, ring) => ({ filled: `rx_${ring}`, taken: `slice${q} rx_${ring}_cnt` }),
};

/** Runs `lab` and reads every posted ring after each event: by event index (empty before the driver opened). */
export function postedRingsByEvent(lab: LabConfig): { rings: PostedRingTruth[][]; pollEnds: number[] } {
  let model: NicModel | undefined, driver: Driver | undefined;
  const atOpen = new Map<string, number>();
  const out: PostedRingTruth[][] = [],
    pollEnds: number[] = [];
  const rings = () =>
    model === undefined
      ? []
      : Array.from({ length: model.queueCount }, (_, q) => model!.rings(q).filter((r) => r.role === 'rx')).flat();
  const events = new LabEvents().on('event', (e) => {
    if (e.layer === 'napi' && e.what === 'poll') pollEnds.push(out.length);
    if (model === undefined || driver === undefined) {
      out.push([]);
      return;
    }
    const names = POSTED_RING_COUNTERS[model.name];
    if (names === undefined) throw new Error(`no per-ring counters known for model ${model.name}`);
    const ethtool = driver.ethtoolStats();
    out.push(
      rings().map((r) => {
        const c = names(r.queue, r.name);
        const posted = model!.postedDescriptors(r.queue, r.name);
        const filled = model!.counters(r.queue)[c.filled];
        const taken = ethtool[c.taken];
        if (filled === undefined || taken === undefined) throw new Error(`counter ${c.filled} or ${c.taken} missing`);
        return {
          queue: r.queue,
          ring: r.name,
          posted,
          filled,
          taken,
          refilled: posted + filled - atOpen.get(`${r.queue}/${r.name}`)!,
        };
      }),
    );
  });
  runLab(lab, {
    tracer: events,
    onOpen: (p) => {
      model = p.model;
      driver = p.driver;
      for (const r of rings()) atOpen.set(`${r.queue}/${r.name}`, model.postedDescriptors(r.queue, r.name));
    },
  });
  return { rings: out, pollEnds };
}
