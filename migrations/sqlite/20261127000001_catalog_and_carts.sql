-- Catalog and carts. Written to port to PostgreSQL unchanged: TEXT ids made by the
-- application, BIGINT unix-second timestamps, integer money in minor units.

CREATE TABLE products (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    price_minor BIGINT  NOT NULL CHECK (price_minor >= 0),
    currency    TEXT    NOT NULL,
    image       TEXT    NOT NULL,
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    position    INTEGER NOT NULL
);

CREATE TABLE carts (
    id          TEXT    PRIMARY KEY,
    -- SHA-256 of the cookie token: a leaked database does not hand out live carts.
    token_hash  TEXT    NOT NULL UNIQUE,
    -- Bumped on every change, so a checkout can tell the cart it priced is still current.
    version     BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);

CREATE INDEX carts_expires_at ON carts (expires_at);

CREATE TABLE cart_lines (
    cart_id     TEXT    NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id  TEXT    NOT NULL REFERENCES products (id),
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at    BIGINT  NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);

INSERT INTO products (id, name, description, price_minor, currency, image, stock, position) VALUES
    ('linen-apron', 'Linen Apron', 'Stonewashed Lithuanian linen with deep pockets and adjustable cross-back straps.', 3800, 'usd', '/images/linen-apron.svg', 12, 1),
    ('stoneware-mug', 'Stoneware Mug', 'A hand-glazed 350 ml mug that keeps coffee hot and sits well in the hand.', 1800, 'usd', '/images/stoneware-mug.svg', 40, 2),
    ('beeswax-candle', 'Beeswax Candle', 'Pure beeswax pillar with a cotton wick; burns clean for about 40 hours.', 2400, 'usd', '/images/beeswax-candle.svg', 25, 3),
    ('merino-throw', 'Merino Wool Throw', 'A soft, warm 130 × 170 cm throw knitted from undyed merino wool.', 12900, 'usd', '/images/merino-throw.svg', 6, 4),
    ('olive-wood-board', 'Olive Wood Board', 'A serving board cut from a single piece of olive wood, oiled and ready.', 4600, 'usd', '/images/olive-wood-board.svg', 10, 5),
    ('enamel-kettle', 'Enamel Kettle', 'A 1.5 litre enamelled steel kettle for gas, electric and induction hobs.', 7200, 'usd', '/images/enamel-kettle.svg', 8, 6),
    ('canvas-tote', 'Canvas Tote', 'Heavy organic cotton canvas with a base gusset and long handles.', 2200, 'usd', '/images/canvas-tote.svg', 50, 7),
    ('bud-vase', 'Ceramic Bud Vase', 'A small matte vase for a single stem or a few dried grasses.', 2900, 'usd', '/images/bud-vase.svg', 15, 8),
    ('copper-scoop', 'Copper Coffee Scoop', 'Hand-hammered copper scoop measuring one perfect cup of coffee.', 1400, 'usd', '/images/copper-scoop.svg', 3, 9),
    ('clay-teapot', 'Hand-thrown Teapot', 'A one-litre teapot thrown on the wheel; each one slightly different.', 8800, 'usd', '/images/clay-teapot.svg', 0, 10);
