// tap/: capture files in and out — classic pcap and pcapng readers (streaming, by magic) and
// writers. parseCapture/CaptureReader need no Node; readCapture/captureInfo/CaptureWriter.open use node:fs.

export { CaptureError } from './errors.ts';
export type { ByteSource } from './source.ts';
export { MemorySource } from './source.ts';
export {
  CaptureReader,
  parseCapture,
  formatResolution,
  MAX_RECORD_BYTES,
  DEFAULT_SNAPLEN,
  LINKTYPE_ETHERNET,
  PCAP_MAGIC,
  PCAP_HDR,
  PCAP_REC,
  PCAPNG_BLOCK,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_OPT,
  SHB,
  IDB,
  EPB,
  OPB,
  SPB,
} from './reader.ts';
export type { CaptureRecord, CaptureInterface, CaptureFormat, TsResolution } from './reader.ts';
export { FileSource, openCapture, readCapture, captureInfo } from './file.ts';
export type { CaptureInfo } from './file.ts';
export { CaptureWriter } from './writer.ts';
export type {
  CaptureWriterOptions,
  CaptureWriteRecord,
  CaptureFrameRecord,
  CaptureRecordFields,
  FrameSource,
  ByteSink,
} from './writer.ts';
export { WriteBehindSink } from './write-behind.ts';
export { RecordDigests, DIGEST_AHEAD_MIN_BYTES } from './digest-ahead.ts';
