// impl/hw: emulated devices and the wire (issue #5 part 5; docs/adr/010-devices.md).
export * from './events.ts';
export * from './clock.ts';
export * from './rng.ts';
export * from './wire.ts';
export * from './ethernet.ts';
export * from './pcap.ts';
export * from './block_backend.ts';
export * from './pl011.ts';
export * from './goldfish_timer.ts';
export * from './virtio/constants.ts';
export * from './virtio/virtqueue.ts';
export * from './virtio/mmio.ts';
export * from './virtio/net.ts';
export * from './virtio/blk.ts';
export * from './virtio/driver.ts';
