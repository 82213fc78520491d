import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.ts';
import { decodeProtobuf } from './protobuf.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`./testdata/${name}`, import.meta.url));

/** Encode builds protobuf bytes from [field, wire, value] triples (varint or length-delimited). */
function encode(fields: Array<[number, 'v' | 'b', number | Buffer | string]>): Buffer {
  const out: number[] = [];
  const varint = (n: number): void => {
    let v = n;
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  for (const [n, w, v] of fields) {
    varint((n << 3) | (w === 'v' ? 0 : 2));
    if (w === 'v') varint(v as number);
    else {
      const b = typeof v === 'string' ? Buffer.from(v) : (v as Buffer);
      varint(b.length);
      out.push(...b);
    }
  }
  return Buffer.from(out);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([0x6b, 0x38, 0x73, 0x00]),
    encode([
      [
        1,
        'b',
        encode([
          [1, 'b', apiVersion],
          [2, 'b', kind],
        ]),
      ],
      [2, 'b', raw],
    ]),
  ]);
}

describe('decodeProtobuf', () => {
  it("decodes Helm 4's release Secret: empty system fields are dropped, data is base64", () => {
    const o = decodeProtobuf(fixture('helm4-create-release-secret.pb'));
    expect(o.apiVersion).toBe('v1');
    expect(o.kind).toBe('Secret');
    expect(o.type).toBe('helm.sh/release.v1');
    expect(o.metadata).toEqual({
      name: 'sh.helm.release.v1.p1.v1',
      labels: { createdAt: '1795241014', name: 'p1', owner: 'helm', status: 'pending-install', version: '1' },
    });
    expect(Buffer.from((o.data as Record<string, string>).release as string, 'base64').toString('utf8').length).toBeGreaterThan(100);
  });

  it('decodes an update of the release Secret the same way', () => {
    const o = decodeProtobuf(fixture('helm4-update-release-secret.pb'));
    expect(o.metadata.name).toBe('sh.helm.release.v1.p1.v2');
    expect(o.metadata.labels?.status).toBe('deployed');
  });

  it("decodes Helm's empty DeleteOptions", () => {
    expect(decodeProtobuf(fixture('helm4-delete-options.pb'))).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', metadata: {} });
  });

  const cases: Record<string, { reason: string; body: Buffer; want: Record<string, unknown> }> = {
    ConfigMap: {
      reason: 'string data, binary data (base64) and immutable',
      body: envelope(
        'v1',
        'ConfigMap',
        encode([
          [
            1,
            'b',
            encode([
              [1, 'b', 'cm'],
              [3, 'b', 'ns'],
            ]),
          ],
          [
            2,
            'b',
            encode([
              [1, 'b', 'k'],
              [2, 'b', 'v'],
            ]),
          ],
          [
            3,
            'b',
            encode([
              [1, 'b', 'bin'],
              [2, 'b', Buffer.from([0, 1, 2])],
            ]),
          ],
          [4, 'v', 1],
        ]),
      ),
      want: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace: 'ns' },
        data: { k: 'v' },
        binaryData: { bin: 'AAEC' },
        immutable: true,
      },
    },
    Namespace: {
      reason: "helm --create-namespace's Namespace with labels",
      body: envelope(
        'v1',
        'Namespace',
        encode([
          [
            1,
            'b',
            encode([
              [1, 'b', 'team'],
              [
                11,
                'b',
                encode([
                  [1, 'b', 'a'],
                  [2, 'b', 'b'],
                ]),
              ],
            ]),
          ],
        ]),
      ),
      want: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { a: 'b' } } },
    },
    DeleteOptionsWithPolicy: {
      reason: 'propagation policy, preconditions and dryRun',
      body: envelope(
        'v1',
        'DeleteOptions',
        encode([
          [
            2,
            'b',
            encode([
              [1, 'b', 'uid-1'],
              [2, 'b', '7'],
            ]),
          ],
          [4, 'b', 'Foreground'],
          [5, 'b', 'All'],
        ]),
      ),
      want: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        metadata: {},
        preconditions: { uid: 'uid-1', resourceVersion: '7' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      },
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => expect(decodeProtobuf(c.body)).toEqual(c.want));
  }

  const bad: Record<string, { reason: string; body: Buffer; message: RegExp }> = {
    NoMagic: {
      reason: 'JSON sent with the protobuf content type',
      body: Buffer.from('{"kind":"Secret"}'),
      message: /missing its "k8s\\0" prefix/,
    },
    Truncated: {
      reason: 'a length running past the end',
      body: Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f]), Buffer.from('v1')]),
      message: /could not be decoded as protobuf: truncated field/,
    },
    UnknownKind: {
      reason: 'a kind without a decoder says so',
      body: envelope('apps/v1', 'Deployment', Buffer.alloc(0)),
      message: /not supported for apps\/v1, Kind=Deployment/,
    },
    HugeVarint: {
      reason: 'an endless varint',
      body: Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x08]), Buffer.alloc(12, 0xff)]),
      message: /varint too long|truncated varint/,
    },
  };
  for (const [name, c] of Object.entries(bad)) {
    it(`${name}: ${c.reason} → 400`, () => {
      try {
        decodeProtobuf(c.body);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).status).toMatchObject({ code: 400, reason: 'BadRequest' });
        expect((err as ApiError).message).toMatch(c.message);
      }
    });
  }
});
