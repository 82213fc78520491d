// Global setup for the integration project. Real parts (the Kubernetes fixture, the embedded API
// server, the registry, external services) are started here or lazily by the suites that need them.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
