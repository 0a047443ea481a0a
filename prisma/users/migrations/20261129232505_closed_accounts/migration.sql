-- AlterTable
ALTER TABLE "users" ADD COLUMN     "closed_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "users_closed_at_idx" ON "users"("closed_at");
