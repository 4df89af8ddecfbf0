-- The language the shopper used at submit ('en' or 'zh-CN'): the order's emails go out
-- in it, whatever the mail worker's own environment says. Orders from before spoke
-- English.
ALTER TABLE orders ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
