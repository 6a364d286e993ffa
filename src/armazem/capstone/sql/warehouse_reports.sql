-- The capstone's four reports over the star schema, portable between PostgreSQL and DuckDB.

-- Grouping sets as the capstone task asks: total sales per country, and per category.
CREATE VIEW staging.sales_by_country_or_category AS
SELECT co.country, ca.category, sum(f.amount) AS totalsales
FROM staging.softcartFactSales AS f
JOIN staging.softcartDimCountry AS co ON co.countryid = f.countryid
JOIN staging.softcartDimCategory AS ca ON ca.categoryid = f.categoryid
GROUP BY GROUPING SETS (co.country, ca.category);

-- Rollup: total sales per (year, country), per year, and overall.
CREATE VIEW staging.sales_by_year_country_rollup AS
SELECT d.Year, co.country, sum(f.amount) AS totalsales
FROM staging.softcartFactSales AS f
JOIN staging.softcartDimDate AS d ON d.dateid = f.dateid
JOIN staging.softcartDimCountry AS co ON co.countryid = f.countryid
GROUP BY ROLLUP (d.Year, co.country);

-- Cube: average sale per (year, country), per year, per country, and overall.
CREATE VIEW staging.average_sales_by_year_country_cube AS
SELECT d.Year, co.country, cast(avg(f.amount) AS DECIMAL(12, 2)) AS averagesales
FROM staging.softcartFactSales AS f
JOIN staging.softcartDimDate AS d ON d.dateid = f.dateid
JOIN staging.softcartDimCountry AS co ON co.countryid = f.countryid
GROUP BY CUBE (d.Year, co.country);

-- DuckDB has no materialized views: there warehouse.py creates a TABLE of this name instead.
CREATE MATERIALIZED VIEW staging.total_sales_per_country AS
SELECT co.country, sum(f.amount) AS total_sales
FROM staging.softcartFactSales AS f
JOIN staging.softcartDimCountry AS co ON co.countryid = f.countryid
GROUP BY co.country;
