// The online refinement check of the network components (issue 9 part 6; docs/adr/
// 020-net-refinement.md). Every handler execution (`init`, `notified`) of an implemented virt_tx,
// virt_rx or copier must equal a sequence of steps of the same component's spec
// (spec/components/net), seen through the abstraction function of its view (views.ts): from the
// abstraction of the state before the handler, one of the view's candidate step sequences must
// reach the abstraction of the state after it, and make the same notifications (immediate ones in
// order, and the deferred slot at the end), without a spec monitor failing. The spec's steps are
// deterministic given the memory, so the search over candidates is the only nondeterminism to
// resolve; a handler whose every effect is nothing matches by stuttering (no spec step).
//
// The check needs a handler to run without interruption, which the deterministic scheduler
// guarantees (one thread; preemption only inside a notify to a higher priority, and these
// components notify only lower priorities or through the deferred slot). A handler inside which
// another PD ran anyway, or that faulted, is counted as not checked, with the reason.
import { InvariantError } from '../../../spec/common/assert.ts';
import { PC_DONE } from '../../../spec/components/program.ts';
import type {
  Component,
  ComponentContext,
  ComponentFactory,
  MicrokitApi,
} from '../../../impl/runtime/api.ts';
import type { ComponentBinding } from '../../../impl/runtime/registry.ts';
import type { WordDifference } from './memory.ts';
import {
  NO_DEVICE,
  VIEW_BUILDERS,
  type Candidate,
  type ComponentView,
  type Handler,
  type SpecContext,
} from './views.ts';

type Slot = { readonly kind: 'notify' | 'irq_ack'; readonly ch: number } | null;

/** What a handler did that others see: immediate notifications in order, the slot at the end. */
export interface Effects {
  readonly notified: readonly number[];
  readonly irqAcks: readonly number[];
  readonly slot: Slot;
}

export interface RefinementViolation {
  readonly pd: string;
  readonly handler: string;
  /** 1-based count of this PD's handler executions. */
  readonly execution: number;
  /** `violation`, or `deviation` (a hardening decision of ADR 016 §4 the spec does not make). */
  readonly kind: 'violation' | 'deviation';
  /** The candidate closest to the implementation (fewest differences). */
  readonly candidate: string;
  readonly specSteps: readonly string[];
  readonly differences: readonly WordDifference[];
}

export interface PdRefinementStats {
  handlers: number;
  checked: number;
  matched: number;
  violations: number;
  deviations: number;
  readonly notChecked: Record<string, number>;
}

export interface NetRefinementReport {
  readonly checked: number;
  readonly matched: number;
  readonly violations: number;
  readonly deviations: number;
  readonly notChecked: Readonly<Record<string, number>>;
  readonly components: Readonly<Record<string, PdRefinementStats>>;
  /** The first violations and deviations found (at most `keep`). */
  readonly kept: readonly RefinementViolation[];
}

export interface NetRefinementOptions {
  /** Violations and deviations kept with their detail (all are counted); default 20. */
  readonly keep?: number;
  /** Differences listed per kept violation; default 12. */
  readonly differencesListed?: number;
}

/** Spec steps one segment may take: every queue drained twice over, and more. */
function stepBound(view: ComponentView): number {
  return 64 + 8 * view.queues.reduce((s, q) => s + q.capacity, 0);
}

/** The MicrokitApi a refined component gets: the runtime's, recording what the handler signals. */
class RecordingApi implements MicrokitApi {
  notified: number[] = [];
  irqAcks: number[] = [];
  slot: Slot = null;
  constructor(private readonly inner: MicrokitApi) {}
  get name(): string {
    return this.inner.name;
  }
  get mem(): MicrokitApi['mem'] {
    return this.inner.mem;
  }
  /** Before a handler: nothing recorded; the slot as the runtime holds it now. */
  start(): void {
    this.notified = [];
    this.irqAcks = [];
    const cur = this.inner.deferredCurrent();
    this.slot = cur === null ? null : { kind: 'notify', ch: cur };
  }
  effects(): Effects {
    return { notified: this.notified, irqAcks: this.irqAcks, slot: this.slot };
  }
  notify(ch: number): void {
    this.notified.push(ch);
    this.inner.notify(ch);
  }
  deferredNotify(ch: number): void {
    this.slot = { kind: 'notify', ch };
    this.inner.deferredNotify(ch);
  }
  irqAck(ch: number): void {
    this.irqAcks.push(ch);
    this.inner.irqAck(ch);
  }
  deferredIrqAck(ch: number): void {
    this.slot = { kind: 'irq_ack', ch };
    this.inner.deferredIrqAck(ch);
  }
  ppcall(ch: number, msg: Parameters<MicrokitApi['ppcall']>[1]): ReturnType<MicrokitApi['ppcall']> {
    return this.inner.ppcall(ch, msg);
  }
  deferredCurrent(): number | null {
    return this.inner.deferredCurrent();
  }
}

