-- Trigram matching for the GIN indexes below (PGlite loads the extension's bundle at open).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "faqs_question_trgm_idx" ON "faqs" USING GIN ("question" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "faqs_answer_trgm_idx" ON "faqs" USING GIN ("answer" gin_trgm_ops);
