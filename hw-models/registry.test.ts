import { describe, expect, it } from 'vitest';
import { reference } from '../test/support/reference-drivers.ts';
import { ConfigError } from './capabilities.ts';
import { createModel, listModels, modelCapabilities, registerModel } from './index.ts';
import { EHEA_CAPABILITIES } from './ehea.ts';

describe('model registry', () => {
  it('lists the built-in models with their capabilities', () => {
    const names = listModels().map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['ehea', 'myri10ge', 'e1000', 'mq']));
    expect(modelCapabilities('ehea')!.vlan).toBe('extract-keep-ethertype');
    expect(modelCapabilities('myri10ge')!.rxChecksum).toBe('partial');
    expect(modelCapabilities('mq')!.queueSelect).toBe('toeplitz-rss');
  });

  it('creates models by name; unknown names and bad configs get clear errors', () => {
    expect(createModel('e1000').name).toBe('e1000');
    expect(() => createModel('rtl8139')).toThrow(/unknown NIC model "rtl8139" \(registered: .*ehea.*\)/);
    expect(() => createModel('mq', { queues: 0 })).toThrow(
      new ConfigError('mq config: queues = 0: must be an integer from 1 to 64', 'queues'),
    );
    expect(() => createModel('myri10ge', { bigBytes: 3000 })).toThrow(
      'myri10ge config: bigBytes = 3000: must be one of 1024, 2048, 4096',
    );
    expect(() => createModel('e1000', { vlanStrip: 'yes' })).toThrow(
      'e1000 config: vlanStrip = "yes": must be true or false',
    );
  });

  it('refuses duplicate names, bad names and invalid capabilities', () => {
    expect(() => registerModel('ehea', () => createModel('ehea'), EHEA_CAPABILITIES)).toThrow(
      'model "ehea" is already registered',
    );
    expect(() => registerModel('Bad Name', () => createModel('ehea'), EHEA_CAPABILITIES)).toThrow(
      /model name "Bad Name"/,
    );
    expect(() =>
      registerModel('broken', () => createModel('ehea'), { ...EHEA_CAPABILITIES, vlan: 'sometimes' }),
    ).toThrow(/broken capabilities config: vlan = "sometimes": /);
  });
});

import { TraceLog } from '../observe/trace.ts';
import { frame } from '../wire/index.ts';

describe('tracing', () => {
  it('every completion and every drop is traced with its counter name when a tracer is given', () => {
    const log = new TraceLog();
    const nic = createModel('e1000', { ringEntries: 16 }, { tracer: log });
    const f = frame().ipv4().tcp().payload(10).build();
    nic.receiveFrame(f, f.length, 5); // nothing posted
    reference(nic).fill();
    nic.receiveFrame(f, f.length, 6);
    nic.receiveFrame(f, 3, 7);
    expect(log.events.map((e) => [e.t, e.layer, e.what, e.reason ?? '', e.frame])).toEqual([
      [5, 'wire', 'frame', '', 0],
      [5, 'nic', 'drop', 'rx_missed', 0],
      [0, 'nic', 'doorbell', '', undefined],
      [6, 'wire', 'frame', '', 1],
      [6, 'nic', 'dma', '', 1],
      [7, 'nic', 'drop', 'rx_length_errors', 2],
    ]);
    expect(log.events[1]!.text).toBe('e1000: 0 descriptors posted (RDH 0, RDT 0), frame needs 1');
    // the doorbell posted 15 of 16 entries (one stays empty); the completion names the entry it took
    expect([log.events[2]!.ring, log.events[2]!.slot, log.events[4]!.ring, log.events[4]!.slot]).toEqual([
      'rx',
      15,
      'rx',
      0,
    ]);
  });
});
