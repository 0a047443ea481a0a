-- CreateTable
CREATE TABLE "cache_changes" (
    "seq" BIGSERIAL NOT NULL,
    "txid" BIGINT NOT NULL,
    "table_name" TEXT NOT NULL,
    "old_row" JSONB,
    "new_row" JSONB,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cache_changes_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "cache_change_log" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "epoch" UUID NOT NULL DEFAULT gen_random_uuid(),
    "pruned_before" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "cache_change_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "cache_changes_txid_idx" ON "cache_changes"("txid");

-- CreateIndex
CREATE INDEX "cache_changes_recorded_at_idx" ON "cache_changes"("recorded_at");

-- Records a row change for the routers' caches, in the writing transaction: the writer's transaction id and
-- the columns named by the trigger's arguments (what the API shows), before and after. Changes to other
-- columns only (claims, throttles) are not recorded.
CREATE FUNCTION "record_cache_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before_row JSONB;
    after_row JSONB;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT jsonb_object_agg(key, value) INTO before_row FROM jsonb_each(to_jsonb(OLD)) WHERE key = ANY (TG_ARGV);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT jsonb_object_agg(key, value) INTO after_row FROM jsonb_each(to_jsonb(NEW)) WHERE key = ANY (TG_ARGV);
    END IF;
    IF before_row IS DISTINCT FROM after_row THEN
        INSERT INTO "cache_changes" ("txid", "table_name", "old_row", "new_row")
        VALUES (pg_current_xact_id()::text::bigint, TG_TABLE_NAME, before_row, after_row);
    END IF;
    RETURN NULL;
END $$;

-- The change log's identity and pruning horizon.
INSERT INTO "cache_change_log" DEFAULT VALUES;

CREATE TRIGGER "orders_cache_changes" AFTER INSERT OR UPDATE OR DELETE ON "orders"
    FOR EACH ROW EXECUTE FUNCTION "record_cache_change"('id', 'number', 'user_id', 'status', 'total_amount', 'currency', 'cancel_reason', 'created_at');

CREATE TRIGGER "order_items_cache_changes" AFTER INSERT OR UPDATE OR DELETE ON "order_items"
    FOR EACH ROW EXECUTE FUNCTION "record_cache_change"('id', 'order_id', 'product_id', 'quantity', 'unit_price_amount', 'product_name', 'product_sku');