/** One candidate run of the spec: its context (the harness's PdContext) and what it did. */
class SpecRun implements SpecContext {
  readonly locals: number[];
  readonly ghosts: number[];
  readonly notified: number[] = [];
  readonly irqAcks: number[] = [];
  readonly failures: string[] = [];
  readonly steps: string[] = [];
  slot: Slot;
  readonly dev = NO_DEVICE;

  constructor(
    private readonly view: ComponentView,
    locals: readonly number[],
    ghosts: readonly number[],
    slot: Slot,
  ) {
    this.locals = locals.slice();
    this.ghosts = ghosts.slice();
    this.slot = slot;
  }
  get mem(): ComponentView['mem'] {
    return this.view.mem;
  }
  local(i: number): number {
    if (!(i >= 0 && i < this.locals.length))
      throw new InvariantError(`local ${i} of ${this.locals.length}`);
    return this.locals[i]!;
  }
  setLocal(i: number, v: number): void {
    if (!(i >= 0 && i < this.locals.length))
      throw new InvariantError(`local ${i} of ${this.locals.length}`);
    this.locals[i] = v >>> 0;
  }
  notify(ch: number): void {
    this.notified.push(this.view.implChannel(ch));
  }
  deferredNotify(ch: number): void {
    this.slot = { kind: 'notify', ch: this.view.implChannel(ch) };
  }
  deferredIrqAck(ch: number): void {
    this.slot = { kind: 'irq_ack', ch: this.view.implChannel(ch) };
  }
  irqAck(ch: number): void {
    this.irqAcks.push(this.view.implChannel(ch));
  }
  deferredPending(): boolean {
    return this.slot !== null;
  }
  deferredNotifyCurr(): number {
    return this.slot?.kind === 'notify' ? this.slot.ch : -1;
  }
  fail(property: string, message: string): void {
    this.failures.push(`${property}: ${message}`);
  }
  ghost(i: number): number {
    return this.ghosts[i] ?? 0;
  }
  setGhost(i: number, v: number): void {
    this.ghosts[i] = v >>> 0;
  }

  /** Runs the candidate's segments; false when a bound or a spec exception stopped it. */
  run(c: Candidate, bound: number): boolean {
    for (const seg of c.segments) {
      if ('run' in seg) {
        this.steps.push(seg.name);
        seg.run(this);
        continue;
      }
      let pc = seg.pc;
      for (let n = 0; pc !== PC_DONE; n++) {
        if (n >= bound) {
          this.failures.push(`harness: more than ${bound} spec steps in one segment`);
          return false;
        }
        this.steps.push(this.view.program.steps[pc] ?? `pc ${pc}`);
        pc = this.view.program.step(pc, this);
      }
    }
    return true;
  }
}

const showSlot = (s: Slot): string => (s === null ? 'empty' : `${s.kind}(${s.ch})`);

function effectDifferences(impl: Effects, spec: SpecRun, out: WordDifference[]): void {
  const list = (xs: readonly number[]): string => `[${xs.join(', ')}]`;
  if (list(impl.notified) !== list(spec.notified))
    out.push({
      where: 'notify (immediate, in order)',
      impl: list(impl.notified),
      spec: list(spec.notified),
    });
  if (list(impl.irqAcks) !== list(spec.irqAcks))
    out.push({ where: 'irq_ack', impl: list(impl.irqAcks), spec: list(spec.irqAcks) });
  if (showSlot(impl.slot) !== showSlot(spec.slot))
    out.push({ where: 'deferred slot', impl: showSlot(impl.slot), spec: showSlot(spec.slot) });
}

