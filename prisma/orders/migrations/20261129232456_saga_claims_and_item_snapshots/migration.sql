-- AlterEnum
ALTER TYPE "StockState" ADD VALUE 'RETURNED';

-- AlterTable
ALTER TABLE "order_items" ADD COLUMN     "product_name" TEXT,
ADD COLUMN     "product_sku" TEXT;

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "claimed_by" TEXT,
ADD COLUMN     "claimed_until" TIMESTAMPTZ(3);
