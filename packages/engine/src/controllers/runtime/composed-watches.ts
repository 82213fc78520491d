import type { Informer, InformerFactory, TypeRef } from '@trellis/kube';
import { type KubeObject, type Logger, nopLogger, parseApiVersion, wrap } from '@trellis/sdk';
import type { ComposedReader } from '../composite/observe.ts';

/** The label every composed resource carries; composed informers select on it to cache less. */
export const ComposedSelector = 'crossplane.io/composite';

/** A Route delivers events of composed resources to the controller of their XR kind. */
export interface Route {
  /** Namespaced is true for namespaced XRs (composed resources live in the XR's namespace). */
  namespaced: boolean;
  enqueue(key: string, source: string): void;
}

/**
 * ComposedWatches shares one informer per composed kind among all XR controllers (only objects
 * labelled `crossplane.io/composite` are cached) and routes each change to the XR that controls
 * the object, through its controller reference. A composed resource becoming ready therefore
 * requeues its XR at once, with no polling.
 */
export class ComposedWatches implements ComposedReader {
  private readonly informers: InformerFactory;
  private readonly log: Logger;
  private readonly started = new Map<string, Promise<Informer>>();
  private readonly ready = new Map<string, Informer>();
  private readonly routes = new Map<string, Route>();

  constructor(informers: InformerFactory, log: Logger = nopLogger) {
    this.informers = informers;
    this.log = log;
  }

  /** Route registers the controller of an XR kind (`group/Kind`); returns the unregister function. */
  route(xr: TypeRef, route: Route): () => void {
    const k = gk(xr.apiVersion, xr.kind);
    this.routes.set(k, route);
    return () => {
      if (this.routes.get(k) === route) this.routes.delete(k);
    };
  }

  async ensure(type: TypeRef): Promise<void> {
    const k = `${type.apiVersion}|${type.kind}`;
    if (this.ready.has(k)) return;
    let p = this.started.get(k);
    if (p === undefined) {
      p = this.startInformer(type);
      this.started.set(k, p);
      p.then(
        (inf) => this.ready.set(k, inf),
        () => this.started.delete(k),
      );
    }
    await p;
  }

  get(type: TypeRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const inf = this.ready.get(`${type.apiVersion}|${type.kind}`);
    return inf?.get(namespace === undefined || namespace === '' ? name : `${namespace}/${name}`);
  }

  /** Kinds lists the composed kinds being watched. */
  kinds(): string[] {
    return [...this.ready.keys()].sort();
  }

  private async startInformer(type: TypeRef): Promise<Informer> {
    const inf = this.informers.informerFor(type, { labelSelector: ComposedSelector });
    const deliver = (obj: KubeObject): void => this.deliver(obj);
    inf.addHandler({ onAdd: deliver, onUpdate: (_o, n) => deliver(n), onDelete: deliver });
    try {
      await inf.start();
    } catch (err) {
      throw wrap(err, `cannot watch composed resources of kind ${type.kind}.${type.apiVersion}`);
    }
    this.log.debug('Watching composed resources', { kind: type.kind, apiVersion: type.apiVersion });
    return inf;
  }

  private deliver(obj: KubeObject): void {
    for (const o of obj.metadata.ownerReferences ?? []) {
      if (o.controller !== true) continue;
      const route = this.routes.get(gk(o.apiVersion, o.kind));
      if (route === undefined) continue;
      const ns = obj.metadata.namespace;
      const key = route.namespaced && ns !== undefined && ns !== '' ? `${ns}/${o.name}` : o.name;
      route.enqueue(key, `${obj.kind} ${ns === undefined || ns === '' ? '' : `${ns}/`}${obj.metadata.name ?? ''}`);
    }
  }
}

function gk(apiVersion: string, kind: string): string {
  return `${parseApiVersion(apiVersion).group}/${kind}`;
}
