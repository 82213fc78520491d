// Fuzzing the OCI manifest and index parsers on the path a package takes from a registry:
// `fetchPackage` resolves a tag, reads the manifest or index (choosing the platform), then the
// layers, and extracts package.yaml. A registry is untrusted input, so every answer must end in a
// package or an OciError/TrellisError with a code and a one-line message, never a TypeError.
//
// The registry here is a small HTTP server of ours that answers with generated documents, each with
// its correct digest (so the client gets past digest checks and into the parsers): a real registry
// validates manifests on push and could not serve the hostile shapes this needs.
import { gzipSync } from 'node:zlib';
import { fetchPackage, MediaType, RegistryClient, sha256, writeTar, XpkgAnnotation } from '@trellis/xpkg';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Doc, useStubRegistry } from './stub-registry.ts';
import { expectCleanFailure, fuzzParams } from './support.ts';

const reg = useStubRegistry();
const state = reg.state;

// A real, valid package layer and config, which hostile documents may reference.
const packageYaml = 'apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: fuzz\nspec: {}\n';
const goodLayer = gzipSync(writeTar([{ name: 'package.yaml', data: Buffer.from(packageYaml) }]));
const goodConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));

/** A blob choice: the good layer, the good config, random bytes, or a digest nothing serves. */
const blobArb = fc.oneof(
  fc.constant<{ data: Buffer | undefined }>({ data: goodLayer }),
  fc.constant<{ data: Buffer | undefined }>({ data: goodConfig }),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ data: Buffer.from(b) as Buffer | undefined })),
  fc.constant<{ data: Buffer | undefined }>({ data: undefined }),
);

const hostile = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.array(fc.constant(null), { maxLength: 2 }),
  fc.constant({}),
);

/** DescriptorArb makes a descriptor (registering its blob), or something that is not one. */
const descriptorArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ blob: blobArb, rightSize: fc.boolean(), badDigest: fc.boolean(), extra: fc.option(hostile) }) },
  { weight: 1, arbitrary: hostile.map((h) => ({ hostile: h })) },
);

type DescriptorPick = typeof descriptorArb extends fc.Arbitrary<infer T> ? T : never;

function descriptor(choice: DescriptorPick, annotate: boolean): unknown {
  if ('hostile' in choice) return choice.hostile;
  const { blob, rightSize, badDigest, extra } = choice;
  const data = blob.data ?? Buffer.from('missing');
  const digest = badDigest ? 'sha256:not-hex' : blob.data === undefined ? `sha256:${'0'.repeat(64)}` : sha256(data);
  if (blob.data !== undefined && !badDigest) state.blobs.set(digest, data);
  const d: Record<string, unknown> = {
    mediaType: data === goodConfig ? 'application/vnd.oci.image.config.v1+json' : MediaType.OciLayer,
    digest,
    size: rightSize ? data.length : extra === null ? -1 : 1e15,
  };
  if (annotate) d.annotations = { [XpkgAnnotation.Key]: XpkgAnnotation.Base };
  if (extra !== null && extra !== undefined) d.annotations = extra;
  return d;
}

const manifestArb = fc.record({
  schemaVersion: fc.oneof(fc.constant(2), hostile),
  mediaType: fc.constantFrom(MediaType.OciManifest, MediaType.DockerManifest, undefined, 'text/plain'),
  config: descriptorArb,
  layers: fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.tuple(descriptorArb, fc.boolean()), { maxLength: 3 }) },
    { weight: 1, arbitrary: hostile },
  ),
});

type ManifestChoice = typeof manifestArb extends fc.Arbitrary<infer T> ? T : never;

function manifestDoc(m: ManifestChoice): Doc {
  const body: Record<string, unknown> = {
    schemaVersion: m.schemaVersion,
    config: descriptor(m.config, false),
    layers: Array.isArray(m.layers)
      ? m.layers.map((l: unknown) => (Array.isArray(l) && l.length === 2 ? descriptor(l[0] as DescriptorPick, l[1] as boolean) : l))
      : m.layers,
  };
  if (m.mediaType !== undefined) body.mediaType = m.mediaType;
  const bytes = Buffer.from(JSON.stringify(body));
  return { bytes, contentType: m.mediaType ?? MediaType.OciManifest };
}

const platformArb = fc.oneof(
  fc.constant({ os: 'linux', architecture: 'amd64' } as unknown),
  fc.constant({ os: 'linux', architecture: 'arm64' } as unknown),
  fc.constant(undefined as unknown),
  hostile,
);