/** A PD under check: its view, recording API and the ghost words carried between handlers. */
interface Checked {
  readonly view: ComponentView;
  readonly api: RecordingApi;
  ghosts: number[];
  executions: number;
}

export class NetRefinement {
  private readonly stats = new Map<string, PdRefinementStats>();
  private readonly kept: RefinementViolation[] = [];
  private readonly keep: number;
  private readonly listed: number;
  /** Handler entries of every wrapped PD: one moving inside a handler means another PD ran. */
  private serial = 0;
  /** Ghost words per PD survive a restart (they are the monitors', not the PD's). */
  private readonly ghostsByPd = new Map<string, number[]>();

  constructor(options: NetRefinementOptions = {}) {
    this.keep = options.keep ?? 20;
    this.listed = options.differencesListed ?? 12;
  }

  /** Whether a binding is one of the components this check refines. */
  static refines(binding: ComponentBinding): boolean {
    return binding.exportName !== undefined && binding.exportName in VIEW_BUILDERS;
  }

  /**
   * The factory to register for `pd` instead of `binding.factory`: refined components are checked
   * around each handler; every other PD only marks its handler entries (to see interleaving).
   */
  wrap(pd: string, binding: ComponentBinding): ComponentFactory {
    const build = binding.exportName === undefined ? undefined : VIEW_BUILDERS[binding.exportName];
    if (build === undefined) return this.observe(binding.factory);
    return (ctx) => {
      let state: unknown;
      const userProbe = ctx.params['probe'];
      const params = {
        ...ctx.params,
        probe: (s: unknown) => {
          state = s;
          if (typeof userProbe === 'function') (userProbe as (x: unknown) => void)(s);
        },
      };
      const api = new RecordingApi(ctx.api);
      const component = binding.factory({ ...ctx, api, params });
      const view = build({ pd, api: ctx.api, params, state: () => state });
      const stats = this.statsOf(pd);
      const c: Checked = {
        view,
        api,
        ghosts: this.ghostsByPd.get(pd) ?? new Array<number>(view.ghostWords).fill(0),
        executions: stats.handlers,
      };
      const restarts = ctx.restarts ?? 0;
      const wrapped: Component = {
        init: () => this.check(c, { kind: 'init', restarts }, () => component.init()),
        notified: (ch) => this.check(c, { kind: 'notified', ch }, () => component.notified(ch)),
      };
      if (component.protected !== undefined) {
        const p = component.protected.bind(component);
        wrapped.protected = (ch, msg) => {
          this.serial++;
          return p(ch, msg);
        };
      }
      return wrapped;
    };
  }

  private observe(factory: ComponentFactory): ComponentFactory {
    return (ctx: ComponentContext) => {
      const c = factory(ctx);
      const wrapped: Component = {
        init: () => {
          this.serial++;
          c.init();
        },
        notified: (ch) => {
          this.serial++;
          c.notified(ch);
        },
      };
      if (c.protected !== undefined) {
        const p = c.protected.bind(c);
        wrapped.protected = (ch, msg) => {
          this.serial++;
          return p(ch, msg);
        };
      }
      return wrapped;
    };
  }

  private statsOf(pd: string): PdRefinementStats {
    let s = this.stats.get(pd);
    if (s === undefined) {
      s = { handlers: 0, checked: 0, matched: 0, violations: 0, deviations: 0, notChecked: {} };
      this.stats.set(pd, s);
    }
    return s;
  }

  private notChecked(stats: PdRefinementStats, why: string): void {
    stats.notChecked[why] = (stats.notChecked[why] ?? 0) + 1;
  }

