// Binds each PD to a component implementation (issue #5 part 2): by PD name first, then by
// program_image (exact path, then its base name without extension), as a Microkit image is chosen
// by `<program_image path>`. A worker thread cannot receive a function, so a binding also names the
// module and export the worker imports (same code under both schedulers).

import type { ComponentFactory } from './api.ts';

export interface ComponentBinding {
  readonly factory: ComponentFactory;
  /** `import.meta.url`-style URL of the module exporting the factory (worker scheduler). */
  readonly moduleUrl?: string;
  /** Export name of the factory in `moduleUrl`. */
  readonly exportName?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export class ComponentRegistry {
  private readonly bindings = new Map<string, ComponentBinding>();
  private fallbackBinding: ComponentBinding | undefined;

  /** `key` is a PD name, a program_image path, or its base name without extension. */
  register(key: string, binding: ComponentBinding): this {
    this.bindings.set(key, binding);
    return this;
  }

  /** Binding for every PD nothing else matches (e.g. idle stand-ins to boot a partial system). */
  fallback(binding: ComponentBinding): this {
    this.fallbackBinding = binding;
    return this;
  }

  resolve(pd: {
    readonly name: string;
    readonly programImage: string;
  }): ComponentBinding | undefined {
    const base = pd.programImage.replace(/^.*\//, '');
    const stem = base.replace(/\.[^.]*$/, '');
    return (
      this.bindings.get(pd.name) ??
      this.bindings.get(pd.programImage) ??
      this.bindings.get(base) ??
      this.bindings.get(stem) ??
      this.fallbackBinding
    );
  }
}
