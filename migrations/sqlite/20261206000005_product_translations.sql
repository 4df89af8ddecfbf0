-- The catalog's names and descriptions in the shop's other languages. `products`
-- keeps the English; a product with no row here is shown in English.
CREATE TABLE product_translations (
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- As the shop names its languages: 'zh-CN'.
    locale      TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (product_id, locale)
);

INSERT INTO product_translations (product_id, locale, name, description) VALUES
    ('linen-apron', 'zh-CN', '亚麻围裙', '石洗立陶宛亚麻，配有深口袋和可调节的交叉背带。'),
    ('stoneware-mug', 'zh-CN', '粗陶马克杯', '手工上釉的 350 毫升马克杯，咖啡久久保温，握感舒适。'),
    ('beeswax-candle', 'zh-CN', '蜂蜡蜡烛', '纯蜂蜡柱形蜡烛，棉质烛芯，可洁净燃烧约 40 小时。'),
    ('merino-throw', 'zh-CN', '美利奴羊毛毯', '柔软温暖的 130 × 170 厘米盖毯，由未染色的美利奴羊毛编织而成。'),
    ('olive-wood-board', 'zh-CN', '橄榄木餐板', '由整块橄榄木切制而成的餐板，已上油，开箱即用。'),
    ('enamel-kettle', 'zh-CN', '搪瓷水壶', '1.5 升搪瓷钢水壶，适用于燃气灶、电炉和电磁炉。'),
    ('canvas-tote', 'zh-CN', '帆布托特包', '厚实的有机棉帆布，底部加宽，配有长提手。'),
    ('bud-vase', 'zh-CN', '陶瓷小花瓶', '哑光小花瓶，适合插一枝鲜花或几束干草。'),
    ('copper-scoop', 'zh-CN', '铜制咖啡勺', '手工锤制的铜勺，每勺正好是一杯咖啡的用量。'),
    ('clay-teapot', 'zh-CN', '手拉坯茶壶', '在拉坯机上手工制作的一升茶壶，每一把都略有不同。');
