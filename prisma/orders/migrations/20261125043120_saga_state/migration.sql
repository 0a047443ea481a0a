-- CreateEnum
CREATE TYPE "StockState" AS ENUM ('UNKNOWN', 'RESERVED', 'COMMITTED', 'RELEASED');

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "cancel_reason" TEXT,
ADD COLUMN     "failure_code" TEXT,
ADD COLUMN     "request_hash" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "stock_state" "StockState" NOT NULL DEFAULT 'UNKNOWN';

-- CreateIndex
CREATE INDEX "orders_status_stock_state_updated_at_idx" ON "orders"("status", "stock_state", "updated_at");

-- Edited by hand after generation (data, not schema): orders placed before the saga existed are settled.
UPDATE "orders" SET "stock_state" = CASE WHEN "status" = 'CANCELLED' THEN 'RELEASED'::"StockState" ELSE 'COMMITTED'::"StockState" END;
ALTER TABLE "orders" ALTER COLUMN "request_hash" DROP DEFAULT;
