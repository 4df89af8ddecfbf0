-- Tax on top of the shown prices: rates per country, and per state or province where
-- they differ; where the cart is going (chosen at checkout, like its delivery option);
-- and the tax line an order locked at submit, exactly as it locks shipping.

CREATE TABLE tax_rates (
    -- ISO 3166-1 alpha-2.
    country     TEXT    NOT NULL,
    -- A state's or province's code ('CA', 'ON'); '' covers the whole country. A
    -- region's own rate replaces the country's.
    region      TEXT    NOT NULL DEFAULT '',
    -- Matched too, so a shopper who types "Ontario" pays what "ON" pays.
    region_name TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL CHECK (kind IN ('vat', 'gst', 'hst', 'gst_pst', 'sales_tax')),
    -- Hundredths of a percent: 2000 is 20%.
    rate_bp     BIGINT  NOT NULL CHECK (rate_bp >= 0 AND rate_bp <= 10000),
    -- Whether the delivery charge is taxed as well as the goods.
    on_shipping BOOLEAN NOT NULL,
    PRIMARY KEY (country, region)
);

-- The shop's registrations: VAT and GST where it sells abroad, sales tax in the US
-- states where it has nexus (elsewhere in the US no tax applies).
INSERT INTO tax_rates (country, region, region_name, kind, rate_bp, on_shipping) VALUES
    ('GB', '',   '',                 'vat',       2000, 1),
    ('IE', '',   '',                 'vat',       2300, 1),
    ('FR', '',   '',                 'vat',       2000, 1),
    ('DE', '',   '',                 'vat',       1900, 1),
    ('NL', '',   '',                 'vat',       2100, 1),
    ('BE', '',   '',                 'vat',       2100, 1),
    ('ES', '',   '',                 'vat',       2100, 1),
    ('IT', '',   '',                 'vat',       2200, 1),
    ('AU', '',   '',                 'gst',       1000, 1),
    ('NZ', '',   '',                 'gst',       1500, 1),
    ('CA', '',   '',                 'gst',        500, 1),
    ('CA', 'ON', 'Ontario',          'hst',       1300, 1),
    ('CA', 'NS', 'Nova Scotia',      'hst',       1400, 1),
    ('CA', 'NB', 'New Brunswick',    'hst',       1500, 1),
    ('CA', 'BC', 'British Columbia', 'gst_pst',   1200, 1),
    ('US', 'CA', 'California',       'sales_tax',  725, 0),
    ('US', 'NY', 'New York',         'sales_tax',  400, 1),
    ('US', 'WA', 'Washington',       'sales_tax',  650, 1);

-- Where the cart is going, as the checkout last told the server ('' until then).
ALTER TABLE carts ADD COLUMN tax_country TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN tax_region  TEXT NOT NULL DEFAULT '';

-- The order's tax line: 'pending' (a draft without an address), 'none', or the kind.
ALTER TABLE orders ADD COLUMN tax        TEXT   NOT NULL DEFAULT 'none';
ALTER TABLE orders ADD COLUMN tax_rate_bp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN tax_minor  BIGINT NOT NULL DEFAULT 0;
