// Every crash or loss the fuzz suites found, as a regular test (the fuzz suite that found it is
// named in each case). Crashes that kill the process run in a process of their own (cases.ts).
import { gzipSync } from 'node:zlib';
import { parseGoYamlDocuments } from '@trellis/engine';
import { TrellisError } from '@trellis/sdk';
import { fetchPackage, MediaType, OciError, RegistryClient, readXpkgFile, sha256, writeTar } from '@trellis/xpkg';
import { describe, expect, it } from 'vitest';
import { parseObjects } from '../../packages/cli/src/input/load.ts';
import { type CaseRun, runCase } from './run-case.ts';
import { useStubRegistry } from './stub-registry.ts';

describe('fuzz regressions: YAML (found by test/fuzz/yaml.test.ts)', () => {
  // One process parses with every parser in turn (Node start-up dominates this test).
  let deep: Promise<CaseRun> | undefined;
  it.each(['package', 'lockfile', 'goyaml', 'cli'])(
    '%s: a stream nested 2,000 levels deep fails cleanly three times in a row (the package and lockfile parsers crashed the process with a V8 out-of-memory)',
    async (parser) => {
      deep ??= runCase('all-deep');
      const r = await deep;
      const lines = r.lines.filter((l) => l.parser === parser);
      expect(lines, `the parser process died before or in ${parser} (${r.code ?? r.signal}):\n${r.stderr}`).toHaveLength(3);
      for (const l of lines) expect(l, JSON.stringify(l)).toMatchObject({ ok: false, clean: true });
      expect({ code: r.code, signal: r.signal }, `the parser process died:\n${r.stderr}`).toEqual({ code: 0, signal: null });
    },
  );

  it('keeps a `__proto__` key as data, and the object keeps its prototype (the key was dropped and became the prototype)', () => {
    const [doc] = parseGoYamlDocuments('__proto__: {polluted: yes}\nb: 1', 'input') as [Record<string, unknown>];
    expect(Object.keys(doc)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(doc.polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(doc))).toEqual(JSON.parse('{"__proto__": {"polluted": true}, "b": 1}'));
    const [obj] = parseObjects('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  __proto__: hello\n', 'cm.yaml', {
      what: 'resources',
      requireKind: true,
    });
    expect(JSON.stringify(obj?.object)).toContain('"__proto__":"hello"');
  });
});

describe('fuzz regressions: xpkg (found by test/fuzz/xpkg-tar.test.ts)', () => {
  it('refuses a gzipped .xpkg with a corrupt stream as XPKG_INVALID_FILE (zlib\'s "incorrect data check" escaped as a plain Error)', () => {
    const gz = gzipSync(writeTar([{ name: 'manifest.json', data: Buffer.from('[]') }]));
    // The gzip trailer holds the CRC-32 of the data: flip one bit of it.
    gz[gz.length - 8] = (gz[gz.length - 8] as number) ^ 1;
    let err: unknown;
    try {
      readXpkgFile(gz, 'broken.xpkg');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrellisError);
    expect(err).toMatchObject({ code: 'XPKG_INVALID_FILE', message: 'broken.xpkg: not a valid gzip stream' });
  });
});

describe('fuzz regressions: OCI (found by test/fuzz/oci.test.ts)', () => {
  const reg = useStubRegistry();
  const client = new RegistryClient({ retry: { attempts: 1, baseDelayMs: 1 } });
  const config = Buffer.from('{}');
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
  const fetchOutcome = async (): Promise<unknown> => {
    try {
      await fetchPackage(client, `${reg.host()}/fuzz/pkg:v1`);
      return undefined;
    } catch (err) {
      return err;
    }
  };

  it('refuses an index with a null entry as OCI_BAD_RESPONSE (pullImage threw "Cannot read properties of null")', async () => {
    reg.clear();
    reg.put('v1', { bytes: json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [null] }), contentType: MediaType.OciIndex });
    const err = await fetchOutcome();
    expect(err).toBeInstanceOf(OciError);
    expect(err).toMatchObject({ code: 'OCI_BAD_RESPONSE', message: expect.stringContaining('manifests[0]: want a descriptor object') });
  });

  it('refuses a manifest whose layers are not a list as OCI_BAD_RESPONSE (extraction threw "manifest.layers.filter is not a function")', async () => {
    reg.clear();
    reg.state.blobs.set(sha256(config), config);
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
      layers: { not: 'a list' },
    };
    reg.put('v1', { bytes: json(manifest), contentType: MediaType.OciManifest });
    const err = await fetchOutcome();
    expect(err).toBeInstanceOf(OciError);
    expect(err).toMatchObject({ code: 'OCI_BAD_RESPONSE', message: expect.stringContaining('layers: want a list of descriptors') });
  });

  it('refuses a descriptor whose digest could walk the URL path (../) before any request is made for it', async () => {
    reg.clear();
    const manifest = {
      schemaVersion: 2,
      config: { mediaType: MediaType.OciConfig, digest: '../../../v2/other/manifests/x', size: 2 },
      layers: [],
    };
    reg.put('v1', { bytes: json(manifest), contentType: MediaType.OciManifest });
    const err = await fetchOutcome();
    expect(err).toMatchObject({ code: 'OCI_BAD_RESPONSE', message: expect.stringContaining('config.digest: want a digest') });
  });
});
