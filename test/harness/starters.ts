// The API-server targets every conformance-style suite runs against. EXTENSION POINT: to add a
// target (the embedded API server), append one TargetStarter to `targetStarters` below; global
// setup starts each, and `apiServerTargets()` hands them to `describe.each`.
import { missingRealBinaries, startRealControlPlane } from './control-plane.ts';
import { embeddedStarter } from './embedded.ts';

/** An ApiServerTarget is one running API server the suites can talk to. */
export interface ApiServerTarget {
  /** Name is `real` (kube-apiserver) or `embedded` (Trellis' own API server). */
  name: string;
  kubeconfigPath: string;
}

/** A MissingTarget is a target that could not start because a real part is missing. */
export interface MissingTarget {
  name: string;
  /** Reason says what is missing and how to get it. */
  reason: string;
}

/** A StartedTarget is a running target and how to stop it. */
export interface StartedTarget {
  target: ApiServerTarget;
  stop(): Promise<void>;
}

/** A TargetStarter starts one shared target for the whole test run. */
export interface TargetStarter {
  name: string;
  /** Missing returns what this target needs and lacks (binaries...), or undefined when startable. */
  missing(): string | undefined;
  start(): Promise<StartedTarget>;
}

const real: TargetStarter = {
  name: 'real',
  missing() {
    const bins = missingRealBinaries();
    return bins.length === 0 ? undefined : `missing ${bins.join(', ')} (build them with: bash test/infra/kubernetes/build.sh)`;
  },
  async start() {
    const cp = await startRealControlPlane();
    return { target: { name: 'real', kubeconfigPath: cp.kubeconfigPath }, stop: () => cp.stop() };
  },
};

/** TargetStarters lists every shared target, in the order suites see them. */
export const targetStarters: TargetStarter[] = [real, embeddedStarter];
