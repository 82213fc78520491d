import type { KubeObject } from '@trellis/sdk';
import { badRequest } from '../api/errors.ts';

/**
 * Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) for the
 * built-in kinds typed clients write (Helm's release Secrets, `--create-namespace`, leases) and
 * DeleteOptions. Only decoding: responses are always JSON, which every such client also accepts.
 * Field numbers are those of k8s.io/api's generated.proto files.
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = { n: number; wire: number; v: bigint | Buffer };

class Reader {
  private o = 0;
  private readonly b: Buffer;
  constructor(b: Buffer) {
    this.b = b;
  }
  done(): boolean {
    return this.o >= this.b.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.o >= this.b.length) throw new Error('truncated varint');
      const byte = this.b[this.o++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new Error('varint too long');
  }
  field(): Field {
    const key = Number(this.varint());
    const n = key >>> 3;
    const wire = key & 7;
    switch (wire) {
      case 0:
        return { n, wire, v: this.varint() };
      case 1:
        return { n, wire, v: this.take(8) };
      case 2: {
        const len = Number(this.varint());
        return { n, wire, v: this.take(len) };
      }
      case 5:
        return { n, wire, v: this.take(4) };
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
  private take(len: number): Buffer {
    if (len < 0 || this.o + len > this.b.length) throw new Error('truncated field');
    const out = this.b.subarray(this.o, this.o + len);
    this.o += len;
    return out;
  }
}

function fields(b: Buffer): Field[] {
  const r = new Reader(b);
  const out: Field[] = [];
  while (!r.done()) out.push(r.field());
  return out;
}

const bytes = (f: Field): Buffer => (Buffer.isBuffer(f.v) ? f.v : Buffer.alloc(0));
const text = (f: Field): string => bytes(f).toString('utf8');
const num = (f: Field): number => (typeof f.v === 'bigint' ? Number(BigInt.asIntN(64, f.v)) : 0);
const flag = (f: Field): boolean => typeof f.v === 'bigint' && f.v !== 0n;

function mapEntry(b: Buffer): { key: string; value: Buffer } {
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  for (const f of fields(b)) {
    if (f.n === 1) key = text(f);
    else if (f.n === 2) value = bytes(f);
  }
  return { key, value };
}

function time(b: Buffer): string | undefined {
  let seconds = 0;
  for (const f of fields(b)) if (f.n === 1) seconds = num(f);
  if (seconds === 0) return undefined;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function microTime(b: Buffer): string | undefined {
  let seconds = 0;
  let nanos = 0;
  for (const f of fields(b)) {
    if (f.n === 1) seconds = num(f);
    else if (f.n === 2) nanos = num(f);
  }
  if (seconds === 0 && nanos === 0) return undefined;
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

function ownerReference(b: Buffer): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields(b)) {
    if (f.n === 5) o.apiVersion = text(f);
    else if (f.n === 1) o.kind = text(f);
    else if (f.n === 3) o.name = text(f);
    else if (f.n === 4) o.uid = text(f);
    else if (f.n === 6) o.controller = flag(f);
    else if (f.n === 7) o.blockOwnerDeletion = flag(f);
  }
  return o;
}

function managedFieldsEntry(b: Buffer): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields(b)) {
    if (f.n === 1) o.manager = text(f);
    else if (f.n === 2) o.operation = text(f);
    else if (f.n === 3) o.apiVersion = text(f);
    else if (f.n === 4) o.time = time(bytes(f));
    else if (f.n === 6) o.fieldsType = text(f);
    else if (f.n === 7) {
      for (const g of fields(bytes(f))) if (g.n === 1) o.fieldsV1 = JSON.parse(text(g)) as unknown;
    } else if (f.n === 8) o.subresource = text(f);
  }
  return o;
}

function objectMeta(b: Buffer): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const owners: unknown[] = [];
  const finalizers: string[] = [];
  const managed: unknown[] = [];
  let hasLabels = false;
  let hasAnnotations = false;
  for (const f of fields(b)) {
    switch (f.n) {
      case 1:
        if (text(f) !== '') m.name = text(f);
        break;
      case 2:
        if (text(f) !== '') m.generateName = text(f);
        break;
      case 3:
        if (text(f) !== '') m.namespace = text(f);
        break;
      case 5:
        if (text(f) !== '') m.uid = text(f);
        break;
      case 6:
        if (text(f) !== '') m.resourceVersion = text(f);
        break;
      case 7:
        if (num(f) !== 0) m.generation = num(f);
        break;
      case 8: {
        const t = time(bytes(f));
        if (t !== undefined) m.creationTimestamp = t;
        break;
      }
      case 9: {
        const t = time(bytes(f));
        if (t !== undefined) m.deletionTimestamp = t;
        break;
      }
      case 10:
        m.deletionGracePeriodSeconds = num(f);
        break;
      case 11: {
        const e = mapEntry(bytes(f));
        labels[e.key] = e.value.toString('utf8');
        hasLabels = true;
        break;
      }
      case 12: {
        const e = mapEntry(bytes(f));
        annotations[e.key] = e.value.toString('utf8');
        hasAnnotations = true;
        break;
      }
      case 13:
        owners.push(ownerReference(bytes(f)));
        break;
      case 14:
        finalizers.push(text(f));
        break;
      case 17:
        managed.push(managedFieldsEntry(bytes(f)));
        break;
      default:
        break;
    }
  }
  if (hasLabels) m.labels = labels;
  if (hasAnnotations) m.annotations = annotations;
  if (owners.length > 0) m.ownerReferences = owners;
  if (finalizers.length > 0) m.finalizers = finalizers;
  if (managed.length > 0) m.managedFields = managed;
  return m;
}

function objectReference(b: Buffer): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const names = ['', 'kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];
  for (const f of fields(b)) {
    const k = names[f.n];
    if (k !== undefined && k !== '' && text(f) !== '') o[k] = text(f);
  }
  return o;
}

type KindDecoder = (raw: Buffer) => Record<string, unknown>;

const decoders: Record<string, KindDecoder> = {
  'v1/Secret': (raw) => {
    const o: Record<string, unknown> = {};
    const data: Record<string, string> = {};
    const stringData: Record<string, string> = {};
    let hasData = false;
    let hasStringData = false;
    for (const f of fields(raw)) {
      if (f.n === 1) o.metadata = objectMeta(bytes(f));
      else if (f.n === 2) {
        const e = mapEntry(bytes(f));
        data[e.key] = e.value.toString('base64');
        hasData = true;
      } else if (f.n === 3) {
        if (text(f) !== '') o.type = text(f);
      } else if (f.n === 4) {
        const e = mapEntry(bytes(f));
        stringData[e.key] = e.value.toString('utf8');
        hasStringData = true;
      } else if (f.n === 5) o.immutable = flag(f);
    }
    if (hasData) o.data = data;
    if (hasStringData) o.stringData = stringData;
    return o;
  },
  'v1/ConfigMap': (raw) => {
    const o: Record<string, unknown> = {};
    const data: Record<string, string> = {};
    const binaryData: Record<string, string> = {};
    let hasData = false;
    let hasBinary = false;
    for (const f of fields(raw)) {
      if (f.n === 1) o.metadata = objectMeta(bytes(f));
      else if (f.n === 2) {
        const e = mapEntry(bytes(f));
        data[e.key] = e.value.toString('utf8');
        hasData = true;
      } else if (f.n === 3) {
        const e = mapEntry(bytes(f));
        binaryData[e.key] = e.value.toString('base64');
        hasBinary = true;
      } else if (f.n === 4) o.immutable = flag(f);
    }
    if (hasData) o.data = data;
    if (hasBinary) o.binaryData = binaryData;
    return o;
  },
  'v1/Namespace': (raw) => {
    const o: Record<string, unknown> = {};
    for (const f of fields(raw)) {
      if (f.n === 1) o.metadata = objectMeta(bytes(f));
      else if (f.n === 2) {
        const finalizers = fields(bytes(f))
          .filter((g) => g.n === 1)
          .map(text);
        if (finalizers.length > 0) o.spec = { finalizers };
      }
    }
    return o;
  },
  'v1/ServiceAccount': (raw) => {
    const o: Record<string, unknown> = {};
    const secrets: unknown[] = [];
    const pullSecrets: unknown[] = [];
    for (const f of fields(raw)) {
      if (f.n === 1) o.metadata = objectMeta(bytes(f));
      else if (f.n === 2) secrets.push(objectReference(bytes(f)));
      else if (f.n === 3) pullSecrets.push(objectReference(bytes(f)));
      else if (f.n === 4) o.automountServiceAccountToken = flag(f);
    }
    if (secrets.length > 0) o.secrets = secrets;
    if (pullSecrets.length > 0) o.imagePullSecrets = pullSecrets;
    return o;
  },
  'coordination.k8s.io/v1/Lease': (raw) => {
    const o: Record<string, unknown> = {};
    for (const f of fields(raw)) {
      if (f.n === 1) o.metadata = objectMeta(bytes(f));
      else if (f.n === 2) {
        const spec: Record<string, unknown> = {};
        for (const g of fields(bytes(f))) {
          if (g.n === 1) spec.holderIdentity = text(g);
          else if (g.n === 2) spec.leaseDurationSeconds = num(g);
          else if (g.n === 3) spec.acquireTime = microTime(bytes(g));
          else if (g.n === 4) spec.renewTime = microTime(bytes(g));
          else if (g.n === 5) spec.leaseTransitions = num(g);
          else if (g.n === 6) spec.strategy = text(g);
          else if (g.n === 7) spec.preferredHolder = text(g);
        }
        o.spec = spec;
      }
    }
    return o;
  },
  'v1/DeleteOptions': (raw) => {
    const o: Record<string, unknown> = {};
    const dryRun: string[] = [];
    for (const f of fields(raw)) {
      if (f.n === 1) o.gracePeriodSeconds = num(f);
      else if (f.n === 2) {
        const pre: Record<string, unknown> = {};
        for (const g of fields(bytes(f))) {
          if (g.n === 1) pre.uid = text(g);
          else if (g.n === 2) pre.resourceVersion = text(g);
        }
        o.preconditions = pre;
      } else if (f.n === 3) o.orphanDependents = flag(f);
      else if (f.n === 4) {
        if (text(f) !== '') o.propagationPolicy = text(f);
      } else if (f.n === 5) dryRun.push(text(f));
    }
    if (dryRun.length > 0) o.dryRun = dryRun;
    return o;
  },
};

/** DecodeProtobuf turns a Kubernetes protobuf body into the JSON form of the object. */
export function decodeProtobuf(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw badRequest('the body of the request was in an unknown format: protobuf envelope missing its "k8s\\0" prefix');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  try {
    for (const f of fields(body.subarray(4))) {
      if (f.n === 1) {
        for (const g of fields(bytes(f))) {
          if (g.n === 1) apiVersion = text(g);
          else if (g.n === 2) kind = text(g);
        }
      } else if (f.n === 2) raw = bytes(f);
    }
    const decoder = decoders[`${apiVersion}/${kind}`];
    if (decoder === undefined)
      throw badRequest(`protobuf bodies are not supported for ${apiVersion === '' ? '' : `${apiVersion}, `}Kind=${kind}; send JSON`);
    const obj = decoder(raw);
    if (kind === 'DeleteOptions') return { apiVersion, kind, metadata: {}, ...obj } as KubeObject;
    return { apiVersion, kind, metadata: {}, ...obj } as KubeObject;
  } catch (err) {
    if (err instanceof Error && err.name === 'ApiError') throw err;
    throw badRequest(`the body of the request could not be decoded as protobuf: ${err instanceof Error ? err.message : String(err)}`);
  }
}
