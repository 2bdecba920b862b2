// virtio 1.x constants used by the emulated devices and the test driver
// (reference sddf-protocols.md §5.1 [spec]: virtio 1.x §2.7 split virtqueue, §4.2 MMIO v2).

/** MMIO transport version 2 register offsets (virtio 1.x §4.2.2). */
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

/** Feature bits as bigint masks (bit numbers from virtio 1.x §5.1.3, §5.2.3, §6). */
export const Feature = {
  NetMac: 1n << 5n,
  NetStatus: 1n << 16n,
  NetMrgRxbuf: 1n << 15n,
  BlkRo: 1n << 5n,
  BlkBlkSize: 1n << 6n,
  BlkFlush: 1n << 9n,
  RingEventIdx: 1n << 29n,
  Version1: 1n << 32n,
} as const;

/** Descriptor flags (§2.7.5). */
export const DescFlag = { Next: 1, Write: 2, Indirect: 4 } as const;
/** avail.flags (§2.7.6). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

export const DESC_SIZE_BYTES = 16;
/** §2.7: the split virtqueue size is a power of two, at most 32768. */
export const MAX_QUEUE_NUM = 32768;
