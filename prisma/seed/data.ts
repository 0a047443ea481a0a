import { createHash } from 'node:crypto';

/**
 * The development data set, shared by the four services' seeds. Ids are derived from names, so every
 * service computes the same id for "ada" or for SKU "KB-ALU-75" without reading another service's database,
 * and seeding twice yields the same rows.
 */
export function seedId(kind: string, key: string): string {
  const hex = createHash('sha1').update(`shop-supergraph:${kind}:${key}`).digest('hex');
  // Laid out as a version-5 (name-based) UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Development-only credentials, printed in the README. Never seeded in production. */
export const seedUsers = [
  { key: 'admin', email: 'admin@shop.test', name: 'Grace Admin', role: 'ADMIN', password: 'shop-admin-dev' },
  { key: 'ada', email: 'ada@shop.test', name: 'Ada Lovelace', role: 'CUSTOMER', password: 'shop-customer-dev' },
  { key: 'linus', email: 'linus@shop.test', name: 'Linus Torvalds', role: 'CUSTOMER', password: 'shop-customer-dev' },
] as const;

export const seedCategories = [
  { slug: 'keyboards', name: 'Keyboards' },
  { slug: 'audio', name: 'Audio' },
  { slug: 'desk', name: 'Desk & Ergonomics' },
  { slug: 'lighting', name: 'Lighting' },
  { slug: 'coffee', name: 'Coffee' },
] as const;

type CategorySlug = (typeof seedCategories)[number]['slug'];

/** Prices in euro cents. */
export const seedProducts: {
  sku: string;
  name: string;
  description: string;
  price: number;
  stock: number;
  category: CategorySlug;
}[] = [
  {
    sku: 'KB-ALU-75',
    name: 'Aluminium 75% Keyboard',
    description: 'Gasket-mounted 75% mechanical keyboard with hot-swap sockets and a CNC aluminium case.',
    price: 18900,
    stock: 40,
    category: 'keyboards',
  },
  {
    sku: 'KB-TKL-BRN',
    name: 'Tenkeyless Keyboard, Brown Switches',
    description: 'Tactile brown switches, PBT keycaps and a detachable USB-C cable.',
    price: 11900,
    stock: 65,
    category: 'keyboards',
  },
  {
    sku: 'KB-SPLIT-ERGO',
    name: 'Split Ergonomic Keyboard',
    description: 'Two halves, tenting feet and thumb clusters for a relaxed typing posture.',
    price: 29900,
    stock: 12,
    category: 'keyboards',
  },
  {
    sku: 'KB-LOW-60',
    name: 'Low-Profile 60% Keyboard',
    description: 'Slim wireless keyboard with low-profile linear switches; pairs with three devices.',
    price: 9900,
    stock: 80,
    category: 'keyboards',
  },
  {
    sku: 'KB-CAPS-PBT',
    name: 'PBT Keycap Set',
    description: 'Double-shot PBT keycaps in cherry profile, 140 keys, fits most layouts.',
    price: 5900,
    stock: 120,
    category: 'keyboards',
  },
  {
    sku: 'KB-WRIST-OAK',
    name: 'Oak Wrist Rest',
    description: 'Solid oak wrist rest with non-slip cork base, sized for tenkeyless boards.',
    price: 3900,
    stock: 0,
    category: 'keyboards',
  },
  {
    sku: 'AU-HP-OPEN',
    name: 'Open-Back Headphones',
    description: 'Open-back dynamic headphones with velour pads for long listening sessions.',
    price: 24900,
    stock: 25,
    category: 'audio',
  },
  {
    sku: 'AU-HP-ANC',
    name: 'Noise-Cancelling Headphones',
    description: 'Wireless over-ear headphones with adaptive noise cancelling and 40 h battery.',
    price: 27900,
    stock: 30,
    category: 'audio',
  },
  {
    sku: 'AU-SPK-DESK',
    name: 'Desktop Speakers',
    description: 'Pair of active bookshelf speakers with Bluetooth and optical input.',
    price: 19900,
    stock: 18,
    category: 'audio',
  },
  {
    sku: 'AU-MIC-USB',
    name: 'USB Condenser Microphone',
    description: 'Cardioid USB microphone with a headphone jack for zero-latency monitoring.',
    price: 12900,
    stock: 45,
    category: 'audio',
  },
  {
    sku: 'AU-DAC-MINI',
    name: 'Mini DAC and Amplifier',
    description: 'Pocket USB-C DAC with a balanced output, drives most headphones.',
    price: 8900,
    stock: 60,
    category: 'audio',
  },
  {
    sku: 'DK-STAND-ELEC',
    name: 'Electric Standing Desk',
    description: 'Dual-motor standing desk frame, 160 x 80 cm top, four height presets.',
    price: 54900,
    stock: 8,
    category: 'desk',
  },
  {
    sku: 'DK-CHAIR-MESH',
    name: 'Mesh Office Chair',
    description: 'Breathable mesh back, adjustable lumbar support and 4D armrests.',
    price: 39900,
    stock: 15,
    category: 'desk',
  },
  {
    sku: 'DK-ARM-DUAL',
    name: 'Dual Monitor Arm',
    description: 'Gas-spring arm for two monitors up to 32 inches, with cable management.',
    price: 14900,
    stock: 35,
    category: 'desk',
  },
  {
    sku: 'DK-MAT-FELT',
    name: 'Wool Felt Desk Mat',
    description: 'Merino wool felt desk mat, 90 x 40 cm, quiet under keyboard and mouse.',
    price: 4900,
    stock: 90,
    category: 'desk',
  },
  {
    sku: 'DK-FOOT-REST',
    name: 'Ergonomic Footrest',
    description: 'Tilting footrest with a massage surface for better sitting posture.',
    price: 5900,
    stock: 50,
    category: 'desk',
  },
  {
    sku: 'DK-LAPTOP-STAND',
    name: 'Aluminium Laptop Stand',
    description: 'Raises a laptop screen to eye level; folds flat for travel.',
    price: 4500,
    stock: 70,
    category: 'desk',
  },
  {
    sku: 'LT-LAMP-LED',
    name: 'LED Desk Lamp',
    description: 'Dimmable LED desk lamp with adjustable colour temperature and USB-C charging.',
    price: 7900,
    stock: 55,
    category: 'lighting',
  },
  {
    sku: 'LT-BAR-MON',
    name: 'Monitor Light Bar',
    description: 'Asymmetric light bar that lights the desk without glare on the screen.',
    price: 8900,
    stock: 40,
    category: 'lighting',
  },
  {
    sku: 'LT-STRIP-RGB',
    name: 'Ambient Light Strip',
    description: 'Two-metre light strip for the back of a monitor, syncs with on-screen colours.',
    price: 3900,
    stock: 100,
    category: 'lighting',
  },
  {
    sku: 'LT-FLOOR-ARC',
    name: 'Arc Floor Lamp',
    description: 'Arched floor lamp with a marble base and a linen shade.',
    price: 16900,
    stock: 6,
    category: 'lighting',
  },
  {
    sku: 'CF-GRIND-BURR',
    name: 'Conical Burr Grinder',
    description: 'Hand grinder with steel conical burrs and 40 grind settings.',
    price: 13900,
    stock: 22,
    category: 'coffee',
  },
  {
    sku: 'CF-KETTLE-GOOSE',
    name: 'Gooseneck Kettle',
    description: 'Electric gooseneck kettle with temperature hold for pour-over brewing.',
    price: 9900,
    stock: 28,
    category: 'coffee',
  },
  {
    sku: 'CF-BEANS-ETH',
    name: 'Ethiopia Yirgacheffe Beans 250 g',
    description: 'Washed light roast with notes of jasmine, bergamot and lemon.',
    price: 1450,
    stock: 200,
    category: 'coffee',
  },
  {
    sku: 'CF-BEANS-COL',
    name: 'Colombia Huila Beans 250 g',
    description: 'Medium roast with notes of caramel, red apple and cocoa.',
    price: 1290,
    stock: 180,
    category: 'coffee',
  },
  {
    sku: 'CF-MUG-CERAMIC',
    name: 'Ceramic Mug',
    description: 'Hand-glazed 350 ml stoneware mug, dishwasher safe.',
    price: 2200,
    stock: 3,
    category: 'coffee',
  },
];

export const seedFaqs: { key: string; question: string; answer: string; topic: string; sku?: string }[] = [
  {
    key: 'shipping-time',
    topic: 'shipping',
    question: 'How long does delivery take?',
    answer: 'Orders placed before 2 pm ship the same working day; delivery within the EU takes 2 to 4 working days.',
  },
  {
    key: 'shipping-cost',
    topic: 'shipping',
    question: 'What does shipping cost?',
    answer: 'Shipping is free for orders over 50 euros; below that it is a flat 4.90 euros.',
  },
  {
    key: 'returns-window',
    topic: 'returns',
    question: 'Can I return an item?',
    answer: 'Yes, within 30 days of delivery, unused and in its original packaging. Returns are free.',
  },
  {
    key: 'returns-refund',
    topic: 'returns',
    question: 'When will I get my refund?',
    answer: 'Within 5 working days of the return reaching our warehouse, to the original payment method.',
  },
  {
    key: 'payment-methods',
    topic: 'payment',
    question: 'Which payment methods do you accept?',
    answer: 'Credit and debit cards, SEPA direct debit and bank transfer.',
  },
  {
    key: 'order-cancel',
    topic: 'orders',
    question: 'Can I cancel an order?',
    answer: 'Yes, until it ships: open your order history and choose Cancel order.',
  },
  {
    key: 'kb-switches',
    topic: 'product',
    sku: 'KB-ALU-75',
    question: 'Can I change the switches on the 75% keyboard?',
    answer:
      'Yes. The sockets are hot-swap: pull a switch with the included tool and press a new 3- or 5-pin switch in.',
  },
  {
    key: 'kb-layout',
    topic: 'product',
    sku: 'KB-ALU-75',
    question: 'Which layouts are available?',
    answer: 'ANSI US and ISO German; choose at checkout via the SKU suffix.',
  },
  {
    key: 'split-tenting',
    topic: 'product',
    sku: 'KB-SPLIT-ERGO',
    question: 'How steep can the split keyboard be tented?',
    answer: 'The feet give 5, 10 or 15 degrees; each half tents separately.',
  },
  {
    key: 'anc-wired',
    topic: 'product',
    sku: 'AU-HP-ANC',
    question: 'Do the noise-cancelling headphones work with a cable?',
    answer: 'Yes, with the included 3.5 mm cable, also when the battery is empty (without noise cancelling).',
  },
  {
    key: 'desk-weight',
    topic: 'product',
    sku: 'DK-STAND-ELEC',
    question: 'How much weight can the standing desk carry?',
    answer: 'Up to 120 kg spread evenly over the top.',
  },
  {
    key: 'desk-assembly',
    topic: 'product',
    sku: 'DK-STAND-ELEC',
    question: 'Is the standing desk hard to assemble?',
    answer: 'Assembly takes about 30 minutes with the included tools; two people make it easier.',
  },
  {
    key: 'grinder-espresso',
    topic: 'product',
    sku: 'CF-GRIND-BURR',
    question: 'Does the burr grinder grind fine enough for espresso?',
    answer: 'Yes; the finest ten settings are meant for espresso.',
  },
  {
    key: 'beans-roast-date',
    topic: 'product',
    sku: 'CF-BEANS-ETH',
    question: 'How fresh are the beans?',
    answer: 'We roast every Monday and ship within a week of roasting; the roast date is on the bag.',
  },
];

/**
 * Orders with their quantities; unit prices are the products' seed prices. Each is in a settled state the real
 * saga reaches (placed and confirmed; then shipped, or cancelled by the customer), and products holds the
 * matching reservation (see seedReservationStatus), so the recovery sweep has nothing to change.
 */
export const seedOrders: {
  key: string;
  user: 'ada' | 'linus';
  status: 'CONFIRMED' | 'CANCELLED' | 'SHIPPED';
  placedAt: string;
  items: { sku: string; quantity: number }[];
}[] = [
  {
    key: 'ada-1',
    user: 'ada',
    status: 'SHIPPED',
    placedAt: '2026-09-02T10:15:00Z',
    items: [
      { sku: 'KB-ALU-75', quantity: 1 },
      { sku: 'KB-CAPS-PBT', quantity: 1 },
    ],
  },
  {
    key: 'ada-2',
    user: 'ada',
    status: 'SHIPPED',
    placedAt: '2026-09-20T08:40:00Z',
    items: [
      { sku: 'CF-BEANS-ETH', quantity: 2 },
      { sku: 'CF-GRIND-BURR', quantity: 1 },
    ],
  },
  {
    key: 'ada-3',
    user: 'ada',
    status: 'CONFIRMED',
    placedAt: '2026-11-10T17:05:00Z',
    items: [{ sku: 'AU-HP-ANC', quantity: 1 }],
  },
  {
    key: 'ada-4',
    user: 'ada',
    status: 'CANCELLED',
    placedAt: '2026-11-12T12:00:00Z',
    items: [{ sku: 'DK-STAND-ELEC', quantity: 1 }],
  },
  {
    key: 'linus-1',
    user: 'linus',
    status: 'SHIPPED',
    placedAt: '2026-08-14T09:30:00Z',
    items: [
      { sku: 'KB-SPLIT-ERGO', quantity: 1 },
      { sku: 'DK-MAT-FELT', quantity: 1 },
    ],
  },
  {
    key: 'linus-2',
    user: 'linus',
    status: 'CONFIRMED',
    placedAt: '2026-10-30T19:45:00Z',
    items: [
      { sku: 'LT-LAMP-LED', quantity: 1 },
      { sku: 'LT-BAR-MON', quantity: 1 },
      { sku: 'CF-MUG-CERAMIC', quantity: 2 },
    ],
  },
  {
    key: 'linus-3',
    user: 'linus',
    status: 'CONFIRMED',
    placedAt: '2026-11-22T07:20:00Z',
    items: [{ sku: 'CF-BEANS-COL', quantity: 3 }],
  },
];

export function seedProduct(sku: string): (typeof seedProducts)[number] {
  const product = seedProducts.find((candidate) => candidate.sku === sku);
  if (!product) throw new Error(`seed data: unknown SKU ${sku}`);
  return product;
}

/** The stock state both sides record for a seeded order: confirmed orders committed, cancelled ones returned. */
export const seedStockState = (order: (typeof seedOrders)[number]) =>
  order.status === 'CANCELLED' ? ('RETURNED' as const) : ('COMMITTED' as const);
