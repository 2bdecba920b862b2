// impl/mem: physical regions, per-PD address spaces (the MMU) and the IOMMU (issue #5 part 1).
export * from './types.ts';
export * from './fault.ts';
export * from './region.ts';
export * from './address-space.ts';
export * from './iommu.ts';
