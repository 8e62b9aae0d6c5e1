// Test doubles for this package's specs and the benchmark; not part of the runtime API.
export { HttpModelInvoker } from './http-model-invoker';
export { ScriptedModelInvoker, cohereAnswer, throttled, flushMicrotasks } from './scripted-model-invoker';
export type { RecordedCall, Step } from './scripted-model-invoker';
