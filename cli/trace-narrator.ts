// The narrated story as terminal lines (`vnic trace`); the narration itself is lab/narrate.ts.
import type { FrameStory, Verdict } from '../lab/narrate.ts';
import { paint } from './format.ts';

const LAYER_WIDTH = 7;

/** The story as text lines; colour on a terminal. `collapse`: runs of 3+ frames that took the same path print as one line. */
export function renderStories(stories: readonly FrameStory[], colour: boolean, collapse = false): string[] {
  const p = paint(colour);
  const verdictPaint: Record<Verdict, (s: string) => string> = {
    info: (s) => s,
    merge: p.green,
    open: p.green,
    flush: p.cyan,
    bypass: p.yellow,
    drop: p.red,
    deliver: p.green,
    ooo: p.yellow,
    ack: p.cyan,
  };
  const out: string[] = [];
  const full = (s: FrameStory) => {
    out.push(p.bold(`frame ${s.frame}`) + (s.wire !== undefined ? `  ${s.wire}` : ''));
    for (const l of s.lines) {
      out.push(`  ${p.dim(l.layer.padEnd(LAYER_WIDTH))} ${verdictPaint[l.verdict](l.text)}`);
      if (l.why !== undefined) out.push(`  ${' '.repeat(LAYER_WIDTH)} ${p.dim(`↳ ${l.why}`)}`);
    }
  };
  for (let i = 0; i < stories.length; ) {
    const s = stories[i]!;
    let j = i + 1;
    if (collapse) {
      const k = shapeOf(s);
      while (j < stories.length && shapeOf(stories[j]!) === k) j++;
    }
    full(s);
    if (j - i >= 3) {
      out.push(p.dim(summarise(stories.slice(i + 1, j), s.frame)));
      i = j;
    } else i++;
  }
  return out;
}

/** What a frame's path looks like with the numbers taken out (ring entries, packet counts, ACKs aside). */
function shapeOf(s: FrameStory): string {
  return (
    `${s.flow ?? ''}\n` +
    s.lines
      .filter(
        (l) =>
          l.layer !== 'nic' &&
          l.layer !== 'driver' &&
          l.layer !== 'irq' &&
          l.verdict !== 'ack' &&
          !(l.layer === 'napi' && / taken in this poll$/.test(l.text)),
      )
      .map((l) => `${l.layer}|${l.verdict}|${l.text.replace(/\d+/g, '#')}`)
      .join('\n')
  );
}

function summarise(run: readonly FrameStory[], like: number): string {
  const nums = (re: RegExp) =>
    run.flatMap((s) =>
      s.lines
        .map((l) => re.exec(l.text)?.[1])
        .filter((x): x is string => x !== undefined)
        .map(Number),
    );
  const entries = nums(/entry (\d+)/),
    polls = nums(/^poll (\d+) of/);
  const acks = run.reduce((n, s) => n + s.lines.filter((l) => l.verdict === 'ack').length, 0);
  const last = run[run.length - 1]!;
  const decision = last.lines.find((l) => l.layer === 'lro' || l.layer === 'gro');
  const parts = [`frames ${run[0]!.frame}–${last.frame} (${run.length}): the same path as frame ${like}`];
  if (entries.length > 0) parts.push(`ring entries ${Math.min(...entries)}–${Math.max(...entries)}`);
  if (polls.length > 0)
    parts.push(
      Math.min(...polls) === Math.max(...polls)
        ? `poll ${polls[0]}`
        : `polls ${Math.min(...polls)}–${Math.max(...polls)}`,
    );
  parts.push(`${acks} ACK${acks === 1 ? '' : 's'} sent`);
  if (decision !== undefined) parts.push(`last: ${decision.text}`);
  return `  … ${parts.join('; ')}`;
}
