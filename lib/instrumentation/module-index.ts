import { types } from 'node:util';

/** How a class is registered in the app's modules (bit flags). */
export const Registration = {
  PROVIDER: 1,
  CONTROLLER: 2,
  /** Bound with @UseGuards/@UsePipes/@UseInterceptors/@UseFilters or a parameter pipe. */
  ENHANCER: 4,
  /** An APP_GUARD / APP_PIPE / APP_INTERCEPTOR / APP_FILTER provider. */
  GLOBAL_ENHANCER: 8,
  MIDDLEWARE: 16,
  /** The module class itself. */
  MODULE: 32,
} as const;

export interface ClassRegistration {
  flags: number;
  modules: string[];
}

// Nest's container, duck-typed: these are its public getters, read without importing
// its internal Module and InstanceWrapper classes.
interface WrapperLike {
  readonly metatype?: unknown;
  readonly inject?: unknown;
  readonly instance?: unknown;
  readonly isAlias?: boolean;
}
interface ModuleLike {
  readonly name?: string;
  readonly metatype?: { name?: string };
  readonly providers?: Map<unknown, WrapperLike>;
  readonly controllers?: Map<unknown, WrapperLike>;
  readonly injectables?: Map<unknown, WrapperLike>;
  readonly middlewares?: Map<unknown, WrapperLike>;
}
export type ModulesContainerLike = Map<string, ModuleLike>;

const GLOBAL_ENHANCER_TOKEN = /^APP_(GUARD|PIPE|INTERCEPTOR|FILTER)\b/;

function classOf(wrapper: WrapperLike): Function | undefined {
  if (typeof wrapper.metatype === 'function' && wrapper.inject == null) return wrapper.metatype;
  // Factory and value providers: the class is the instance's, once it exists.
  const instance = wrapper.instance;
  if (instance === null || typeof instance !== 'object' || types.isProxy(instance)) return;
  const ctor = (instance as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' ? ctor : undefined;
}

function add(
  index: Map<Function, ClassRegistration>,
  ctor: Function,
  flag: number,
  module: string,
) {
  let entry = index.get(ctor);
  if (entry === undefined) index.set(ctor, (entry = { flags: 0, modules: [] }));
  entry.flags |= flag;
  if (!entry.modules.includes(module)) entry.modules.push(module);
}

function build(container: ModulesContainerLike): Map<Function, ClassRegistration> {
  const index = new Map<Function, ClassRegistration>();
  for (const module of container.values()) {
    const name = module.metatype?.name ?? module.name ?? '';
    if (typeof module.metatype === 'function')
      add(index, module.metatype, Registration.MODULE, name);
    const sections: [Map<unknown, WrapperLike> | undefined, number][] = [
      [module.controllers, Registration.CONTROLLER],
      [module.injectables, Registration.ENHANCER],
      [module.middlewares, Registration.MIDDLEWARE],
    ];
    for (const [token, wrapper] of module.providers ?? []) {
      if (wrapper.isAlias) continue;
      const ctor = classOf(wrapper);
      if (ctor === undefined || ctor === module.metatype) continue;
      const global = typeof token === 'string' && GLOBAL_ENHANCER_TOKEN.test(token);
      add(index, ctor, global ? Registration.GLOBAL_ENHANCER : Registration.PROVIDER, name);
    }
    for (const [map, flag] of sections) {
      for (const wrapper of map?.values() ?? []) {
        const ctor = classOf(wrapper);
        if (ctor !== undefined) add(index, ctor, flag, name);
      }
    }
  }
  return index;
}

/**
 * Which modules each class is registered in, read from the containers of the apps the
 * instrument decorates. Built on first use (after bootstrap) and rebuilt when modules
 * are added later (lazy-loaded modules).
 */
export class ModuleIndex {
  private readonly containers: WeakRef<ModulesContainerLike>[] = [];
  private readonly built = new WeakMap<
    ModulesContainerLike,
    { size: number; index: Map<Function, ClassRegistration> }
  >();

  add(container: ModulesContainerLike): void {
    if (this.containers.some((ref) => ref.deref() === container)) return;
    const alive = this.containers.filter((ref) => ref.deref() !== undefined);
    this.containers.splice(0, this.containers.length, ...alive, new WeakRef(container));
  }

  lookup(ctor: Function): ClassRegistration | undefined {
    let found: ClassRegistration | undefined;
    for (const ref of this.containers) {
      const container = ref.deref();
      if (container === undefined) continue;
      let cached = this.built.get(container);
      let entry = cached?.index.get(ctor);
      if (entry === undefined && cached?.size !== container.size) {
        cached = { size: container.size, index: build(container) };
        this.built.set(container, cached);
        entry = cached.index.get(ctor);
      }
      if (entry === undefined) continue;
      found ??= { flags: 0, modules: [] };
      found.flags |= entry.flags;
      for (const m of entry.modules) if (!found.modules.includes(m)) found.modules.push(m);
    }
    return found;
  }
}
