// One progress line on stderr for a sweep: done/total, a bar, and an estimate of the time left from the
// pace so far. Only on a terminal and never under CI, so piped output and logs stay clean.
import { type CliStream, currentIO, stderr } from '../io.ts';

export interface Progress {
  /** `done` of the total have finished; `what` names the latest. */
  update(done: number, what?: string): void;
  /** Clears the line. */
  end(): void;
}

/** Formats seconds as m:ss (h:mm:ss past an hour). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

/** The progress line for `done` of `total` after `elapsed` seconds (the ETA needs one finished task). */
export function progressLine(done: number, total: number, elapsed: number, what = ''): string {
  const w = 30,
    k = Math.round((done / Math.max(1, total)) * w);
  const eta = done > 0 ? ` ETA ${clock((elapsed / done) * (total - done))}` : '';
  return `[${'#'.repeat(k)}${'.'.repeat(w - k)}] ${done}/${total}${eta}${what !== '' ? ` ${what}` : ''}`;
}

export function progressBar(total: number, stream: CliStream = stderr): Progress {
  const on = stream.isTTY === true && !currentIO().env['CI'];
  if (!on) return { update() {}, end() {} };
  const t0 = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    update(done, what = '') {
      stream.write(`\r\x1b[K${progressLine(done, total, elapsed(), what)}`);
    },
    end() {
      stream.write('\r\x1b[K');
    },
  };
}
