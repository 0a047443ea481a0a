-- AlterEnum
ALTER TYPE "ReservationStatus" ADD VALUE 'RETURNED';

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "archived_at" TIMESTAMPTZ(3);
