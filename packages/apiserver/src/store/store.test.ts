import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@trellis/sdk';
import { hasCode } from '@trellis/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrame, FrameOp } from './frame.ts';
import type { StoreEvent } from './history.ts';
import { Store } from './store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trellis-store-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: labels === undefined ? { name, namespace: 'ns' } : { name, namespace: 'ns', labels },
  data,
});

const B = '/configmaps';

describe('frames', () => {
  const cases: Record<string, { reason: string; mutate: (b: Buffer) => Buffer; wantFrames: number; problem: RegExp | undefined }> = {
    Intact: { reason: 'whole frames decode in order', mutate: (b) => b, wantFrames: 3, problem: undefined },
    TornTail: {
      reason: 'a write cut short leaves a valid prefix',
      mutate: (b) => b.subarray(0, b.length - 5),
      wantFrames: 2,
      problem: /truncated frame/,
    },
    TornHeader: {
      reason: 'a cut inside the length header is detected',
      mutate: (b) => b.subarray(0, b.length - b.readUInt32LE(0) - 5),
      wantFrames: 2,
      problem: /truncated/,
    },
    BitFlip: {
      reason: 'a flipped byte fails the checksum and stops decoding there',
      mutate: (b) => {
        const c = Buffer.from(b);
        c[c.length - 3] = (c[c.length - 3] as number) ^ 0xff;
        return c;
      },
      wantFrames: 2,
      problem: /checksum mismatch/,
    },
    Garbage: {
      reason: 'a huge length field is rejected, not allocated',
      mutate: (b) => Buffer.concat([b, Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])]),
      wantFrames: 3,
      problem: /bad frame length/,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const buf = Buffer.concat([
        encodeFrame(FrameOp.Put, 1, 'a/b/c/d', '{"x":1}'),
        encodeFrame(FrameOp.Delete, 2, 'a/b/c/d'),
        encodeFrame(FrameOp.Put, 3, 'a/b/c/é', '{"ü":"✓"}'),
      ]);
      const res = decodeFrames(c.mutate(buf));
      expect(res.frames).toHaveLength(c.wantFrames);
      if (c.problem === undefined) expect(res.problem).toBeUndefined();
      else expect(res.problem).toMatch(c.problem);
      expect(res.frames[0]).toEqual({ op: FrameOp.Put, rv: 1, key: 'a/b/c/d', value: '{"x":1}' });
    });
  }
});

