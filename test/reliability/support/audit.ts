// "No missed watch events", checked two ways while the soak churns:
//
// - every transition an informer delivers is checked as it arrives: an add of a key not in the
//   view, an update that starts from the state delivered before and moves to a newer
//   resourceVersion of the same object, a delete of a known object; no state delivered twice;
// - at checkpoints (churn paused), each informer's cache must equal a fresh LIST: the same keys,
//   the same resourceVersions. A difference that outlives the informers' stall timeout (so it is
//   not a watch waiting to be restarted) is a missed event.
//
// The informers are @trellis/kube's, the ones every Trellis controller runs on, connected through
// the campaign's proxy so that watch cuts hit them as they hit the controllers.
import type { Informer, InformerFactory, KubeClient, TypeRef } from '@trellis/kube';
import { newInformerFactory } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';

interface State {
  uid: string;
  rv: string;
}

function newer(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
const stateOf = (o: KubeObject): State => ({ uid: o.metadata.uid ?? '', rv: o.metadata.resourceVersion ?? '' });

/** A TypeAudit follows one kind. */
class TypeAudit {
  readonly view = new Map<string, State>();
  readonly errors: string[] = [];
  transitions = 0;
  readonly name: string;
  readonly informer: Informer<KubeObject>;
  readonly type: TypeRef;
  readonly labelSelector: string | undefined;
  constructor(name: string, type: TypeRef, informer: Informer<KubeObject>, labelSelector: string | undefined) {
    this.name = name;
    this.type = type;
    this.informer = informer;
    this.labelSelector = labelSelector;
    informer.addHandler({
      onAdd: (o) => this.add(o),
      onUpdate: (old, o) => this.update(old, o),
      onDelete: (o) => this.remove(o),
    });
  }
  private err(msg: string): void {
    if (this.errors.length < 100) this.errors.push(`${this.name}: ${msg}`);
  }
  private add(o: KubeObject): void {
    this.transitions++;
    const k = key(o);
    const cur = this.view.get(k);
    if (cur !== undefined) this.err(`add of ${k}@${o.metadata.resourceVersion} while ${cur.rv} is in the view`);
    this.view.set(k, stateOf(o));
  }
  private update(old: KubeObject, o: KubeObject): void {
    this.transitions++;
    const k = key(o);
    const cur = this.view.get(k);
    const from = stateOf(old);
    const to = stateOf(o);
    if (cur === undefined) this.err(`update of ${k} which is not in the view`);
    else if (cur.uid !== from.uid || cur.rv !== from.rv) this.err(`update of ${k} from ${from.rv} but ${cur.rv} was delivered before`);
    if (from.uid !== to.uid) this.err(`update of ${k} changes uid ${from.uid} -> ${to.uid}`);
    else if (!newer(to.rv, from.rv)) this.err(`update of ${k} to ${to.rv}, not newer than ${from.rv}`);
    this.view.set(k, to);
  }
  private remove(o: KubeObject): void {
    this.transitions++;
    const k = key(o);
    const cur = this.view.get(k);
    if (cur === undefined) this.err(`delete of ${k} which is not in the view`);
    else if (cur.uid !== (o.metadata.uid ?? '')) this.err(`delete of ${k} uid ${o.metadata.uid} but ${cur.uid} is in the view`);
    this.view.delete(k);
  }
}

/** A CheckpointResult is the comparison of every audited kind with fresh LISTs. */
export interface CheckpointResult {
  /** Objects compared, by kind. */
  objects: Record<string, number>;
  /** Mismatches that persisted past the deadline: missed events. */
  missed: string[];
  /** Ms until caches and LISTs agreed. */
  agreedMs: number;
}

export interface WatchAuditOptions {
  client: KubeClient;
  types: { name: string; type: TypeRef; labelSelector?: string }[];
  /** StallMs is the informers' stall timeout (how long a silent watch may go unnoticed). */
  stallMs?: number;
}

/** A WatchAudit runs one informer per kind and checks them. */
export class WatchAudit {
  private readonly factory: InformerFactory;
  private readonly audits: TypeAudit[] = [];
  private readonly client: KubeClient;
  private readonly stallMs: number;
  constructor(o: WatchAuditOptions) {
    this.client = o.client;
    this.stallMs = o.stallMs ?? 60_000;
    this.factory = newInformerFactory(o.client, { watchStallTimeoutMs: this.stallMs });
    for (const t of o.types) {
      const inf = this.factory.informerFor<KubeObject>(t.type, t.labelSelector === undefined ? {} : { labelSelector: t.labelSelector });
      this.audits.push(new TypeAudit(t.name, t.type, inf, t.labelSelector));
    }
  }

  /** Start starts every informer (the kinds must be served). */
  async start(): Promise<void> {
    await Promise.all(this.audits.map((a) => a.informer.start()));
  }

  stop(): void {
    this.factory.stopAll();
  }

  /** Errors are the transition errors seen so far. */
  errors(): string[] {
    return this.audits.flatMap((a) => a.errors);
  }

  transitions(): number {
    return this.audits.reduce((n, a) => n + a.transitions, 0);
  }

  /**
   * Checkpoint compares each cache and handler view with fresh LISTs until they agree; what still
   * differs after the stall timeout plus a margin is reported as missed.
   */
  async checkpoint(): Promise<CheckpointResult> {
    const t0 = Date.now();
    const deadline = t0 + this.stallMs + 30_000;
    const objects: Record<string, number> = {};
    for (;;) {
      const diffs: string[] = [];
      for (const a of this.audits) {
        let list: KubeObject[];
        try {
          list = (await this.client.listAll(a.type, a.labelSelector === undefined ? {} : { labelSelector: a.labelSelector })).items;
        } catch (err) {
          diffs.push(`${a.name}: cannot list: ${(err as Error).message}`);
          continue;
        }
        objects[a.name] = list.length;
        const truth = new Map(list.map((o) => [key(o), stateOf(o)]));
        const cache = new Map(a.informer.list().map((o) => [key(o), stateOf(o)]));
        for (const [k, s] of truth) {
          const c = cache.get(k);
          const v = a.view.get(k);
          if (c === undefined) diffs.push(`${a.name} ${k}@${s.rv}: missing from the informer cache`);
          else if (c.rv !== s.rv || c.uid !== s.uid) diffs.push(`${a.name} ${k}: cache has ${c.rv}, server ${s.rv}`);
          if (v === undefined) diffs.push(`${a.name} ${k}@${s.rv}: never delivered to the handler`);
          else if (v.rv !== s.rv || v.uid !== s.uid) diffs.push(`${a.name} ${k}: handler saw ${v.rv} last, server has ${s.rv}`);
        }
        for (const k of cache.keys()) if (!truth.has(k)) diffs.push(`${a.name} ${k}: in the cache but deleted on the server`);
        for (const k of a.view.keys()) if (!truth.has(k)) diffs.push(`${a.name} ${k}: delete never delivered to the handler`);
      }
      if (diffs.length === 0) return { objects, missed: [], agreedMs: Date.now() - t0 };
      if (Date.now() > deadline) return { objects, missed: diffs.slice(0, 50), agreedMs: -1 };
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