  private check(c: Checked, h: Handler, run: () => void): void {
    const { view, api } = c;
    const stats = this.statsOf(view.pd);
    stats.handlers++;
    c.executions++;
    const serial = ++this.serial;
    const candidates = view.candidates(h);
    if (typeof candidates === 'string') {
      this.notChecked(stats, candidates);
      run();
      return;
    }
    for (const q of view.queues) q.snapshot();
    for (const d of view.data) d.invalidate();
    const outside = view.queues.find((q) => !q.preInDomain());
    if (outside !== undefined) {
      // The abstraction function is partial: it maps only states where every queue holds at most
      // its capacity. A peer that wrote such indices (a hostile client) is outside the spec's world.
      this.notChecked(stats, `a queue of its view held more than its capacity before the handler`);
      run();
      return;
    }
    const preLocals = view.locals();
    const hardening = view.hardening();
    api.start();
    const preSlot = api.slot;
    try {
      run();
    } catch (e) {
      this.notChecked(stats, 'the handler faulted');
      throw e;
    }
    if (this.serial !== serial) {
      this.notChecked(stats, 'another PD ran inside the handler');
      return;
    }
    stats.checked++;
    const impl = api.effects();
    const postLocals = view.locals();
    let best: { run: SpecRun; diffs: WordDifference[]; candidate: Candidate } | null = null;
    for (const candidate of [...candidates, STUTTER]) {
      const result = this.tryCandidate(c, candidate, preLocals, preSlot, postLocals, impl);
      if (result.diffs.length === 0) {
        stats.matched++;
        c.ghosts = result.run.ghosts;
        this.ghostsByPd.set(view.pd, c.ghosts);
        return;
      }
      if (candidate !== STUTTER && (best === null || result.diffs.length < best.diffs.length))
        best = { ...result, candidate };
    }
    const b = best!;
    c.ghosts = b.run.ghosts;
    this.ghostsByPd.set(view.pd, c.ghosts);
    const kind = view.hardening() !== hardening ? 'deviation' : 'violation';
    if (kind === 'deviation') stats.deviations++;
    else stats.violations++;
    if (this.kept.length < this.keep) {
      this.kept.push({
        pd: view.pd,
        handler:
          h.kind === 'init'
            ? h.restarts > 0
              ? `init (restart ${h.restarts})`
              : 'init'
            : `notified(${h.ch})`,
        execution: c.executions,
        kind,
        candidate: b.candidate.name,
        specSteps: b.run.steps.slice(0, 64),
        differences: b.diffs.slice(0, this.listed),
      });
    }
  }

  private tryCandidate(
    c: Checked,
    candidate: Candidate,
    preLocals: readonly number[],
    preSlot: Slot,
    postLocals: readonly number[],
    impl: Effects,
  ): { run: SpecRun; diffs: WordDifference[] } {
    const { view } = c;
    for (const q of view.queues) q.reset();
    for (const d of view.data) d.reset();
    const run = new SpecRun(view, preLocals, c.ghosts, preSlot);
    const diffs: WordDifference[] = [];
    try {
      run.run(candidate, stepBound(view));
    } catch (e) {
      if (!(e instanceof InvariantError)) throw e;
      diffs.push({ where: 'spec', impl: '-', spec: `threw: ${e.message}` });
    }
    const limit = 64;
    for (const f of run.failures) diffs.push({ where: 'spec monitor', impl: '-', spec: f });
    for (const q of view.queues) q.differences(diffs, limit);
    for (const d of view.data) d.differences(diffs, limit);
    for (let i = 0; i < postLocals.length && diffs.length < limit; i++) {
      if (postLocals[i] !== run.locals[i])
        diffs.push({ where: view.localName(i), impl: postLocals[i]!, spec: run.locals[i]! });
    }
    effectDifferences(impl, run, diffs);
    return { run, diffs };
  }

  report(): NetRefinementReport {
    const components: Record<string, PdRefinementStats> = {};
    const notChecked: Record<string, number> = {};
    let checked = 0;
    let matched = 0;
    let violations = 0;
    let deviations = 0;
    for (const [pd, s] of this.stats) {
      components[pd] = { ...s, notChecked: { ...s.notChecked } };
      checked += s.checked;
      matched += s.matched;
      violations += s.violations;
      deviations += s.deviations;
      for (const [why, n] of Object.entries(s.notChecked))
        notChecked[why] = (notChecked[why] ?? 0) + n;
    }
    return {
      checked,
      matched,
      violations,
      deviations,
      notChecked,
      components,
      kept: [...this.kept],
    };
  }
}

/** No spec step at all: matches a handler that changed nothing and signalled nobody. */
const STUTTER: Candidate = { name: 'stutter (no spec step)', segments: [] };
