// virtio 1.x constants used by the emulated devices and the test driver
// (reference sddf-protocols.md §5.1 [spec]: virtio 1.x §2.7 split virtqueue, §4.2 MMIO v2).

/** MMIO transport version 2 register offsets (virtio 1.2 §4.2.2). */
export const Reg = {
  MagicValue: 0x000,
  Version: 0x004,
  DeviceId: 0x008,
  VendorId: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptAck: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ShmSel: 0x0ac,
  ShmLenLow: 0x0b0,
  ShmLenHigh: 0x0b4,
  ShmBaseLow: 0x0b8,
  ShmBaseHigh: 0x0bc,
  QueueReset: 0x0c0,
  ConfigGeneration: 0x0fc,
  Config: 0x100,
} as const;

/** "virt" little-endian. */
export const VIRTIO_MMIO_MAGIC = 0x74726976;
export const VIRTIO_MMIO_VERSION = 2;
/** Our emulator's vendor id ("SDDF" is not registered anywhere; any value is allowed). */
export const VIRTIO_VENDOR_ID = 0x46444453;

export const DeviceId = { Net: 1, Block: 2, Console: 3 } as const;

/** Device status bits (virtio 1.x §2.1). */
export const Status = {
  Acknowledge: 1,
  Driver: 2,
  DriverOk: 4,
  FeaturesOk: 8,
  DeviceNeedsReset: 0x40,
  Failed: 0x80,
} as const;

/** InterruptStatus bits (§4.2.2): bit 0 used buffer, bit 1 configuration change. */
export const Interrupt = { UsedBuffer: 1, ConfigChange: 2 } as const;

/**
 * Feature bits as bigint masks (bit numbers from virtio 1.2 §5.1.3 net, §5.2.3 blk, §6 reserved
 * feature bits).
 */
export const Feature = {
  NetCsum: 1n << 0n,
  NetGuestCsum: 1n << 1n,
  NetMtu: 1n << 3n,
  NetMac: 1n << 5n,
  NetHostTso4: 1n << 11n,
  NetHostTso6: 1n << 12n,
  NetHostEcn: 1n << 13n,
  NetHostUfo: 1n << 14n,
  NetMrgRxbuf: 1n << 15n,
  NetStatus: 1n << 16n,
  NetMq: 1n << 22n,
  NetHostUso: 1n << 56n,
  BlkSizeMax: 1n << 1n,
  BlkSegMax: 1n << 2n,
  BlkGeometry: 1n << 4n,
  BlkRo: 1n << 5n,
  BlkBlkSize: 1n << 6n,
  BlkFlush: 1n << 9n,
  BlkTopology: 1n << 10n,
  BlkConfigWce: 1n << 11n,
  RingIndirectDesc: 1n << 28n,
  RingEventIdx: 1n << 29n,
  Version1: 1n << 32n,
} as const;

/** Descriptor flags (§2.7.5). */
export const DescFlag = { Next: 1, Write: 2, Indirect: 4 } as const;
/** avail.flags (§2.7.6). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** used.flags (§2.7.8): the device does not need available buffer notifications. */
export const VIRTQ_USED_F_NO_NOTIFY = 1;

export const DESC_SIZE_BYTES = 16;
/** §2.7: the split virtqueue size is a power of two, at most 32768. */
export const MAX_QUEUE_NUM = 32768;

/** Where the VIRTIO rules we check are written (VIRTIO 1.2, cs01). */
export const Rule = {
  statusDriver: 'virtio-1.2 §2.1.1',
  features: 'virtio-1.2 §2.2.1',
  config: 'virtio-1.2 §2.5.1',
  initSequence: 'virtio-1.2 §3.1.1',
  mmioDriver: 'virtio-1.2 §4.2.2.2',
  ringAlignment: 'virtio-1.2 §2.7.1',
  framing: 'virtio-1.2 §2.7.4.2',
  descTable: 'virtio-1.2 §2.7.5.2',
  indirect: 'virtio-1.2 §2.7.5.3.1',
  availRing: 'virtio-1.2 §2.7.6.1',
  usedSuppression: 'virtio-1.2 §2.7.7.1',
  updatingIdx: 'virtio-1.2 §2.7.13.3.1',
  cleanup: 'virtio-1.2 §3.3.1',
  netTx: 'virtio-1.2 §5.1.6.2.1',
  netRxBuffers: 'virtio-1.2 §5.1.6.3.1',
  blkOperation: 'virtio-1.2 §5.2.6.1',
  qemuZeroLength: 'QEMU hw/virtio/virtio.c virtqueue_map_desc',
} as const;