/** A valid package (as a plain manifest or behind an index), so the property also sees successes. */
const validArb = fc.boolean().map((indexed) => ({ kind: 'valid' as const, indexed }));

const topArb = fc.oneof(
  { weight: 2, arbitrary: validArb },
  { weight: 3, arbitrary: manifestArb.map((m) => ({ kind: 'manifest' as const, m })) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        mediaType: fc.constantFrom(MediaType.OciIndex, MediaType.DockerManifestList, undefined),
        manifests: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.array(
              fc.oneof(
                fc.record({ child: manifestArb, platform: platformArb, register: fc.boolean() }),
                hostile.map((h) => ({ hostile: h })),
              ),
              { maxLength: 3 },
            ),
          },
          { weight: 1, arbitrary: hostile },
        ),
      })
      .map((i) => ({ kind: 'index' as const, i })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((j) => ({ kind: 'json' as const, j })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ kind: 'bytes' as const, b })) },
);

type TopChoice = typeof topArb extends fc.Arbitrary<infer T> ? T : never;

function serve(top: TopChoice): void {
  state.tags.clear();
  state.manifests.clear();
  state.blobs.clear();
  let doc: Doc;
  switch (top.kind) {
    case 'valid': {
      const good: ManifestChoice = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { blob: { data: goodConfig }, rightSize: true, badDigest: false, extra: null },
        layers: [[{ blob: { data: goodLayer }, rightSize: true, badDigest: false, extra: null }, true]],
      };
      const m = manifestDoc(good);
      if (!top.indexed) {
        doc = m;
        break;
      }
      state.manifests.set(sha256(m.bytes), m);
      const index = {
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          {
            mediaType: MediaType.OciManifest,
            digest: sha256(m.bytes),
            size: m.bytes.length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      };
      doc = { bytes: Buffer.from(JSON.stringify(index)), contentType: MediaType.OciIndex };
      break;
    }
    case 'manifest':
      doc = manifestDoc(top.m);
      break;
    case 'index': {
      const manifests = Array.isArray(top.i.manifests)
        ? top.i.manifests.map((entry) => {
            if (typeof entry !== 'object' || entry === null || !('child' in entry))
              return entry !== null && typeof entry === 'object' && 'hostile' in entry ? entry.hostile : entry;
            const { child: m, platform, register } = entry as { child: ManifestChoice; platform: unknown; register: boolean };
            const child = manifestDoc(m);
            const digest = sha256(child.bytes);
            if (register) state.manifests.set(digest, child);
            const d: Record<string, unknown> = { mediaType: child.contentType, digest, size: child.bytes.length };
            if (platform !== undefined) d.platform = platform;
            return d;
          })
        : top.i.manifests;
      const body: Record<string, unknown> = { schemaVersion: 2, manifests };
      if (top.i.mediaType !== undefined) body.mediaType = top.i.mediaType;
      doc = { bytes: Buffer.from(JSON.stringify(body)), contentType: top.i.mediaType ?? MediaType.OciIndex };
      break;
    }
    case 'json':
      doc = { bytes: Buffer.from(JSON.stringify(top.j) ?? 'null'), contentType: MediaType.OciManifest };
      break;
    default:
      doc = { bytes: Buffer.from(top.b), contentType: MediaType.OciManifest };
  }
  state.tags.set('v1', doc);
  state.manifests.set(sha256(doc.bytes), doc);
}

describe('fuzz: OCI manifests and indexes from an untrusted registry', () => {
  it('fetchPackage returns a package or fails cleanly, whatever the registry serves', async () => {
    const client = new RegistryClient({ retry: { attempts: 1, baseDelayMs: 1 }, timeoutMs: 10_000, maxManifestBytes: 1 << 20 });
    let fetched = 0;
    await fc.assert(
      fc.asyncProperty(topArb, async (top) => {
        serve(top);
        try {
          const p = await fetchPackage(client, `${reg.host()}/fuzz/pkg:v1`);
          expect(p.packageYaml).toBe(packageYaml);
          fetched++;
        } catch (err) {
          expectCleanFailure(err, 'fetchPackage');
        }
      }),
      fuzzParams(0x0c1001, 600),
    );
    // The generator must also produce valid packages, or the property says little.
    expect(fetched).toBeGreaterThan(0);
  });
});
