import { crc32 } from 'node:zlib';

/**
 * Frames are the unit of the write-ahead log and of snapshots (docs/adr: storage format).
 *
 *   u32 LE  payload length N
 *   u32 LE  CRC-32 of the payload
 *   N bytes payload:
 *     u8      op (1 put, 2 delete, 3 snapshot header, 4 snapshot trailer)
 *     f64 LE  resourceVersion (an integer below 2^53)
 *     u32 LE  key length K
 *     K bytes key (UTF-8): `<group>/<resource>/<namespace>/<name>`
 *     rest    value (UTF-8 JSON of the object for put; empty otherwise)
 */
export const FrameOp = {
  Put: 1,
  Delete: 2,
  SnapshotHeader: 3,
  SnapshotTrailer: 4,
} as const;
export type FrameOp = (typeof FrameOp)[keyof typeof FrameOp];

export interface Frame {
  op: FrameOp;
  rv: number;
  key: string;
  value: string;
}

/** A RawFrame is a Frame whose value is left as the bytes of the buffer (no copy, no decoding). */
export interface RawFrame {
  op: FrameOp;
  rv: number;
  key: string;
  value: Buffer;
}

export const FRAME_HEADER_BYTES = 8;
const PAYLOAD_FIXED_BYTES = 1 + 8 + 4;
/** MAX_FRAME_BYTES bounds one frame; a larger length field means a torn or corrupt frame. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** EncodeFrame returns the bytes of one frame. */
export function encodeFrame(op: FrameOp, rv: number, key: string, value = ''): Buffer {
  const keyLen = Buffer.byteLength(key);
  const valueLen = Buffer.byteLength(value);
  const payloadLen = PAYLOAD_FIXED_BYTES + keyLen + valueLen;
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadLen);
  buf.writeUInt32LE(payloadLen, 0);
  let o = FRAME_HEADER_BYTES;
  buf.writeUInt8(op, o);
  o += 1;
  buf.writeDoubleLE(rv, o);
  o += 8;
  buf.writeUInt32LE(keyLen, o);
  o += 4;
  o += buf.write(key, o, 'utf8');
  buf.write(value, o, 'utf8');
  buf.writeUInt32LE(crc32(buf.subarray(FRAME_HEADER_BYTES)), 4);
  return buf;
}

/** A DecodeResult is the frames found in a buffer and where the valid prefix ends. */
export interface DecodeResult {
  frames: Frame[];
  /** ValidBytes is the length of the prefix made of whole, checksummed frames. */
  validBytes: number;
  /** Problem describes why decoding stopped before the end of the buffer, if it did. */
  problem?: string;
}

/** DecodeFrames decodes whole frames from the start of `buf`, stopping at the first bad one. */
export function decodeFrames(buf: Buffer, onFrame?: (f: Frame) => void): DecodeResult {
  const frames: Frame[] = [];
  const res = decodeRawFrames(buf, (f) => {
    const frame: Frame = { op: f.op, rv: f.rv, key: f.key, value: f.value.toString('utf8') };
    if (onFrame === undefined) frames.push(frame);
    else onFrame(frame);
  });
  return res.problem === undefined ? { frames, validBytes: res.validBytes } : { frames, validBytes: res.validBytes, problem: res.problem };
}

/** DecodeRawFrames is decodeFrames that hands out values as slices of `buf`. */
export function decodeRawFrames(buf: Buffer, onFrame: (f: RawFrame) => void): Omit<DecodeResult, 'frames'> {
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < FRAME_HEADER_BYTES) return { validBytes: o, problem: `truncated frame header at offset ${o}` };
    const len = buf.readUInt32LE(o);
    if (len < PAYLOAD_FIXED_BYTES || len > MAX_FRAME_BYTES) return { validBytes: o, problem: `bad frame length ${len} at offset ${o}` };
    if (buf.length - o - FRAME_HEADER_BYTES < len) return { validBytes: o, problem: `truncated frame at offset ${o}` };
    const payload = buf.subarray(o + FRAME_HEADER_BYTES, o + FRAME_HEADER_BYTES + len);
    if (crc32(payload) !== buf.readUInt32LE(o + 4)) return { validBytes: o, problem: `checksum mismatch at offset ${o}` };
    const op = payload.readUInt8(0) as FrameOp;
    if (op < FrameOp.Put || op > FrameOp.SnapshotTrailer) return { validBytes: o, problem: `unknown frame op ${op} at offset ${o}` };
    const rv = payload.readDoubleLE(1);
    const keyLen = payload.readUInt32LE(9);
    if (PAYLOAD_FIXED_BYTES + keyLen > len) return { validBytes: o, problem: `bad key length at offset ${o}` };
    const key = payload.toString('utf8', PAYLOAD_FIXED_BYTES, PAYLOAD_FIXED_BYTES + keyLen);
    onFrame({ op, rv, key, value: payload.subarray(PAYLOAD_FIXED_BYTES + keyLen) });
    o += FRAME_HEADER_BYTES + len;
  }
  return { validBytes: o };
}
