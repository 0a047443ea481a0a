-- CreateTable
CREATE TABLE "faqs" (
    "id" UUID NOT NULL,
    "question" TEXT NOT NULL,
    "answer" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "product_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "faqs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "faqs_product_id_created_at_idx" ON "faqs"("product_id", "created_at");

-- CreateIndex
CREATE INDEX "faqs_topic_created_at_id_idx" ON "faqs"("topic", "created_at", "id");

-- CreateIndex
CREATE INDEX "faqs_created_at_id_idx" ON "faqs"("created_at", "id");