describe('Store', () => {
  it('assigns increasing resourceVersions and stamps them into the stored JSON', async () => {
    const s = await Store.open({ dir: tempDir() });
    const a = s.put(B, 'ns', 'a', cm('a'));
    const b = s.put(B, 'ns', 'b', cm('b'));
    expect([a.rv, b.rv]).toEqual([1, 2]);
    expect(JSON.parse(b.json).metadata.resourceVersion).toBe('2');
    await s.durable();
    expect(s.durableRv).toBe(2);
    await s.close();
  });

  it('recovers every acknowledged write after a restart, including deletes', async () => {
    const dir = tempDir();
    const s = await Store.open({ dir });
    for (let i = 0; i < 50; i++) s.put(B, 'ns', `o${i}`, cm(`o${i}`, { i: String(i) }));
    s.remove(B, 'ns', 'o7');
    s.put(B, 'ns', 'o8', cm('o8', { i: 'changed' }));
    await s.durable();
    await s.close();
    const r = await Store.open({ dir });
    expect(r.rv).toBe(52);
    expect(r.count(B)).toBe(49);
    expect(r.get(B, 'ns', 'o7')).toBeUndefined();
    expect(r.get(B, 'ns', 'o8')?.object().data).toEqual({ i: 'changed' });
    expect(r.recovery).toMatchObject({ walFrames: 52, objects: 49, rv: 52 });
    // Resource versions keep increasing after a restart.
    expect(r.put(B, 'ns', 'new', cm('new')).rv).toBe(53);
    await r.close();
  });

  it('cuts a torn write at the end of the log and keeps everything before it', async () => {
    const dir = tempDir();
    const s = await Store.open({ dir });
    s.put(B, 'ns', 'a', cm('a'));
    s.put(B, 'ns', 'b', cm('b'));
    await s.durable();
    await s.close();
    const seg = readdirSync(join(dir)).find((f) => f.startsWith('wal-') && statSync(join(dir, f)).size > 0) as string;
    // Half a frame, as if the process died in the middle of a write.
    appendFileSync(join(dir, seg), encodeFrame(FrameOp.Put, 3, '/configmaps/ns/c', '{"apiVersion":"v1"}').subarray(0, 20));
    const r = await Store.open({ dir });
    expect(r.count(B)).toBe(2);
    expect(r.recovery.truncatedBytes).toBe(20);
    expect(r.put(B, 'ns', 'c', cm('c')).rv).toBe(3);
    await r.durable();
    await r.close();
    const again = await Store.open({ dir });
    expect(again.count(B)).toBe(3);
    await again.close();
  });

  it('refuses to start on a corrupt segment that is not the last one', async () => {
    const dir = tempDir();
    const s = await Store.open({ dir });
    s.put(B, 'ns', 'a', cm('a'));
    await s.durable();
    await s.close();
    const first = readdirSync(dir).find((f) => f.startsWith('wal-') && statSync(join(dir, f)).size > 0) as string;
    const buf = readFileSync(join(dir, first));
    buf[buf.length - 2] = (buf[buf.length - 2] as number) ^ 0x55;
    writeFileSync(join(dir, first), buf);
    // A later segment with data makes the damaged one "not the last".
    writeFileSync(join(dir, 'wal-9999999999999999.log'), encodeFrame(FrameOp.Put, 2, '/configmaps/ns/b', JSON.stringify(cm('b'))));
    await expect(Store.open({ dir })).rejects.toSatisfy((e) => hasCode(e, 'APISERVER_STORAGE_CORRUPT'));
  });

  it('snapshots, compacts the log, and recovers from the snapshot plus the newer log', async () => {
    const dir = tempDir();
    const s = await Store.open({ dir, snapshotBytes: 1 << 30 });
    for (let i = 0; i < 100; i++) s.put(B, 'ns', `o${i}`, cm(`o${i}`, { v: 'x'.repeat(100) }));
    await s.snapshot();
    s.put(B, 'ns', 'after', cm('after'));
    s.remove(B, 'ns', 'o0');
    await s.durable();
    await s.close();
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.startsWith('snap-'))).toEqual(['snap-0000000000000100.snap']);
    expect(files.filter((f) => f.startsWith('wal-'))).toEqual(['wal-0000000000000101.log']);
    const r = await Store.open({ dir });
    expect(r.recovery).toMatchObject({ snapshotRv: 100, snapshotObjects: 100, walFrames: 2, objects: 100, rv: 102 });
    expect(r.get(B, 'ns', 'o0')).toBeUndefined();
    expect(r.get(B, 'ns', 'after')).toBeDefined();
    await r.close();
  });

  it('takes snapshots by itself when the log passes the size limit', async () => {
    const dir = tempDir();
    const s = await Store.open({ dir, snapshotBytes: 20_000 });
    for (let i = 0; i < 200; i++) s.put(B, 'ns', `o${i % 10}`, cm(`o${i % 10}`, { v: 'y'.repeat(200), i: String(i) }));
    await s.durable();
    await s.close();
    expect(readdirSync(dir).some((f) => f.startsWith('snap-'))).toBe(true);
    const r = await Store.open({ dir });
    expect(r.count(B)).toBe(10);
    expect(r.rv).toBe(200);
    expect(r.get(B, 'ns', 'o9')?.object().data).toMatchObject({ i: '199' });
    await r.close();
  });

  it('lists in key order and rolls history back for an exact resourceVersion', async () => {
    const s = await Store.open({ dir: tempDir(), fsync: false });
    s.put(B, 'ns', 'b', cm('b'));
    s.put(B, 'ns', 'a', cm('a'));
    const rv = s.rv;
    s.put(B, 'ns', 'a', cm('a', { changed: 'yes' }));
    s.remove(B, 'ns', 'b');
    s.put(B, 'ns', 'c', cm('c'));
    expect(s.list(B).map((o) => o.name)).toEqual(['a', 'c']);
    const then = s.listAt(B, 'ns', rv);
    expect(then?.map((o) => [o.name, o.rv])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    await s.close();
  });

  it('delivers committed events in order and resumes from retained history; older is expired', async () => {
    const s = await Store.open({ dir: tempDir(), historySize: 5 });
    const seen: StoreEvent[] = [];
    s.subscribe(B, (ev) => seen.push(ev));
    for (let i = 0; i < 8; i++) s.put(B, 'ns', 'x', cm('x', { i: String(i) }));
    s.remove(B, 'ns', 'x');
    await s.durable();
    expect(seen.map((e) => [e.type, e.rv])).toEqual([['ADDED', 1], ...[2, 3, 4, 5, 6, 7, 8].map((rv) => ['MODIFIED', rv]), ['DELETED', 9]]);
    expect(JSON.parse((seen[8] as StoreEvent).object.json).metadata.resourceVersion).toBe('9');
    const resumed = s.eventsSince(B, 6);
    expect(resumed === 'expired' ? resumed : resumed.map((e) => e.rv)).toEqual([7, 8, 9]);
    expect(s.eventsSince(B, 3)).toBe('expired');
    await s.close();
  });

  it('makes reads of a write wait for it to be durable', async () => {
    const s = await Store.open({ dir: tempDir() });
    const o = s.put(B, 'ns', 'a', cm('a'));
    expect(s.durableRv).toBeLessThan(o.rv);
    await s.durable(o.rv);
    expect(s.durableRv).toBeGreaterThanOrEqual(o.rv);
    await s.close();
  });

  it('writes concurrent puts in few batches (group commit)', async () => {
    const dir = tempDir();
    const s = await Store.open({ dir });
    for (let i = 0; i < 1000; i++) s.put(B, 'ns', `o${i}`, cm(`o${i}`));
    await s.durable();
    // Puts made in one turn of the event loop share one writev and one fdatasync.
    expect(s.walStats).toEqual({ syncs: 1, frames: 1000 });
    s.put(B, 'ns', 'late', cm('late'));
    await s.durable();
    expect(s.walStats).toEqual({ syncs: 2, frames: 1001 });
    await s.close();
    const r = await Store.open({ dir });
    expect(r.count(B)).toBe(1001);
    await r.close();
  });
});
